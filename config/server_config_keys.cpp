// The server configuration's keys: each one's YAML path, environment
// variable, accepted form and parser (config_keys(), in documentation
// order), and the checks the parsers share.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "config/server_config.h"

namespace bottega {
namespace {

using Apply = std::function<std::optional<std::string>(ServerConfig&, const std::string&)>;

std::optional<std::string> parse_int(const std::string& v, long long lo, long long hi,
                                     long long& out) {
  if (v.empty()) return "empty";
  char* end = nullptr;
  errno = 0;
  long long n = std::strtoll(v.c_str(), &end, 10);
  if (errno != 0 || *end != '\0') return "'" + v + "' is not a whole number";
  if (n < lo || n > hi)
    return "'" + v + "' is out of range " + std::to_string(lo) + ".." + std::to_string(hi);
  out = n;
  return std::nullopt;
}

Apply string_key(std::string ServerConfig::*member) {
  return [member](ServerConfig& c, const std::string& v) -> std::optional<std::string> {
    c.*member = v;
    return std::nullopt;
  };
}

Apply url_key(std::string ServerConfig::*member) {
  return [member](ServerConfig& c, const std::string& v) -> std::optional<std::string> {
    if (v.rfind("http://", 0) != 0 && v.rfind("https://", 0) != 0)
      return "'" + v + "' is not an http:// or https:// URL";
    std::string trimmed = v;
    while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
    c.*member = trimmed;
    return std::nullopt;
  };
}

Apply readable_file_key(std::string ServerConfig::*member) {
  return [member](ServerConfig& c, const std::string& v) -> std::optional<std::string> {
    if (v.empty()) {
      c.*member = v;
      return std::nullopt;
    }
    std::error_code ec;
    if (!std::filesystem::is_regular_file(v, ec)) return "file '" + v + "' does not exist";
    c.*member = v;
    return std::nullopt;
  };
}

// GitHub delivers webhooks and sends people back only to an https:// URL,
// and the app's routes sit at the root of it (a path would be dropped).
std::optional<std::string> apply_public_url(ServerConfig& c, const std::string& v) {
  if (v.empty()) {
    c.public_url.clear();
    return std::nullopt;
  }
  if (v.rfind("https://", 0) != 0)
    return "'" + v +
           "' is not an https:// URL: GitHub needs https to reach this server (put a "
           "TLS reverse proxy in front, or set tls.cert and tls.key)";
  std::string trimmed = v;
  while (!trimmed.empty() && trimmed.back() == '/') trimmed.pop_back();
  if (trimmed.size() <= 8) return "'" + v + "' has no host";
  const std::string rest = trimmed.substr(8);
  if (rest.find_first_of("/?#@ ") != std::string::npos)
    return "'" + v +
           "' has a path, query or user part: the app answers at the root of its URL "
           "(/webhooks/github, /setup)";
  c.public_url = trimmed;
  return std::nullopt;
}

// The App's private key: a readable PEM file with a private key in it (the
// key GitHub lets you download is "-----BEGIN RSA PRIVATE KEY-----").
std::optional<std::string> apply_private_key_file(ServerConfig& c, const std::string& v) {
  c.private_key_file = v;
  if (v.empty()) return std::nullopt;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(v, ec)) return "file '" + v + "' does not exist";
  std::ifstream in(v, std::ios::binary);
  std::string head(64 * 1024, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  if (in.bad()) return "file '" + v + "' cannot be read";
  head.resize(static_cast<std::size_t>(in.gcount()));
  const auto begin = head.find("-----BEGIN ");
  if (begin == std::string::npos || head.find("PRIVATE KEY-----", begin) == std::string::npos)
    return "file '" + v + "' is not a PEM private key (no '-----BEGIN … PRIVATE KEY-----' line)";
  return std::nullopt;
}

Apply seconds_key(std::chrono::seconds ServerConfig::*member) {
  return [member](ServerConfig& c, const std::string& v) -> std::optional<std::string> {
    long long n = 0;
    if (auto e = parse_int(v, 1, 86400, n)) return e;
    c.*member = std::chrono::seconds(n);
    return std::nullopt;
  };
}

std::optional<std::string> apply_listen(ServerConfig& c, const std::string& v) {
  auto colon = v.rfind(':');
  if (colon == std::string::npos || colon == 0) return "'" + v + "' has no host:port";
  std::string host = v.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  long long port = 0;
  if (auto e = parse_int(v.substr(colon + 1), 0, 65535, port)) return "port " + *e;
  c.listen_host = host;
  c.listen_port = static_cast<uint16_t>(port);
  return std::nullopt;
}

std::optional<std::string> apply_metrics_listen(ServerConfig& c, const std::string& v) {
  if (v.empty()) {
    c.metrics_listen_host.clear();
    return std::nullopt;
  }
  ServerConfig parsed;
  if (auto e = apply_listen(parsed, v)) return e;
  c.metrics_listen_host = parsed.listen_host;
  c.metrics_listen_port = parsed.listen_port;
  return std::nullopt;
}

std::optional<std::string> apply_database_url(ServerConfig& c, const std::string& v) {
  if (!v.empty() && v.rfind("postgresql://", 0) != 0 && v.rfind("postgres://", 0) != 0 &&
      v.find('=') == std::string::npos)
    // Never echo the value: it may hold the password.
    return std::string(
        "the value (not shown: it may hold a password) is neither a postgresql:// URL nor a "
        "key=value connection string");
  c.database_url = v;
  return std::nullopt;
}

std::optional<std::string> apply_log_level(ServerConfig& c, const std::string& v) {
  static const char* levels[] = {"trace", "debug", "info", "warn", "error"};
  if (std::find(std::begin(levels), std::end(levels), v) == std::end(levels))
    return "'" + v + "' is not a level";
  c.log_level = v;
  return std::nullopt;
}

std::optional<std::string> apply_log_format(ServerConfig& c, const std::string& v) {
  if (v == "auto")
    c.log_format = LogFormatSetting::automatic;
  else if (v == "text")
    c.log_format = LogFormatSetting::text;
  else if (v == "json")
    c.log_format = LogFormatSetting::json;
  else
    return "'" + v + "' is not a format";
  return std::nullopt;
}

std::optional<std::string> apply_max_body(ServerConfig& c, const std::string& v) {
  long long n = 0;
  if (auto e = parse_int(v, 1024, 1LL << 30, n)) return e;
  c.max_body_bytes = static_cast<std::size_t>(n);
  return std::nullopt;
}

std::optional<std::string> apply_app_id(ServerConfig& c, const std::string& v) {
  long long n = 0;
  if (!v.empty())
    if (auto e = parse_int(v, 1, 1LL << 53, n)) return e;
  c.app_id = v;
  return std::nullopt;
}

Apply int_key(int ServerConfig::*member, long long lo, long long hi) {
  return [member, lo, hi](ServerConfig& c, const std::string& v) -> std::optional<std::string> {
    long long n = 0;
    if (auto e = parse_int(v, lo, hi, n)) return e;
    c.*member = static_cast<int>(n);
    return std::nullopt;
  };
}

Apply harness_key(std::string name, std::string HarnessConfig::*member, bool url) {
  return [name, member, url](ServerConfig& c, const std::string& v) -> std::optional<std::string> {
    std::string value = v;
    if (url && !value.empty()) {
      if (value.rfind("http://", 0) != 0 && value.rfind("https://", 0) != 0)
        return "'" + v + "' is not an http:// or https:// URL";
      while (value.size() > 1 && value.back() == '/') value.pop_back();
    }
    c.harnesses[name].*member = value;
    return std::nullopt;
  };
}

Apply role_key(std::string role, std::string RoleConfig::*member) {
  return [role, member](ServerConfig& c, const std::string& v) -> std::optional<std::string> {
    c.roles[role].*member = v;
    return std::nullopt;
  };
}

// A comma-separated list (spaces around entries ignored, empty entries
// dropped), each entry checked by `check`.
Apply list_key(std::vector<std::string> ServerConfig::*member,
               std::function<std::optional<std::string>(const std::string&)> check) {
  return [member, check](ServerConfig& c, const std::string& v) -> std::optional<std::string> {
    std::vector<std::string> entries;
    std::size_t start = 0;
    while (start <= v.size()) {
      auto comma = v.find(',', start);
      if (comma == std::string::npos) comma = v.size();
      std::string entry = v.substr(start, comma - start);
      while (!entry.empty() && entry.front() == ' ') entry.erase(0, 1);
      while (!entry.empty() && entry.back() == ' ') entry.pop_back();
      if (!entry.empty()) {
        if (auto e = check(entry)) return "'" + entry + "': " + *e;
        entries.push_back(std::move(entry));
      }
      start = comma + 1;
    }
    c.*member = std::move(entries);
    return std::nullopt;
  };
}

std::optional<std::string> apply_sandbox(ServerConfig& c, const std::string& v) {
  if (v == "on" || v == "true")
    c.agent_sandbox = true;
  else if (v == "off" || v == "false")
    c.agent_sandbox = false;
  else
    return "'" + v + "' is neither on nor off";
  return std::nullopt;
}

// A plain decimal ("10", "0.05"): no sign, exponent, hex, inf or nan, so
// what is accepted is what a person reads.
std::optional<std::string> parse_decimal(const std::string& v, double& out) {
  if (v.empty()) return "empty";
  bool digit = false, point = false;
  for (char ch : v) {
    if (ch >= '0' && ch <= '9')
      digit = true;
    else if (ch == '.' && !point)
      point = true;
    else
      return "'" + v + "' is not a decimal number";
  }
  if (!digit) return "'" + v + "' is not a decimal number";
  out = std::strtod(v.c_str(), nullptr);
  return std::nullopt;
}

// Decimal minutes, kept in milliseconds: 0.05 is 3 s.
Apply minutes_key(std::chrono::milliseconds ServerConfig::*member) {
  return [member](ServerConfig& c, const std::string& v) -> std::optional<std::string> {
    double minutes = 0;
    if (auto e = parse_decimal(v, minutes)) return e;
    if (minutes > 7 * 24 * 60) return "'" + v + "' is out of range 0..10080";
    if (minutes <= 0) return "'" + v + "' is not more than 0";
    const auto ms = std::llround(minutes * 60'000);
    if (ms < 1) return "'" + v + "' is shorter than a millisecond";
    c.*member = std::chrono::milliseconds(ms);
    return std::nullopt;
  };
}

std::optional<std::string> apply_trigger_label(ServerConfig& c, const std::string& v) {
  if (auto e = check_trigger_label(v)) return "'" + v + "': " + *e;
  c.task_trigger_label = v;
  return std::nullopt;
}

std::optional<std::string> apply_trigger(ServerConfig& c, const std::string& v) {
  if (v != "label" && v != "on_open") return "'" + v + "' is neither label nor on_open";
  c.task_trigger = v;
  return std::nullopt;
}

// The five levels a person can hold (none is no level to require).
Apply permission_key(std::string ServerConfig::*member) {
  return [member](ServerConfig& c, const std::string& v) -> std::optional<std::string> {
    for (const char* level : {"read", "triage", "write", "maintain", "admin"})
      if (v == level) {
        c.*member = v;
        return std::nullopt;
      }
    return "'" + v + "' is not a permission level";
  };
}

std::optional<std::string> apply_max_cost(ServerConfig& c, const std::string& v) {
  double usd = 0;
  if (auto e = parse_decimal(v, usd)) return e;
  if (usd > 1'000'000) return "'" + v + "' is out of range 0..1000000";
  c.task_max_cost_usd = usd;
  return std::nullopt;
}

std::optional<std::string> apply_mutation_spacing(ServerConfig& c, const std::string& v) {
  long long n = 0;
  if (auto e = parse_int(v, 0, 60'000, n)) return e;
  c.github_mutation_spacing = std::chrono::milliseconds(n);
  return std::nullopt;
}

std::optional<std::string> apply_app_slug(ServerConfig& c, const std::string& v) {
  for (char ch : v)
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
          ch == '-' || ch == '_'))
      return "'" + v + "' is not a slug";
  c.app_slug = v;
  return std::nullopt;
}

}  // namespace

std::string env_case(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return s;
}

const std::vector<ConfigKey>& config_keys() {
  static const std::vector<ConfigKey> keys = {
      {"listen", "BOTTEGA_LISTEN", "host:port, e.g. 127.0.0.1:3000", apply_listen},
      {"public_url", "BOTTEGA_PUBLIC_URL",
       "an https:// URL where GitHub reaches this server, without a path", apply_public_url},
      {"data_dir", "BOTTEGA_DATA_DIR", "a directory path", string_key(&ServerConfig::data_dir)},
      {"max_body_bytes", "BOTTEGA_MAX_BODY_BYTES", "a byte count from 1024 to 1073741824",
       apply_max_body},
      {"read_timeout_seconds", "BOTTEGA_READ_TIMEOUT_SECONDS", "seconds, 1 to 86400",
       seconds_key(&ServerConfig::read_timeout)},
      {"idle_timeout_seconds", "BOTTEGA_IDLE_TIMEOUT_SECONDS", "seconds, 1 to 86400",
       seconds_key(&ServerConfig::idle_timeout)},
      {"http.max_connections", "BOTTEGA_HTTP_MAX_CONNECTIONS",
       "a number of connections, 1 to 1000000",
       int_key(&ServerConfig::http_max_connections, 1, 1000000)},
      {"http.max_body_memory_mb", "BOTTEGA_HTTP_MAX_BODY_MEMORY_MB", "megabytes, 1 to 1048576",
       int_key(&ServerConfig::http_max_body_memory_mb, 1, 1048576)},
      {"tls.cert", "BOTTEGA_TLS_CERT", "path of a PEM certificate chain file",
       readable_file_key(&ServerConfig::tls_cert)},
      {"tls.key", "BOTTEGA_TLS_KEY", "path of a PEM private key file",
       readable_file_key(&ServerConfig::tls_key)},
      {"database.url", "DATABASE_URL", "a postgresql:// URL or key=value connection string",
       apply_database_url},
      {"intake.commit_timeout_ms", "BOTTEGA_INTAKE_COMMIT_TIMEOUT_MS", "milliseconds, 100 to 60000",
       [](ServerConfig& c, const std::string& v) -> std::optional<std::string> {
         long long n = 0;
         if (auto e = parse_int(v, 100, 60'000, n)) return e;
         c.intake_commit_timeout = std::chrono::milliseconds(n);
         return std::nullopt;
       }},
      {"intake.max_pending", "BOTTEGA_INTAKE_MAX_PENDING", "a number of deliveries, 1 to 1000000",
       int_key(&ServerConfig::intake_max_pending, 1, 1000000)},
      {"intake.max_pending_bytes", "BOTTEGA_INTAKE_MAX_PENDING_BYTES",
       "a byte count from 1048576 to 68719476736",
       [](ServerConfig& c, const std::string& v) -> std::optional<std::string> {
         long long n = 0;
         if (auto e = parse_int(v, 1LL << 20, 1LL << 36, n)) return e;
         c.intake_max_pending_bytes = n;
         return std::nullopt;
       }},
      {"metrics.listen", "BOTTEGA_METRICS_LISTEN", "host:port, e.g. 127.0.0.1:9464",
       apply_metrics_listen},
      {"log.level", "BOTTEGA_LOG_LEVEL", "one of trace, debug, info, warn, error", apply_log_level},
      {"log.format", "BOTTEGA_LOG_FORMAT", "one of auto, text, json", apply_log_format},
      {"webhook.secret", "BOTTEGA_WEBHOOK_SECRET", "the App's webhook secret",
       string_key(&ServerConfig::webhook_secret)},
      {"secret_key", "BOTTEGA_SECRET_KEY", "64 hex digits (openssl rand -hex 32)",
       [](ServerConfig& c, const std::string& v) -> std::optional<std::string> {
         const bool hex = v.size() == 64 && std::all_of(v.begin(), v.end(), [](char ch) {
                            return std::isxdigit(static_cast<unsigned char>(ch)) != 0;
                          });
         // Never echo the value: it is a key.
         if (!v.empty() && !hex) return std::string("the value (not shown) is not 64 hex digits");
         c.secret_key = v;
         return std::nullopt;
       }},
      {"app.id", "BOTTEGA_APP_ID", "the App's numeric id", apply_app_id},
      {"app.client_id", "BOTTEGA_APP_CLIENT_ID", "the App's client id (Iv1.…)",
       string_key(&ServerConfig::app_client_id)},
      {"app.client_secret", "BOTTEGA_APP_CLIENT_SECRET",
       "the App's client secret (for sign-in on the web pages)",
       string_key(&ServerConfig::app_client_secret)},
      {"app.private_key_file", "BOTTEGA_PRIVATE_KEY_FILE",
       "path of the App's PEM private key (the .pem file GitHub gives)", apply_private_key_file},
      {"app.slug", "BOTTEGA_APP_SLUG", "the App's slug (letters, digits, -), or empty",
       apply_app_slug},
      {"github.api_url", "BOTTEGA_GITHUB_API_URL", "an http(s):// URL",
       url_key(&ServerConfig::github_api_url)},
      {"github.web_url", "BOTTEGA_GITHUB_WEB_URL", "an http(s):// URL",
       url_key(&ServerConfig::github_web_url)},
      {"github.ca_file", "BOTTEGA_GITHUB_CA_FILE", "path of a PEM CA bundle to trust",
       readable_file_key(&ServerConfig::github_ca_file)},
      {"github.mutation_spacing_ms", "BOTTEGA_GITHUB_MUTATION_SPACING_MS",
       "milliseconds, 0 to 60000", apply_mutation_spacing},
      {"workers", "BOTTEGA_WORKERS", "a number of job workers, 0 to 256",
       int_key(&ServerConfig::workers, 0, 256)},
      {"queue.max_running", "BOTTEGA_QUEUE_MAX_RUNNING", "a number of jobs, 1 to 10000",
       int_key(&ServerConfig::queue_max_running, 1, 10000)},
      {"queue.max_running_per_installation", "BOTTEGA_QUEUE_MAX_RUNNING_PER_INSTALLATION",
       "a number of jobs, 1 to 10000",
       int_key(&ServerConfig::queue_max_running_per_installation, 1, 10000)},
      {"queue.lease_seconds", "BOTTEGA_QUEUE_LEASE_SECONDS", "seconds, 1 to 86400",
       seconds_key(&ServerConfig::queue_lease)},
      {"queue.host", "BOTTEGA_QUEUE_HOST", "a host name", string_key(&ServerConfig::queue_host)},
      {"webhook.reconcile_interval_seconds", "BOTTEGA_WEBHOOK_RECONCILE_INTERVAL_SECONDS",
       "seconds, 0 (never) to 86400",
       [](ServerConfig& c, const std::string& v) -> std::optional<std::string> {
         long long n = 0;
         if (auto e = parse_int(v, 0, 86400, n)) return e;
         c.reconcile_interval = std::chrono::seconds(n);
         return std::nullopt;
       }},
      {"agents.sandbox", "BOTTEGA_AGENTS_SANDBOX", "on or off", apply_sandbox},
      {"agents.egress_allow", "BOTTEGA_AGENTS_EGRESS_ALLOW",
       "host names or *.suffix patterns, each with an optional :port, separated by ','",
       list_key(&ServerConfig::agent_egress_allow,
                [](const std::string& e) { return check_egress_pattern(e, false); })},
      {"agents.egress_allow_private", "BOTTEGA_AGENTS_EGRESS_ALLOW_PRIVATE",
       "host:port entries separated by ','",
       list_key(&ServerConfig::agent_egress_allow_private,
                [](const std::string& e) { return check_egress_pattern(e, true); })},
      {"agents.sandbox_read_paths", "BOTTEGA_AGENTS_SANDBOX_READ_PATHS",
       "absolute paths separated by ','",
       list_key(&ServerConfig::agent_sandbox_read_paths,
                [](const std::string& e) -> std::optional<std::string> {
                  if (e.front() != '/') return std::string("not an absolute path");
                  if (e.find("/../") != std::string::npos ||
                      (e.size() >= 3 && e.substr(e.size() - 3) == "/.."))
                    return std::string("has a '..' component");
                  return std::nullopt;
                })},
      {"agents.timeout_minutes", "BOTTEGA_AGENTS_TIMEOUT_MINUTES",
       "minutes, more than 0 up to 10080 (decimals allowed: 0.05 is 3 s)",
       minutes_key(&ServerConfig::agent_timeout)},
      {"agents.idle_timeout_minutes", "BOTTEGA_AGENTS_IDLE_TIMEOUT_MINUTES",
       "minutes, more than 0 up to 10080 (decimals allowed: 0.05 is 3 s)",
       minutes_key(&ServerConfig::agent_idle_timeout)},
      {"agents.max_running", "BOTTEGA_AGENTS_MAX_RUNNING", "a number of agent turns, 1 to 1000",
       int_key(&ServerConfig::agent_max_running, 1, 1000)},
      {"tasks.trigger_label", "BOTTEGA_TASKS_TRIGGER_LABEL",
       "a label name: 1 to 50 characters, no comma", apply_trigger_label},
      {"tasks.trigger", "BOTTEGA_TASKS_TRIGGER", "label or on_open", apply_trigger},
      {"tasks.max_iterations", "BOTTEGA_TASKS_MAX_ITERATIONS", "a number of rounds, 1 to 50",
       int_key(&ServerConfig::task_max_iterations, 1, 50)},
      {"tasks.max_cost_usd", "BOTTEGA_TASKS_MAX_COST_USD",
       "US dollars, 0 (no cap) to 1000000, decimals allowed", apply_max_cost},
      {"tasks.command_permission", "BOTTEGA_TASKS_COMMAND_PERMISSION",
       "read, triage, write, maintain or admin",
       permission_key(&ServerConfig::task_command_permission)},
      {"tasks.approve_permission", "BOTTEGA_TASKS_APPROVE_PERMISSION",
       "read, triage, write, maintain or admin",
       permission_key(&ServerConfig::task_approve_permission)},
      {"tasks.port_range_start", "BOTTEGA_TASKS_PORT_RANGE_START", "a port, 1024 to 65535",
       int_key(&ServerConfig::task_port_range_start, 1024, 65535)},
      {"tasks.ports_per_task", "BOTTEGA_TASKS_PORTS_PER_TASK", "a number of ports, 1 to 1000",
       int_key(&ServerConfig::task_ports_per_task, 1, 1000)},
  };
  static const std::vector<ConfigKey> all = [] {
    std::vector<ConfigKey> v = keys;
    // The paths and names must outlive the table: keep them in static storage.
    static std::deque<std::string> names;  // stable addresses
    auto add = [&v](const std::string& path, const std::string& env, const char* expected,
                    Apply apply) {
      names.push_back(path);
      const char* p = names.back().c_str();
      names.push_back(env);
      v.push_back({p, names.back().c_str(), expected, std::move(apply)});
    };
    for (const char* h : {"claude", "codex", "opencode"}) {
      std::string base = std::string("harnesses.") + h + ".";
      std::string env = "BOTTEGA_HARNESS_" + env_case(h) + "_";
      add(base + "binary", env + "BINARY", "path of the CLI, or a name on PATH",
          harness_key(h, &HarnessConfig::binary, false));
      add(base + "base_url", env + "BASE_URL", "an http(s):// URL of the model API",
          harness_key(h, &HarnessConfig::base_url, true));
      add(base + "api_key", env + "API_KEY",
          "the API key, or env:NAME to read it from variable NAME",
          harness_key(h, &HarnessConfig::api_key, false));
      add(base + "extra_env", env + "EXTRA_ENV", "NAME=value pairs separated by ';'",
          harness_key(h, &HarnessConfig::extra_env, false));
      add(base + "prices", env + "PRICES",
          "model=input/cached/output entries (USD per million tokens) separated by ';'",
          harness_key(h, &HarnessConfig::prices, false));
    }
    for (const char* r : {"plan", "implement", "review", "fix"}) {
      std::string base = std::string("roles.") + r + ".";
      std::string env = "BOTTEGA_ROLE_" + env_case(r) + "_";
      add(base + "harness", env + "HARNESS", "claude, codex or opencode",
          role_key(r, &RoleConfig::harness));
      add(base + "model", env + "MODEL", "a model the role's harness can run",
          role_key(r, &RoleConfig::model));
      add(base + "effort", env + "EFFORT", "an effort level the role's harness takes",
          role_key(r, &RoleConfig::effort));
    }
    return v;
  }();
  return all;
}

std::optional<std::string> check_egress_pattern(std::string_view pattern, bool port_required) {
  std::string_view host = pattern;
  auto colon = pattern.rfind(':');
  if (colon != std::string_view::npos) {
    host = pattern.substr(0, colon);
    long long port = 0;
    if (auto e = parse_int(std::string(pattern.substr(colon + 1)), 1, 65535, port))
      return "the port " + *e;
  } else if (port_required) {
    return std::string("needs a :port");
  }
  if (host.substr(0, 2) == "*.") host.remove_prefix(2);
  if (host.empty() || host.size() > 253) return std::string("is not a host name");
  for (char ch : host) {
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '.';
    if (!ok)
      return std::string("is not a host name (letters, digits, '-', '.'; '*.' only in front)");
  }
  if (host.front() == '.' || host.front() == '-') return std::string("is not a host name");
  return std::nullopt;
}

}  // namespace bottega
