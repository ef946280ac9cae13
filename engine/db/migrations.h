// Schema migrations: numbered SQL files from sql/ (compiled into the
// binary), applied in order, each in its own transaction, and recorded in
// the schema_migrations table.
// Thread-safety: concurrent callers (even in several processes) are
// serialized by a PostgreSQL advisory lock.
#pragma once

#include <pqxx/connection>
#include <string>
#include <vector>

#include "config/base/result.h"

namespace bottega {

struct Migration {
  int version;       // from the file name's leading digits: 0001_init.sql → 1
  std::string name;  // the file name
  std::string sql;
};

// The migrations in sql/, in version order.
const std::vector<Migration>& builtin_migrations();

// Applies every migration not yet recorded. Returns how many were applied
// (0 when the schema is current). A failing migration is rolled back, the
// ones before it stay applied, and the error names the file and carries the
// server's message.
Result<int> apply_migrations(pqxx::connection& conn, const std::vector<Migration>& migrations);

// How many of `migrations` are not applied yet (all of them when the
// schema_migrations table does not exist).
Result<int> pending_migrations(pqxx::connection& conn, const std::vector<Migration>& migrations);

}  // namespace bottega
