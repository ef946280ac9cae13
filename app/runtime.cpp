#include "app/runtime.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string_view>
#include <vector>

#include "app/commands.h"
#include "config/base/log.h"
#include "engine/db/database.h"
#include "engine/db/migrations.h"
#include "engine/process/run.h"

namespace bottega {
namespace {

// A file's content, or "" when it cannot be read (whoever uses the file
// reports that).
std::string file_content(const std::string& path) {
  if (path.empty()) return {};
  std::ifstream in(path, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  return in ? content.str() : std::string();
}

void register_database_password(const std::string& connection_string) {
  for (auto& password : connection_passwords(connection_string))
    register_secret(std::move(password), "the database password");
}

// Every secret the configuration holds, so no log line, GitHub text or
// stored transcript carries one (config/base/redactor.h).
void register_config_secrets(const ServerConfig& config) {
  register_secret(config.webhook_secret, "the webhook secret");
  register_secret(config.secret_key, "the secret key");
  register_secret(config.app_client_secret, "the App's client secret");
  register_pem(file_content(config.private_key_file), "the App private key");
  register_pem(file_content(config.tls_key), "the TLS private key");
  for (const auto& [name, harness] : config.harnesses)
    register_secret(harness.api_key, "harnesses." + name + ".api_key");
  register_secret(config.database_url, "the database URL");
  register_database_password(config.database_url);
}

}  // namespace

Result<ServerConfig> load_config(const ParsedCommand& command) {
  auto env = process_environment();
  std::string file = command.get("config", env("BOTTEGA_CONFIG").value_or(""));
  auto config = load_server_config(file, env);
  if (!config) return config;
  LogFormat format = config->log_format == LogFormatSetting::json   ? LogFormat::json
                     : config->log_format == LogFormatSetting::text ? LogFormat::text
                     : isatty(STDERR_FILENO)                        ? LogFormat::text
                                                                    : LogFormat::json;
  setup_logging(config->log_level, format);
  register_config_secrets(*config);
  if (!config->data_dir_configured && geteuid() == 0) {
    config->data_dir = default_data_dir(true);
    component_log("config").info(
        "running as root: data dir {} (the embedded PostgreSQL runs as an unprivileged user, "
        "which cannot enter a clone under /root; set data_dir to choose another)",
        config->data_dir);
  }
  return config;
}

void warn_about_gaps(const ServerConfig& config, bool takes_webhooks) {
  auto& log = component_log("config");
  const bool registered_later = config.app_id.empty() && config.app_client_id.empty();
  if (takes_webhooks && config.webhook_secret.empty() && !registered_later)
    log.warn(
        "no webhook secret (webhook.secret or BOTTEGA_WEBHOOK_SECRET): every webhook "
        "delivery is refused with 503, so no task starts; the server still answers "
        "/healthz, /readyz and /metrics");
  const char* path_env = std::getenv("PATH");
  const std::string path = path_env ? path_env : "/usr/local/bin:/usr/bin:/bin";
  for (const auto& [role, r] : config.roles) {
    auto harness = config.harnesses.find(r.harness);
    if (harness == config.harnesses.end()) continue;
    const std::string found = find_program(harness->second.binary, path);
    if (found.empty() || ::access(found.c_str(), X_OK) != 0)
      log.warn(
          "role {} runs harness {}, but its CLI '{}' is not found{}: its turns will fail "
          "until it is installed (or harnesses.{}.binary names it)",
          role, r.harness, harness->second.binary,
          harness->second.binary.find('/') == std::string::npos ? " on PATH" : "", r.harness);
  }
}

Result<DatabaseHandle> open_database(const ServerConfig& config) {
  DatabaseHandle handle;
  if (!config.database_url.empty()) {
    handle.connection_string = config.database_url;
    return handle;
  }
  EmbeddedPostgresOptions options;
  options.root = (std::filesystem::path(config.data_dir) / "postgres").string();
  auto pg = EmbeddedPostgres::start(options);
  if (!pg) return pg.error();
  handle.connection_string = (*pg)->connection_string();
  register_database_password(handle.connection_string);
  handle.embedded = std::move(*pg);
  return handle;
}

Result<void> migrate_database(const std::string& connection_string) {
  Database db(connection_string, 1);
  auto conn = db.connect();
  if (!conn) return conn.error();
  auto applied = apply_migrations(**conn, builtin_migrations());
  if (!applied) return applied.error();
  component_log("db").info("migrations: {} applied, schema at version {}", *applied,
                           builtin_migrations().empty() ? 0 : builtin_migrations().back().version);
  return {};
}

std::variant<Runtime, int> start_runtime(
    const ParsedCommand& command, const std::function<int(const ServerConfig&)>& before_database) {
  install_stop_signals();
  auto config = load_config(command);
  if (!config) {
    std::cerr << "bottega " << command.command << ": " << config.error().message << "\n";
    return kExitConfig;
  }
  warn_about_gaps(*config, command.command == "serve");
  if (before_database)
    if (int status = before_database(*config); status != 0) return status;
  auto& log = component_log(command.command);
  auto db = open_database(*config);
  if (!db) {
    log.error("{}", db.error().message);
    return kExitFailure;
  }
  if (auto migrated = migrate_database(db->connection_string); !migrated) {
    log.error("{}", migrated.error().message);
    return kExitFailure;
  }
  return Runtime{std::move(*config), std::move(*db)};
}

}  // namespace bottega
