#include "config/server_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <initializer_list>
#include <map>
#include <string_view>

namespace bottega {
namespace {
// Where a value came from, for error messages.
struct Source {
  std::string value;
  std::string where;  // "bottega.yml:7" or "environment variable BOTTEGA_X"
};

// The keys that take a list (a YAML sequence, or entries separated by ',').
bool is_list_key(const std::string& path) {
  return path == "agents.egress_allow" || path == "agents.egress_allow_private" ||
         path == "agents.sandbox_read_paths";
}

// Flattens a YAML mapping into dotted paths. A sequence of scalars under a
// list key becomes its entries joined by ','; other sequences are errors.
void flatten(const YAML::Node& node, const std::string& prefix, const std::string& file,
             std::map<std::string, Source>& out, std::vector<std::string>& errors) {
  for (const auto& entry : node) {
    std::string key = entry.first.as<std::string>();
    std::string path = prefix.empty() ? key : prefix + "." + key;
    const YAML::Node& value = entry.second;
    std::string where = file + ":" + std::to_string(entry.first.Mark().line + 1);
    if (value.IsMap()) {
      flatten(value, path, file, out, errors);
    } else if (value.IsScalar()) {
      out[path] = Source{value.Scalar(), where};
    } else if (value.IsNull()) {
      out[path] = Source{"", where};
    } else if (value.IsSequence() && is_list_key(path) &&
               std::all_of(value.begin(), value.end(),
                           [](const YAML::Node& n) { return n.IsScalar(); })) {
      std::string joined;
      for (const auto& item : value) joined += (joined.empty() ? "" : ",") + item.Scalar();
      out[path] = Source{joined, where};
    } else {
      errors.push_back("`" + path + "` at " + where + ": expected a single value, not a list");
    }
  }
}

}  // namespace

std::optional<std::string> check_trigger_label(std::string_view label) {
  if (label.empty()) return "empty";
  std::size_t characters = 0;
  for (char ch : label)
    if ((static_cast<unsigned char>(ch) & 0xC0) != 0x80) ++characters;  // UTF-8 lead bytes
  if (characters > 50) return "longer than 50 characters";
  if (label.find(',') != std::string_view::npos) return "contains a comma";
  if (label.front() == ' ' || label.back() == ' ') return "starts or ends with a space";
  return std::nullopt;
}

// ---- Agent harness rules ----

bool is_known_harness(std::string_view name) {
  return name == "claude" || name == "codex" || name == "opencode";
}

std::optional<std::string> check_harness_model(std::string_view harness, std::string_view model) {
  const std::string m(model);
  if (model.empty()) return "no model given (a turn never runs on a default model)";
  for (char c : model)
    if (c == ' ' || c == '\t' || c == '\n' || c == '"')
      return "model '" + m + "' contains a space or quote";
  if (harness == "claude") {
    if (model.rfind("claude-", 0) == 0 || model == "opus" || model == "sonnet" || model == "haiku")
      return std::nullopt;
    return "harness claude cannot run model '" + m +
           "': it takes Anthropic models (claude-…, opus, sonnet, haiku)";
  }
  if (harness == "codex") {
    if (model.find('/') != std::string_view::npos || model.rfind("claude", 0) == 0 ||
        model.rfind("gemini", 0) == 0 || model == "opus" || model == "sonnet" || model == "haiku")
      return "harness codex cannot run model '" + m +
             "': it takes OpenAI Responses API models (gpt-…, o3, codex-…)";
    return std::nullopt;
  }
  if (harness == "opencode") {
    auto slash = model.find('/');
    if (slash == std::string_view::npos || slash == 0 || slash + 1 == model.size())
      return "harness opencode cannot run model '" + m +
             "': it takes provider/model (e.g. anthropic/claude-sonnet-4-5)";
    return std::nullopt;
  }
  return "unknown harness '" + std::string(harness) + "' (known: claude, codex, opencode)";
}

std::optional<std::string> check_harness_effort(std::string_view harness, std::string_view effort) {
  if (effort.empty()) return std::nullopt;
  auto one_of = [&](std::initializer_list<std::string_view> allowed) {
    for (auto a : allowed)
      if (a == effort) return true;
    return false;
  };
  if (harness == "claude") {
    if (one_of({"low", "medium", "high", "max"})) return std::nullopt;
    return "harness claude takes effort low, medium, high or max, not '" + std::string(effort) +
           "'";
  }
  if (harness == "codex") {
    if (one_of({"minimal", "low", "medium", "high", "xhigh"})) return std::nullopt;
    return "harness codex takes effort minimal, low, medium, high or xhigh, not '" +
           std::string(effort) + "'";
  }
  if (harness == "opencode") {
    for (char c : effort)
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
        return "harness opencode takes a variant name (e.g. high), not '" + std::string(effort) +
               "'";
    return std::nullopt;
  }
  return "unknown harness '" + std::string(harness) + "' (known: claude, codex, opencode)";
}

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  while (true) {
    auto pos = s.find(sep);
    parts.push_back(s.substr(0, pos));
    if (pos == std::string_view::npos) break;
    s.remove_prefix(pos + 1);
  }
  return parts;
}

bool parse_double(std::string_view s, double& out) {
  std::string text(trim(s));
  if (text.empty()) return false;
  char* end = nullptr;
  errno = 0;
  out = std::strtod(text.c_str(), &end);
  return errno == 0 && *end == '\0' && out >= 0;
}

}  // namespace

Result<TokenPriceTable> parse_price_table(std::string_view text) {
  TokenPriceTable table;
  for (auto entry : split(text, ';')) {
    entry = trim(entry);
    if (entry.empty()) continue;
    auto eq = entry.find('=');
    if (eq == std::string_view::npos || eq == 0)
      return make_error("price entry '" + std::string(entry) +
                        "' is not model=input/cached/output");
    auto numbers = split(entry.substr(eq + 1), '/');
    TokenPrice p;
    if (numbers.size() != 3 || !parse_double(numbers[0], p.input) ||
        !parse_double(numbers[1], p.cached_input) || !parse_double(numbers[2], p.output))
      return make_error(
          "price entry '" + std::string(entry) +
          "' needs three non-negative numbers input/cached/output (USD per million tokens)");
    table[std::string(trim(entry.substr(0, eq)))] = p;
  }
  return table;
}

Result<std::map<std::string, std::string>> parse_env_list(std::string_view text) {
  std::map<std::string, std::string> env;
  for (auto entry : split(text, ';')) {
    entry = trim(entry);
    if (entry.empty()) continue;
    auto eq = entry.find('=');
    std::string name(entry.substr(0, eq));
    bool valid =
        eq != std::string_view::npos && !name.empty() && !(name[0] >= '0' && name[0] <= '9');
    for (char c : name)
      valid = valid && ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '_');
    if (!valid)
      return make_error("environment entry '" + std::string(entry) + "' is not NAME=value");
    env[name] = std::string(entry.substr(eq + 1));
  }
  return env;
}

std::string default_data_dir(bool running_as_root) {
  return running_as_root ? "/var/lib/bottega" : "./var";
}

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

Result<ServerConfig> load_server_config(const std::string& file, const EnvLookup& env) {
  std::map<std::string, Source> values;
  std::vector<std::string> errors;

  if (!file.empty()) {
    YAML::Node root;
    try {
      root = YAML::LoadFile(file);
    } catch (const YAML::BadFile&) {
      return make_error("config file " + file + " cannot be read (does it exist?)");
    } catch (const YAML::ParserException& e) {
      return make_error("config file " + file + ":" + std::to_string(e.mark.line + 1) +
                        ": not valid YAML: " + e.msg);
    }
    if (root.IsMap()) {
      flatten(root, "", file, values, errors);
    } else if (!root.IsNull()) {
      return make_error("config file " + file + ": expected a mapping of keys at the top level");
    }
  }

  const auto& keys = config_keys();
  for (const auto& [path, source] : values) {
    bool known =
        std::any_of(keys.begin(), keys.end(), [&](const ConfigKey& k) { return path == k.path; });
    if (!known)
      errors.push_back("unknown key `" + path + "` at " + source.where +
                       " (spec/configuration.md lists the keys)");
  }
  for (const auto& key : keys) {
    if (auto v = env(key.env))
      values[key.path] = Source{*v, "environment variable " + std::string(key.env)};
  }

  ServerConfig config;
  config.config_file = file;
  for (const auto& key : keys) {
    auto it = values.find(key.path);
    if (it == values.end()) continue;
    if (auto reason = key.apply(config, it->second.value))
      errors.push_back("`" + std::string(key.path) + "` at " + it->second.where + ": " + *reason +
                       "; expected " + key.expected);
  }

  auto where = [&](const char* path, const char* env_name) {
    auto it = values.find(path);
    return it != values.end() ? it->second.where
                              : std::string("(not set; set ") + path + " or " + env_name + ")";
  };
  if (config.tls_cert.empty() != config.tls_key.empty()) {
    bool cert_missing = config.tls_cert.empty();
    errors.push_back(
        std::string("`") + (cert_missing ? "tls.cert" : "tls.key") + "` " +
        (cert_missing ? where("tls.cert", "BOTTEGA_TLS_CERT")
                      : where("tls.key", "BOTTEGA_TLS_KEY")) +
        ": required when `" + (cert_missing ? "tls.key" : "tls.cert") + "` is set; expected " +
        (cert_missing ? "path of a PEM certificate chain file" : "path of a PEM private key file"));
  }

  // App credentials come as a pair: an id (or client id) and its key.
  const bool app_named = !config.app_id.empty() || !config.app_client_id.empty();
  if (app_named && config.private_key_file.empty()) {
    const char* named = config.app_id.empty() ? "app.client_id" : "app.id";
    errors.push_back(std::string("`app.private_key_file` ") +
                     where("app.private_key_file", "BOTTEGA_PRIVATE_KEY_FILE") +
                     ": required when `" + named +
                     "` is set (the App authenticates with its key); expected path of the App's "
                     "PEM private key");
  }
  if (!app_named && !config.private_key_file.empty())
    errors.push_back("`app.id` " + where("app.id", "BOTTEGA_APP_ID") +
                     ": required when `app.private_key_file` is set (the key signs as this App); "
                     "expected the App's numeric id (or set app.client_id)");
  config.data_dir_configured = values.count("data_dir") > 0;

  if (config.task_port_range_start + config.task_ports_per_task - 1 > 65535) {
    // Blame the key that was set (at least one was: the defaults fit).
    const bool per_task_set = values.count("tasks.ports_per_task") > 0;
    const char* key = per_task_set ? "tasks.ports_per_task" : "tasks.port_range_start";
    const char* env_name =
        per_task_set ? "BOTTEGA_TASKS_PORTS_PER_TASK" : "BOTTEGA_TASKS_PORT_RANGE_START";
    errors.push_back("`" + std::string(key) + "` at " + where(key, env_name) + ": a block of " +
                     std::to_string(config.task_ports_per_task) + " ports from " +
                     std::to_string(config.task_port_range_start) +
                     " goes past 65535; expected tasks.port_range_start + tasks.ports_per_task "
                     "to be at most 65536");
  }

  // Harnesses: resolve env:NAME keys, check the lists; roles: a known
  // harness and a model and effort it can take (never a default model).
  for (auto& [name, h] : config.harnesses) {
    const std::string base = "harnesses." + name + ".";
    const std::string env_base = "BOTTEGA_HARNESS_" + env_case(name) + "_";
    if (h.api_key.rfind("env:", 0) == 0) {
      std::string var = h.api_key.substr(4);
      auto v = var.empty() ? std::nullopt : env(var);
      if (!v || v->empty())
        errors.push_back("`" + base + "api_key` at " +
                         where((base + "api_key").c_str(), (env_base + "API_KEY").c_str()) +
                         ": environment variable '" + var +
                         "' is not set; expected the API key, or env:NAME");
      else
        h.api_key = *v;
    }
    if (auto r = parse_env_list(h.extra_env); !r)
      errors.push_back("`" + base + "extra_env` at " +
                       where((base + "extra_env").c_str(), (env_base + "EXTRA_ENV").c_str()) +
                       ": " + r.error().message);
    if (auto r = parse_price_table(h.prices); !r)
      errors.push_back("`" + base + "prices` at " +
                       where((base + "prices").c_str(), (env_base + "PRICES").c_str()) + ": " +
                       r.error().message);
  }
  for (const auto& [role, r] : config.roles) {
    const std::string base = "roles." + role + ".";
    const std::string env_base = "BOTTEGA_ROLE_" + env_case(role) + "_";
    auto at = [&](const char* field) {
      std::string w = where((base + field).c_str(), (env_base + env_case(field)).c_str());
      return w.rfind("(not set", 0) == 0 ? w : "at " + w;
    };
    if (!is_known_harness(r.harness)) {
      errors.push_back("`" + base + "harness` " + at("harness") + ": " +
                       (r.harness.empty()
                            ? std::string("required when another roles.") + role + " key is set"
                            : "unknown harness '" + r.harness + "'") +
                       "; expected claude, codex or opencode");
      continue;
    }
    if (auto e = check_harness_model(r.harness, r.model))
      errors.push_back("`" + base + "model` " + at("model") + ": " + *e);
    if (auto e = check_harness_effort(r.harness, r.effort))
      errors.push_back("`" + base + "effort` " + at("effort") + ": " + *e);
  }

  if (!errors.empty()) {
    std::string message = "invalid configuration:";
    for (const auto& e : errors) message += "\n  " + e;
    return make_error(std::move(message));
  }
  return config;
}

}  // namespace bottega
