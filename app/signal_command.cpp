// `bottega signal <plan-ready|ready|needs-work|blocked|questions> [--reason TEXT]`: run
// by an agent inside its sandbox to say where its turn landed.
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "app/commands.h"
#include "app/runtime.h"
#include "engine/agents/signal_file.h"

namespace bottega {

int run_signal(const ParsedCommand& command) {
  agents::Signal signal{command.positionals.at(0), command.get("reason")};
  if (auto e = agents::check_signal(signal.kind, signal.reason)) {
    std::cerr << "bottega signal: " << *e << "\n";
    return kExitUsage;
  }
  const char* run_dir = std::getenv("BOTTEGA_RUN_DIR");
  std::error_code ec;
  if (!run_dir || !*run_dir || !std::filesystem::is_directory(run_dir, ec)) {
    std::cerr << "bottega signal: $BOTTEGA_RUN_DIR does not name a directory (it is set for agent "
                 "runs)\n";
    return kExitUsage;
  }
  if (auto written = agents::write_signal(run_dir, signal); !written) {
    std::cerr << "bottega signal: " << written.error().message << "\n";
    return kExitFailure;
  }
  return 0;
}

}  // namespace bottega
