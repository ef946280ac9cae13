// Database: a small pool of PostgreSQL connections (libpqxx) for one
// connection string.
// Thread-safety: Database is safe to share; each Lease is used by one thread
// at a time. Ownership: the pool owns its connections; a Lease borrows one
// and gives it back when destroyed.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <pqxx/connection>
#include <string>
#include <string_view>
#include <vector>

#include "config/base/result.h"

namespace bottega {

class Database {
 public:
  // Connections are opened lazily, at most max_connections at once.
  Database(std::string connection_string, std::size_t max_connections);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  class Lease {
   public:
    Lease(Database& db, std::unique_ptr<pqxx::connection> conn)
        : db_(&db), conn_(std::move(conn)) {}
    Lease(Lease&& other) noexcept = default;
    ~Lease();
    pqxx::connection& operator*() { return *conn_; }
    pqxx::connection* operator->() { return conn_.get(); }

   private:
    Database* db_;
    std::unique_ptr<pqxx::connection> conn_;
  };

  // Borrows a connection, opening one if none is idle (blocking while the
  // pool is at its cap). Fails with the server's message if it cannot connect.
  Result<Lease> acquire();

  // A fresh connection outside the pool (for LISTEN, migrations, tools).
  Result<std::unique_ptr<pqxx::connection>> connect() const;

  const std::string& connection_string() const { return connection_string_; }

 private:
  void release(std::unique_ptr<pqxx::connection> conn);

  std::string connection_string_;
  std::size_t max_connections_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  std::size_t open_ = 0;
};

// Hides the password of a connection string or URL, for logs and errors.
std::string redact_connection_string(const std::string& connection_string);

// The passwords a connection string or URL names, each as written and as
// meant (URL user info percent-decoded; a quoted key=value password with
// its \' and \\ escapes undone), for the redactor. Pure.
std::vector<std::string> connection_passwords(const std::string& connection_string);

// A libpq or server message made safe to show: whatever the process-wide
// redactor knows is hidden, and so is the password of `connection_string`
// (as written and percent-decoded), which libpq may echo (a malformed URL:
// `invalid percent-encoded token: "…"`). Pure but for the redactor.
std::string redact_database_error(std::string_view message, const std::string& connection_string);

}  // namespace bottega
