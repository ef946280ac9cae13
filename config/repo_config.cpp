#include "config/repo_config.h"

#include <yaml-cpp/yaml.h>

#include <cassert>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <exception>
#include <functional>
#include <optional>
#include <set>
#include <utility>

#include "config/base/edit_distance.h"

namespace bottega {
namespace {

// A repository's file is read on every task start; anything this large is
// not a configuration file.
constexpr std::size_t kMaxFileBytes = 64 * 1024;
constexpr std::size_t kMaxSuggestionDistance = 2;
constexpr std::size_t kMaxQuotedValue = 60;

using Problem = std::optional<RepoConfigError>;

int line_of(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  return mark.is_null() ? 0 : mark.line + 1;
}

std::string lowered(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// A value as the error shows it: quoted, and cut short when long.
std::string quoted(std::string_view value) {
  if (value.size() > kMaxQuotedValue) {
    std::size_t cut = kMaxQuotedValue;
    while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) --cut;  // UTF-8
    return "\"" + std::string(value.substr(0, cut)) + "…\"";
  }
  return "\"" + std::string(value) + "\"";
}

std::string kind_of(const YAML::Node& node) {
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a mapping";
  if (node.IsNull()) return "nothing";
  return quoted(node.Scalar());
}

// "a, b or c" (last = " or "), "a, b, c" (last = ", ").
std::string join(const std::vector<std::string>& names, std::string_view last = " or ") {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? last : ", ";
    out += names[i];
  }
  return out;
}

// One key of the file, with where it was.
struct Entry {
  std::string name;
  std::string path;  // dotted: "limits.max_iterations"
  YAML::Node value;
  int line = 0;
};

// The schema, for unknown keys and "did you mean".
const std::vector<std::pair<std::string, std::vector<std::string>>>& schema() {
  static const std::vector<std::pair<std::string, std::vector<std::string>>> sections = {
      {"trigger", {"label", "mode"}},
      {"roles", {"plan", "implement", "review", "fix", "refine"}},
      {"limits", {"max_iterations", "max_cost_usd", "max_question_rounds"}},
      {"permissions", {"command", "approve"}},
      {"commands", {"setup", "test"}},
      {"plan", {"commit_path"}},
      {"network", {"allow"}},
      {"mode", {}},
      {"solo", {"label"}},
      {"product", {"requesters", "label"}},
  };
  return sections;
}

// The closest of `candidates` to `word` (case aside), when close enough;
// each candidate is (compared name, name to show).
std::optional<std::string> suggest(
    std::string_view word, const std::vector<std::pair<std::string, std::string>>& candidates) {
  const std::string typed = lowered(word);
  std::optional<std::string> best;
  std::size_t best_distance = kMaxSuggestionDistance + 1;
  for (const auto& [name, shown] : candidates) {
    const std::size_t d = edit_distance(typed, name);
    if (d < best_distance) {
      best_distance = d;
      best = shown;
    }
  }
  return best;
}

// The keys to name in an error: the optional refinement role apart, after
// the workflow's own four.
std::string expected_keys(const std::vector<std::string>& allowed) {
  std::vector<std::string> shown;
  for (const auto& a : allowed)
    if (a != "refine") shown.push_back(a);
  std::string out = join(shown);
  if (shown.size() != allowed.size()) out += " (or refine, the optional refinement pass)";
  return out;
}

RepoConfigError unknown_key(const std::string& name, const std::string& path, int line,
                            const std::string& parent, const std::vector<std::string>& allowed) {
  std::vector<std::pair<std::string, std::string>> candidates;
  for (const auto& a : allowed) candidates.emplace_back(a, parent.empty() ? a : parent + "." + a);
  if (parent.empty())  // a nested key written at the top: point to its section
    for (const auto& [section, keys] : schema())
      for (const auto& k : keys) candidates.emplace_back(k, section + "." + k);
  std::string reason = "unknown key";
  if (auto s = suggest(name, candidates))
    reason += "; did you mean " + *s + "?";
  else
    reason += "; expected " + expected_keys(allowed);
  return RepoConfigError{path, reason, line};
}

using Visit = std::function<Problem(const Entry&)>;

// Visits the entries of the mapping `node` (the value of `path`, at `line`;
// "" is the file) in document order, stopping at the first problem. Null is
// an empty mapping. Keys must be names from `allowed`, each given once;
// each is checked as it comes, so the first problem is the first in the file.
Problem for_each_entry(const YAML::Node& node, const std::string& path, int line,
                       const std::vector<std::string>& allowed, const Visit& visit) {
  if (node.IsNull()) return std::nullopt;
  if (!node.IsMap())
    return RepoConfigError{
        path, "expected a mapping of " + join(allowed, ", ") + ", got " + kind_of(node),
        path.empty() ? line_of(node) : line};
  std::set<std::string> seen;
  for (const auto& kv : node) {
    const int key_line = line_of(kv.first);
    if (!kv.first.IsScalar())
      return RepoConfigError{path, "expected key names, got " + kind_of(kv.first), key_line};
    const std::string name = kv.first.Scalar();
    const std::string key_path = path.empty() ? name : path + "." + name;
    bool known = false;
    for (const auto& a : allowed) known = known || a == name;
    if (!known) return unknown_key(name, key_path, key_line, path, allowed);
    if (!seen.insert(name).second) return RepoConfigError{key_path, "given twice", key_line};
    if (auto p = visit(Entry{name, key_path, kv.second, key_line})) return p;
  }
  return std::nullopt;
}

// The text of a single value; null reads as "".
Problem scalar(const Entry& e, std::string& out) {
  if (e.value.IsNull()) {
    out.clear();
    return std::nullopt;
  }
  if (!e.value.IsScalar())
    return RepoConfigError{e.path, "expected a single value, got " + kind_of(e.value), e.line};
  out = e.value.Scalar();
  return std::nullopt;
}

bool parse_whole(const std::string& text, int& out) {
  if (text.empty()) return false;
  for (char c : text)
    if (c < '0' || c > '9') return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

// A plain decimal ("10", "2.5"): no sign, exponent, hex, inf or nan.
bool parse_decimal(const std::string& text, double& out) {
  bool digit = false, point = false;
  for (char c : text) {
    if (c >= '0' && c <= '9')
      digit = true;
    else if (c == '.' && !point)
      point = true;
    else
      return false;
  }
  if (!digit) return false;
  out = std::strtod(text.c_str(), nullptr);
  return true;
}

Problem parse_trigger_mode(const Entry& e, RepoConfig& config) {
  std::string v;
  if (auto p = scalar(e, v)) return p;
  if (v == "label")
    config.trigger_mode = TriggerMode::label;
  else if (v == "on_open")
    config.trigger_mode = TriggerMode::on_open;
  else
    return RepoConfigError{e.path, "expected label or on_open, got " + quoted(v), e.line};
  return std::nullopt;
}

Problem parse_trigger(const Entry& section, RepoConfig& config) {
  // `trigger: on_open` is short for `trigger: {mode: on_open}`.
  if (section.value.IsScalar()) return parse_trigger_mode(section, config);
  return for_each_entry(
      section.value, section.path, section.line, {"label", "mode"}, [&](const Entry& e) -> Problem {
        if (e.name == "mode") return parse_trigger_mode(e, config);
        std::string v;
        if (auto p = scalar(e, v)) return p;
        if (auto why = check_trigger_label(v))
          return RepoConfigError{
              e.path,
              "expected a label name of 1 to 50 characters without a comma, got " + quoted(v) +
                  " (" + *why + ")",
              e.line};
        config.trigger_label = v;
        return std::nullopt;
      });
}

Problem parse_role(const Entry& role, RepoConfig& config) {
  if (!role.value.IsMap())
    return RepoConfigError{
        role.path, "expected a mapping with harness, model and effort, got " + kind_of(role.value),
        role.line};
  RoleConfig r;
  int harness_line = role.line, model_line = role.line, effort_line = role.line;
  Problem problem = for_each_entry(role.value, role.path, role.line, {"harness", "model", "effort"},
                                   [&](const Entry& e) -> Problem {
                                     std::string v;
                                     if (auto p = scalar(e, v)) return p;
                                     if (e.name == "harness") {
                                       r.harness = v;
                                       harness_line = e.line;
                                     } else if (e.name == "model") {
                                       r.model = v;
                                       model_line = e.line;
                                     } else {
                                       r.effort = v;
                                       effort_line = e.line;
                                     }
                                     return std::nullopt;
                                   });
  if (problem) return problem;
  if (r.harness.empty())
    return RepoConfigError{role.path + ".harness",
                           "required (a role given here replaces the server's whole); expected "
                           "claude, codex or opencode",
                           harness_line};
  if (!is_known_harness(r.harness))
    return RepoConfigError{role.path + ".harness",
                           "expected claude, codex or opencode, got " + quoted(r.harness),
                           harness_line};
  if (auto why = check_harness_model(r.harness, r.model))
    return RepoConfigError{role.path + ".model", *why, model_line};
  if (auto why = check_harness_effort(r.harness, r.effort))
    return RepoConfigError{role.path + ".effort", *why, effort_line};
  config.roles[role.name] = std::move(r);
  return std::nullopt;
}

Problem parse_roles(const Entry& section, RepoConfig& config) {
  return for_each_entry(section.value, section.path, section.line,
                        {"plan", "implement", "review", "fix", "refine"},
                        [&](const Entry& role) { return parse_role(role, config); });
}

Problem parse_question_rounds(const Entry& e, const std::string& v, RepoConfig& config) {
  int n = 0;
  if (!parse_whole(v, n) || n > 10)
    return RepoConfigError{
        e.path, "expected a whole number from 0 (never ask) to 10, got " + quoted(v), e.line};
  config.max_question_rounds = n;
  return std::nullopt;
}

Problem parse_limits(const Entry& section, RepoConfig& config) {
  // A section that is no mapping is told the two caps; the modes' key is optional.
  std::vector<std::string> keys = {"max_iterations", "max_cost_usd"};
  if (section.value.IsMap()) keys.push_back("max_question_rounds");
  return for_each_entry(
      section.value, section.path, section.line, keys, [&](const Entry& e) -> Problem {
        std::string v;
        if (auto p = scalar(e, v)) return p;
        if (e.name == "max_question_rounds") return parse_question_rounds(e, v, config);
        if (e.name == "max_iterations") {
          int n = 0;
          if (!parse_whole(v, n) || n < 1 || n > 50)
            return RepoConfigError{e.path, "expected a whole number from 1 to 50, got " + quoted(v),
                                   e.line};
          config.max_iterations = n;
        } else {
          double usd = 0;
          if (!parse_decimal(v, usd) || usd > 1'000'000)
            return RepoConfigError{
                e.path, "expected US dollars from 0 (no cap) to 1000000, got " + quoted(v), e.line};
          config.max_cost_usd = usd;
        }
        return std::nullopt;
      });
}

Problem parse_permissions(const Entry& section, RepoConfig& config) {
  return for_each_entry(
      section.value, section.path, section.line, {"command", "approve"},
      [&](const Entry& e) -> Problem {
        std::string v;
        if (auto p = scalar(e, v)) return p;
        auto level = parse_permission(v);
        if (!level || *level == Permission::none)
          return RepoConfigError{
              e.path, "expected read, triage, write, maintain or admin, got " + quoted(v), e.line};
        (e.name == "command" ? config.command_permission : config.approve_permission) = *level;
        return std::nullopt;
      });
}

// A string or a list of strings; nothing is an empty list.
Problem parse_command_list(const Entry& e, std::vector<std::string>& out) {
  out.clear();
  if (e.value.IsNull()) return std::nullopt;
  if (e.value.IsScalar()) {
    if (!e.value.Scalar().empty()) out.push_back(e.value.Scalar());
    return std::nullopt;
  }
  if (!e.value.IsSequence())
    return RepoConfigError{e.path, "expected a command or a list of commands, got a mapping",
                           e.line};
  std::size_t index = 0;
  for (const auto& item : e.value) {
    ++index;
    const int line = line_of(item) ? line_of(item) : e.line;
    if (!item.IsScalar() || item.Scalar().empty())
      return RepoConfigError{e.path,
                             "entry " + std::to_string(index) + ": expected a command, got " +
                                 (item.IsScalar() ? std::string("an empty one") : kind_of(item)),
                             line};
    out.push_back(item.Scalar());
  }
  return std::nullopt;
}

Problem parse_commands(const Entry& section, RepoConfig& config) {
  return for_each_entry(section.value, section.path, section.line, {"setup", "test"},
                        [&](const Entry& e) {
                          return parse_command_list(
                              e, e.name == "setup" ? config.setup_commands : config.test_commands);
                        });
}

// nullopt when `path` is a file path inside the repository's tree (after
// {issue} is replaced), otherwise why not.
std::optional<std::string> check_commit_path(std::string_view path) {
  std::string expanded;
  for (std::size_t i = 0; i < path.size(); ++i) {
    const char c = path[i];
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return "it contains a control character";
    if (path.substr(i, 7) == "{issue}") {
      expanded += "1";
      i += 6;
    } else if (c == '{' || c == '}') {
      return "only {issue} is replaced";
    } else {
      expanded += c;
    }
  }
  if (expanded.front() == '/') return "it must be relative to the repository root";
  std::size_t start = 0;
  bool first = true;
  while (true) {
    const std::size_t slash = expanded.find('/', start);
    const std::string part = expanded.substr(start, slash - start);
    if (part == "..") return "it must not contain ..";
    if (part.empty() || part == ".") return "it must be a file path without empty or . parts";
    if (first && lowered(part) == ".git") return "it must not be inside .git";
    if (slash == std::string::npos) break;
    start = slash + 1;
    first = false;
  }
  return std::nullopt;
}

Problem parse_plan(const Entry& section, RepoConfig& config) {
  return for_each_entry(
      section.value, section.path, section.line, {"commit_path"}, [&](const Entry& e) -> Problem {
        std::string v;
        if (auto p = scalar(e, v)) return p;
        if (!v.empty())
          if (auto why = check_commit_path(v))
            return RepoConfigError{e.path,
                                   "expected a file path relative to the repository root, got " +
                                       quoted(v) + ": " + *why,
                                   e.line};
        config.plan_commit_path = v;
        return std::nullopt;
      });
}

Problem parse_network(const Entry& section, RepoConfig& config) {
  return for_each_entry(
      section.value, section.path, section.line, {"allow"}, [&](const Entry& e) -> Problem {
        std::vector<std::string> hosts;
        if (auto p = parse_command_list(e, hosts)) return p;
        for (const auto& h : hosts)
          if (auto why = check_egress_pattern(h, false))
            return RepoConfigError{
                e.path,
                "expected host names or *.suffix patterns (optional :port), got " + quoted(h) +
                    ": " + *why,
                e.line};
        config.egress_allow = std::move(hosts);
        return std::nullopt;
      });
}

// --- the modes ---------------------------------------------------------------------

Problem parse_mode(const Entry& e, RepoConfig& config) {
  std::string v;
  if (auto p = scalar(e, v)) return p;
  if (v != "standard" && v != "solo")
    return RepoConfigError{e.path, "expected standard or solo, got " + quoted(v), e.line};
  config.solo_mode = v == "solo";
  return std::nullopt;
}

Problem parse_label(const Entry& e, std::string& out, bool may_be_empty) {
  std::string v;
  if (auto p = scalar(e, v)) return p;
  if (v.empty() && may_be_empty) {
    out.clear();
    return std::nullopt;
  }
  if (auto why = check_trigger_label(v))
    return RepoConfigError{e.path,
                           "expected a label name of 1 to 50 characters without a comma, got " +
                               quoted(v) + " (" + *why + ")",
                           e.line};
  out = v;
  return std::nullopt;
}

Problem parse_solo(const Entry& section, RepoConfig& config) {
  return for_each_entry(section.value, section.path, section.line, {"label"},
                        [&](const Entry& e) { return parse_label(e, config.solo_label, false); });
}

// A GitHub login: letters, digits and single hyphens, at most 39 characters.
bool is_login(std::string_view s) {
  if (s.empty() || s.size() > 39 || s.front() == '-' || s.back() == '-') return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
  return true;
}

Problem parse_product(const Entry& section, RepoConfig& config) {
  return for_each_entry(
      section.value, section.path, section.line, {"requesters", "label"},
      [&](const Entry& e) -> Problem {
        if (e.name == "label") return parse_label(e, config.product_label, true);
        std::vector<std::string> logins;
        if (auto p = parse_command_list(e, logins)) return p;
        for (auto& login : logins) {
          if (!login.empty() && login.front() == '@') login.erase(0, 1);
          if (!is_login(login))
            return RepoConfigError{
                e.path,
                "expected GitHub logins, got " + quoted(login) +
                    (login.find('/') != std::string::npos ? " (teams are not supported yet)" : ""),
                e.line};
        }
        config.product_requesters = std::move(logins);
        return std::nullopt;
      });
}

Problem parse_root(const YAML::Node& root, RepoConfig& config) {
  std::vector<std::string> sections;
  for (const auto& [name, keys] : schema()) sections.push_back(name);
  return for_each_entry(root, "", 0, sections, [&](const Entry& e) -> Problem {
    if (e.name == "trigger") return parse_trigger(e, config);
    if (e.name == "roles") return parse_roles(e, config);
    if (e.name == "limits") return parse_limits(e, config);
    if (e.name == "permissions") return parse_permissions(e, config);
    if (e.name == "commands") return parse_commands(e, config);
    if (e.name == "network") return parse_network(e, config);
    if (e.name == "mode") return parse_mode(e, config);
    if (e.name == "solo") return parse_solo(e, config);
    if (e.name == "product") return parse_product(e, config);
    return parse_plan(e, config);
  });
}

}  // namespace

std::string_view to_string(TriggerMode mode) {
  return mode == TriggerMode::on_open ? "on_open" : "label";
}

std::string product_flow_reason(const RepoConfig& config, std::string_view author,
                                const std::vector<std::string>& labels) {
  for (const auto& r : config.product_requesters)
    if (!author.empty() && lowered(r) == lowered(author))
      return "@" + std::string(author) + " is a listed requester (product.requesters)";
  if (!config.product_label.empty())
    for (const auto& l : labels)
      if (lowered(l) == lowered(config.product_label))
        return "the issue carries the label `" + config.product_label + "` (product.label)";
  return "";
}

std::string RepoConfigError::describe() const {
  std::string out(kRepoConfigPath);
  if (line > 0) out += " line " + std::to_string(line);
  out += ": ";
  if (!key.empty()) out += key + ": ";
  return out + reason;
}

RepoConfig repo_defaults(const ServerConfig& config) {
  RepoConfig r;
  r.trigger_label = config.task_trigger_label;
  r.trigger_mode = config.task_trigger == "on_open" ? TriggerMode::on_open : TriggerMode::label;
  r.roles = config.roles;
  r.max_iterations = config.task_max_iterations;
  r.max_cost_usd = config.task_max_cost_usd;
  // load_server_config checked the names; should one be bad anyway (a
  // hand-built ServerConfig), require admin: fail closed.
  auto command = parse_permission(config.task_command_permission);
  auto approve = parse_permission(config.task_approve_permission);
  assert(command && approve);
  r.command_permission = command.value_or(Permission::admin);
  r.approve_permission = approve.value_or(Permission::admin);
  return r;
}

Result<RepoConfig, RepoConfigError> parse_repo_config(std::string_view yaml,
                                                      const RepoConfig& defaults) {
  if (yaml.size() > kMaxFileBytes)
    return RepoConfigError{
        "", "the file is larger than " + std::to_string(kMaxFileBytes) + " bytes", 0};
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::ParserException& e) {
    return RepoConfigError{"", "not valid YAML: " + e.msg, e.mark.is_null() ? 0 : e.mark.line + 1};
  } catch (const std::exception& e) {
    return RepoConfigError{"", std::string("not valid YAML: ") + e.what(), 0};
  }
  RepoConfig config = defaults;
  try {
    if (auto p = parse_root(root, config)) return *p;
  } catch (const std::exception& e) {
    // Not expected (every node is type-checked before use), but the file
    // is untrusted: report, never throw.
    return RepoConfigError{"", std::string("cannot be read: ") + e.what(), 0};
  }
  return config;
}

}  // namespace bottega
