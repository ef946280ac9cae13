// EmbeddedPostgres: a PostgreSQL cluster the app manages under its data
// directory when no database URL is configured. It listens on a unix socket
// in a directory only the app's user can enter, never on TCP.
//
// Layout under `root`: data/ (the cluster), run/ (the socket), postgres.log.
// Thread-safety: not thread-safe; owned by the composition root.
// Ownership: stop() (or the destructor) stops a server this object started
// or adopted.
#pragma once

#include <memory>
#include <string>

#include "config/base/result.h"

namespace bottega {

struct EmbeddedPostgresOptions {
  std::string root;     // e.g. <data_dir>/postgres
  std::string bin_dir;  // empty: found under /usr/lib/postgresql/<N>/bin
  // When running as root, the server runs as this user (initdb refuses root).
  std::string unprivileged_user = "postgres";
};

class EmbeddedPostgres {
 public:
  // Initializes the cluster on first use, then starts it, or adopts a server
  // already running on this data directory (after a crash of the app). A
  // stale postmaster.pid is handled. Creates the `bottega` database.
  static Result<std::unique_ptr<EmbeddedPostgres>> start(const EmbeddedPostgresOptions& options);

  ~EmbeddedPostgres();
  EmbeddedPostgres(const EmbeddedPostgres&) = delete;
  EmbeddedPostgres& operator=(const EmbeddedPostgres&) = delete;

  // A libpq key=value connection string for the `bottega` database.
  std::string connection_string() const;

  // Stops the server (fast shutdown) and waits for it to exit.
  Result<void> stop();

  // Forgets the server without stopping it: for a server adopted from
  // another process (a `serve`), which a short command must leave running.
  void leave_running() { running_ = false; }

  bool running() const { return running_; }
  // True when start() found a server already running and adopted it.
  bool adopted() const { return adopted_; }

 private:
  explicit EmbeddedPostgres(EmbeddedPostgresOptions options) : options_(std::move(options)) {}

  EmbeddedPostgresOptions options_;
  bool running_ = false;
  bool adopted_ = false;
};

// Finds the PostgreSQL server programs: $BOTTEGA_POSTGRES_BIN_DIR, then the
// newest /usr/lib/postgresql/<N>/bin. Empty when none is installed.
std::string find_postgres_bin_dir();

}  // namespace bottega
