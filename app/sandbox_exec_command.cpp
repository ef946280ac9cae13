// `bottega sandbox-exec --forward 127.0.0.1:PORT=SOCKET… -- PROGRAM [ARGS…]`:
// started by the runner inside an agent's sandbox, it serves the sandbox's
// loopback ports by forwarding them to the app's unix sockets, and runs
// the agent (engine/agents/bridge.h). It exits with the program's status.
#include <iostream>
#include <sstream>

#include "app/commands.h"
#include "app/runtime.h"
#include "engine/agents/bridge.h"

namespace bottega {

int run_sandbox_exec(const ParsedCommand& command) {
  std::vector<agents::Forward> forwards;
  if (command.has("forward")) {
    std::istringstream values(command.get("forward"));  // one per line (a repeatable flag)
    for (std::string value; std::getline(values, value);) {
      auto forward = agents::parse_forward(value);
      if (!forward) {
        std::cerr << "bottega sandbox-exec: " << forward.error().message << "\n";
        return kExitUsage;
      }
      forwards.push_back(std::move(*forward));
    }
  }
  return agents::run_bridge(forwards, command.positionals);
}

}  // namespace bottega
