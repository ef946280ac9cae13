// What every long-running command sets up first: the configuration,
// logging, and the database (the configured server, or the embedded one).
// Thread-safety: called from main before any thread starts.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <variant>

#include "app/cli.h"
#include "config/base/result.h"
#include "config/server_config.h"
#include "engine/db/embedded_postgres.h"

namespace bottega {

// Exit statuses of the binary.
constexpr int kExitFailure = 1;  // a runtime failure
constexpr int kExitUsage = 2;    // a bad command line
constexpr int kExitConfig = 78;  // a bad configuration (EX_CONFIG)

// Reads --config (or $BOTTEGA_CONFIG) and the environment, then sets up
// logging and registers the configured secrets for redaction. Run as root
// without a configured data_dir, the data dir is default_data_dir(true)
// (said in the log).
Result<ServerConfig> load_config(const ParsedCommand& command);

// Logs, once at start, what the configuration leaves the server unable to
// do: App credentials without a webhook secret, for a process that takes
// webhooks (every webhook refused; without credentials the setup page's
// line says it), a role whose harness CLI is not found. Nothing here stops
// the server.
void warn_about_gaps(const ServerConfig& config, bool takes_webhooks);

struct DatabaseHandle {
  std::unique_ptr<EmbeddedPostgres> embedded;  // null when DATABASE_URL is used
  std::string connection_string;
};

// Uses database.url when set; otherwise starts (or adopts) the embedded
// PostgreSQL under <data_dir>/postgres.
Result<DatabaseHandle> open_database(const ServerConfig& config);

// Applies the built-in migrations; logs how many were applied.
Result<void> migrate_database(const std::string& connection_string);

// What a long-running command (serve, worker) has once it is set up.
struct Runtime {
  ServerConfig config;
  DatabaseHandle db;
};

// Installs the stop signals, loads the configuration, runs `before_database`
// (serve binds its port there, so a port in use fails before anything
// starts; a non-zero answer is the exit status), then opens and migrates
// the database. On failure, says why (stderr or the log) and returns the
// exit status to end with.
std::variant<Runtime, int> start_runtime(
    const ParsedCommand& command,
    const std::function<int(const ServerConfig&)>& before_database = {});

}  // namespace bottega
