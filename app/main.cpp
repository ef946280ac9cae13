#include <iostream>
#include <string>
#include <vector>

#include "app/cli.h"
#include "app/commands.h"
#include "app/runtime.h"

#ifndef BOTTEGA_VERSION
#define BOTTEGA_VERSION "unknown"
#endif

int main(int argc, char** argv) {
  using namespace bottega;
  std::vector<std::string> args(argv + 1, argv + argc);
  const auto& specs = command_specs();
  auto parsed = parse_command_line(args, specs);
  if (!parsed) {
    std::cerr << "bottega: " << parsed.error().message << "\n";
    return kExitUsage;
  }
  if (parsed->help) {
    if (parsed->command.empty()) {
      std::cout << top_level_help(specs);
    } else {
      for (const auto& s : specs)
        if (s.name == parsed->command) std::cout << command_help(s);
    }
    return 0;
  }
  const std::string& c = parsed->command;
  if (c == "version") {
    std::cout << "bottega " << BOTTEGA_VERSION << "\n";
    return 0;
  }
  if (c == "serve") return run_serve(*parsed);
  if (c == "migrate") return run_migrate(*parsed);
  if (c == "doctor") return run_doctor(*parsed);
  if (c == "worker") return run_worker(*parsed);
  if (c == "signal") return run_signal(*parsed);
  if (c == "agent") return run_agent(*parsed);
  if (c == "sandbox-exec") return run_sandbox_exec(*parsed);
  std::cerr << "bottega: command '" << c << "' is declared but not implemented\n";
  return kExitFailure;
}
