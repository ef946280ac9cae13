#include "app/cli.h"

#include <algorithm>
#include <limits>
#include <optional>

namespace bottega {

const std::vector<CommandSpec>& command_specs() {
  static const FlagSpec config_flag{"config", "FILE",
                                    "YAML configuration file (default: $BOTTEGA_CONFIG)"};
  static const std::vector<CommandSpec> specs = {
      {"serve", "run the HTTP server and the job workers", "", 0, 0, {config_flag}},
      {"worker",
       "run only job workers (more hosts can share one database)",
       "",
       0,
       0,
       {config_flag}},
      {"migrate", "apply pending database migrations and exit", "", 0, 0, {config_flag}},
      {"doctor",
       "check the configuration, database, App credentials, agents, sandbox and disk",
       "",
       0,
       0,
       {config_flag, {"min-free-mb", "MB", "least free space in the data dir (default 1024)"}}},
      {"version", "print the version and exit", "", 0, 0, {}},
      {"signal",
       "(inside an agent run) say where the turn landed",
       "<plan-ready|ready|needs-work|blocked|questions>",
       1,
       1,
       {{"reason", "TEXT", "why, in a sentence (at most 4096 bytes)"}}},
      {"agent",
       "run one agent turn and print its events as JSON lines",
       "PROMPT",
       1,
       1,
       {config_flag,
        {"harness", "NAME", "claude, codex or opencode (required)"},
        {"model", "MODEL", "the model, always explicit (required)"},
        {"effort", "LEVEL", "the effort level the harness takes"},
        {"cwd", "DIR", "the working directory (required)"},
        {"resume", "ID", "continue this session"},
        {"no-subagents", "", "forbid sub-agents, as the workflow's turns do"},
        {"sandbox", "on|off", "run inside bubblewrap (default: agents.sandbox)"},
        {"run-dir", "DIR",
         "private HOME and signal files (default: under data_dir; reuse it to resume)"},
        {"budget-usd", "USD", "stop the turn once the model gateway has metered this much"}}},
      {"sandbox-exec",
       "(inside an agent's sandbox) forward loopback ports to unix sockets around a program",
       "-- PROGRAM [ARGS...]",
       1,
       std::numeric_limits<std::size_t>::max(),
       {{"forward", "127.0.0.1:PORT=SOCKET...",
         "listen on PORT and forward each connection to SOCKET (repeatable)"}}},
  };
  return specs;
}

namespace {

const CommandSpec* find_spec(const std::vector<CommandSpec>& specs, const std::string& name) {
  auto it = std::find_if(specs.begin(), specs.end(),
                         [&](const CommandSpec& s) { return s.name == name; });
  return it == specs.end() ? nullptr : &*it;
}

}  // namespace

Result<ParsedCommand> parse_command_line(const std::vector<std::string>& args,
                                         const std::vector<CommandSpec>& specs) {
  ParsedCommand parsed;
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    parsed.help = true;
    if (args.size() > 1 && args[0] == "help") {
      if (!find_spec(specs, args[1]))
        return make_error("unknown command '" + args[1] + "' (see bottega --help)");
      parsed.command = args[1];
    }
    return parsed;
  }
  // `--version` is what people try first; it means the `version` command.
  const std::string first = (args[0] == "--version" || args[0] == "-V") ? "version" : args[0];
  const CommandSpec* spec = find_spec(specs, first);
  if (!spec) {
    if (args[0].rfind("-", 0) == 0)
      return make_error("unknown flag '" + args[0] + "' before the command (see bottega --help)");
    return make_error("unknown command '" + args[0] + "' (see bottega --help)");
  }
  parsed.command = spec->name;
  const std::string where = "bottega " + spec->name;

  bool only_positionals = false;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (only_positionals || arg.size() < 2 || arg[0] != '-') {
      parsed.positionals.push_back(arg);
      continue;
    }
    if (arg == "--") {
      only_positionals = true;
      continue;
    }
    if (arg == "--help" || arg == "-h") {
      parsed.help = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0)
      return make_error(where + ": unknown flag '" + arg + "' (see " + where + " --help)");
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    auto flag = std::find_if(spec->flags.begin(), spec->flags.end(),
                             [&](const FlagSpec& f) { return f.name == name; });
    if (flag == spec->flags.end())
      return make_error(where + ": unknown flag '--" + name + "' (see " + where + " --help)");
    if (flag->value_name.empty()) {
      if (value) return make_error(where + ": flag '--" + name + "' takes no value");
      parsed.flags[name] = "true";
      continue;
    }
    if (!value) {
      if (i + 1 >= args.size())
        return make_error(where + ": flag '--" + name + "' needs a value (" + flag->value_name +
                          ")");
      value = args[++i];
    }
    if (value->empty())
      return make_error(where + ": flag '--" + name + "' needs a non-empty value (" +
                        flag->value_name + ")");
    // A value name ending in "..." marks a repeatable flag: its values are
    // kept, one per line.
    const bool repeatable = flag->value_name.size() > 3 &&
                            flag->value_name.compare(flag->value_name.size() - 3, 3, "...") == 0;
    if (repeatable && parsed.flags.count(name)) {
      parsed.flags[name] += "\n" + *value;
      continue;
    }
    parsed.flags[name] = *value;
  }
  if (parsed.help) return parsed;
  if (parsed.positionals.size() < spec->min_positionals)
    return make_error(where + ": missing argument " + spec->arguments + " (see " + where +
                      " --help)");
  if (parsed.positionals.size() > spec->max_positionals)
    return make_error(where + ": unexpected argument '" +
                      parsed.positionals[spec->max_positionals] + "' (see " + where + " --help)");
  return parsed;
}

std::string top_level_help(const std::vector<CommandSpec>& specs) {
  std::string out =
      "bottega: a GitHub App that turns issues into reviewed pull requests written by coding "
      "agents.\n\nUsage: bottega <command> [flags]\n\nCommands:\n";
  for (const auto& s : specs) {
    std::string name = s.name;
    name.resize(std::max<std::size_t>(name.size() + 2, 10), ' ');
    out += "  " + name + s.summary + "\n";
  }
  out += "\nRun 'bottega <command> --help' for a command's flags.\n";
  return out;
}

std::string command_help(const CommandSpec& spec) {
  std::string out = "Usage: bottega " + spec.name + (spec.flags.empty() ? "" : " [flags]") +
                    (spec.arguments.empty() ? "" : " " + spec.arguments) + "\n\n" + spec.summary +
                    "\n";
  if (!spec.flags.empty()) out += "\nFlags:\n";
  for (const auto& f : spec.flags) {
    std::string left = "--" + f.name + (f.value_name.empty() ? "" : " " + f.value_name);
    left.resize(std::max<std::size_t>(left.size() + 2, 22), ' ');
    out += "  " + left + f.help + "\n";
  }
  out += "  --help                show this help\n";
  return out;
}

}  // namespace bottega
