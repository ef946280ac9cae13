#include "config/server_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>

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

std::optional<std::string> apply_database_url(ServerConfig& c, const std::string& v) {
  if (!v.empty() && v.rfind("postgresql://", 0) != 0 && v.rfind("postgres://", 0) != 0 &&
      v.find('=') == std::string::npos)
    return "'" + v + "' is neither a postgresql:// URL nor a key=value connection string";
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
  if (v == "auto") c.log_format = LogFormatSetting::automatic;
  else if (v == "text") c.log_format = LogFormatSetting::text;
  else if (v == "json") c.log_format = LogFormatSetting::json;
  else return "'" + v + "' is not a format";
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

// Where a value came from, for error messages.
struct Source {
  std::string value;
  std::string where;  // "bottega.yml:7" or "environment variable BOTTEGA_X"
};

// Flattens a YAML mapping into dotted paths. Sequences and nested maps under
// a leaf key are errors (no key takes them).
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
    } else {
      errors.push_back("`" + path + "` at " + where + ": expected a single value, not a list");
    }
  }
}

}  // namespace

const std::vector<ConfigKey>& config_keys() {
  static const std::vector<ConfigKey> keys = {
      {"listen", "BOTTEGA_LISTEN", "host:port, e.g. 127.0.0.1:3000", apply_listen},
      {"public_url", "BOTTEGA_PUBLIC_URL", "an https:// URL where GitHub reaches this server",
       url_key(&ServerConfig::public_url)},
      {"data_dir", "BOTTEGA_DATA_DIR", "a directory path", string_key(&ServerConfig::data_dir)},
      {"max_body_bytes", "BOTTEGA_MAX_BODY_BYTES", "a byte count from 1024 to 1073741824",
       apply_max_body},
      {"read_timeout_seconds", "BOTTEGA_READ_TIMEOUT_SECONDS", "seconds, 1 to 86400",
       seconds_key(&ServerConfig::read_timeout)},
      {"idle_timeout_seconds", "BOTTEGA_IDLE_TIMEOUT_SECONDS", "seconds, 1 to 86400",
       seconds_key(&ServerConfig::idle_timeout)},
      {"tls.cert", "BOTTEGA_TLS_CERT", "path of a PEM certificate chain file",
       readable_file_key(&ServerConfig::tls_cert)},
      {"tls.key", "BOTTEGA_TLS_KEY", "path of a PEM private key file",
       readable_file_key(&ServerConfig::tls_key)},
      {"database.url", "DATABASE_URL", "a postgresql:// URL or key=value connection string",
       apply_database_url},
      {"log.level", "BOTTEGA_LOG_LEVEL", "one of trace, debug, info, warn, error",
       apply_log_level},
      {"log.format", "BOTTEGA_LOG_FORMAT", "one of auto, text, json", apply_log_format},
      {"webhook.secret", "BOTTEGA_WEBHOOK_SECRET", "the App's webhook secret",
       string_key(&ServerConfig::webhook_secret)},
      {"app.id", "BOTTEGA_APP_ID", "the App's numeric id", apply_app_id},
      {"app.client_id", "BOTTEGA_APP_CLIENT_ID", "the App's client id (Iv1.…)",
       string_key(&ServerConfig::app_client_id)},
      {"app.private_key_file", "BOTTEGA_PRIVATE_KEY_FILE", "path of the App's PEM private key",
       readable_file_key(&ServerConfig::private_key_file)},
      {"github.api_url", "BOTTEGA_GITHUB_API_URL", "an http(s):// URL",
       url_key(&ServerConfig::github_api_url)},
      {"github.web_url", "BOTTEGA_GITHUB_WEB_URL", "an http(s):// URL",
       url_key(&ServerConfig::github_web_url)},
      {"github.ca_file", "BOTTEGA_GITHUB_CA_FILE", "path of a PEM CA bundle to trust",
       readable_file_key(&ServerConfig::github_ca_file)},
      {"workers", "BOTTEGA_WORKERS", "a number of job workers, 0 to 256",
       int_key(&ServerConfig::workers, 0, 256)},
      {"queue.max_running", "BOTTEGA_QUEUE_MAX_RUNNING", "a number of jobs, 1 to 10000",
       int_key(&ServerConfig::queue_max_running, 1, 10000)},
      {"queue.max_running_per_installation", "BOTTEGA_QUEUE_MAX_RUNNING_PER_INSTALLATION",
       "a number of jobs, 1 to 10000", int_key(&ServerConfig::queue_max_running_per_installation, 1, 10000)},
      {"queue.lease_seconds", "BOTTEGA_QUEUE_LEASE_SECONDS", "seconds, 1 to 86400",
       seconds_key(&ServerConfig::queue_lease)},
  };
  return keys;
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
    bool known = std::any_of(keys.begin(), keys.end(),
                             [&](const ConfigKey& k) { return path == k.path; });
    if (!known)
      errors.push_back("unknown key `" + path + "` at " + source.where +
                       " (spec/configuration.md lists the keys)");
  }
  for (const auto& key : keys) {
    if (auto v = env(key.env)) values[key.path] = Source{*v, "environment variable " + std::string(key.env)};
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
    errors.push_back(std::string("`") + (cert_missing ? "tls.cert" : "tls.key") + "` " +
                     (cert_missing ? where("tls.cert", "BOTTEGA_TLS_CERT")
                                   : where("tls.key", "BOTTEGA_TLS_KEY")) +
                     ": required when `" + (cert_missing ? "tls.key" : "tls.cert") +
                     "` is set; expected " + (cert_missing ? "path of a PEM certificate chain file"
                                                            : "path of a PEM private key file"));
  }

  if (!errors.empty()) {
    std::string message = "invalid configuration:";
    for (const auto& e : errors) message += "\n  " + e;
    return make_error(std::move(message));
  }
  return config;
}

}  // namespace bottega
