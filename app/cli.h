// The command line: `bottega <command> [flags] [arguments]`. Parsing is
// pure; each command's flags are declared in command_specs().
// Thread-safety: pure functions over values.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "config/base/result.h"

namespace bottega {

struct FlagSpec {
  std::string name;        // without the leading "--"
  std::string value_name;  // empty: a switch that takes no value
  std::string help;
};

struct CommandSpec {
  std::string name;
  std::string summary;
  std::string arguments;  // usage text for positional arguments, e.g. "PROMPT"
  std::size_t min_positionals = 0;
  std::size_t max_positionals = 0;
  std::vector<FlagSpec> flags;
};

struct ParsedCommand {
  std::string command;                       // empty with help: the top-level help
  std::map<std::string, std::string> flags;  // switches map to "true"
  std::vector<std::string> positionals;
  bool help = false;

  bool has(const std::string& flag) const { return flags.count(flag) != 0; }
  std::string get(const std::string& flag, const std::string& fallback = "") const {
    auto it = flags.find(flag);
    return it == flags.end() ? fallback : it->second;
  }
};

// All commands, in the order `bottega --help` lists them.
const std::vector<CommandSpec>& command_specs();

// Parses argv[1..]. Accepts `--flag value` and `--flag=value`. An unknown
// command or flag, a missing value or a wrong number of arguments fails with
// a one-line message naming it (the caller exits with status 2).
Result<ParsedCommand> parse_command_line(const std::vector<std::string>& args,
                                         const std::vector<CommandSpec>& specs);

std::string top_level_help(const std::vector<CommandSpec>& specs);
std::string command_help(const CommandSpec& spec);

}  // namespace bottega
