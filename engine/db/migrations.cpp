#include "engine/db/migrations.h"

#include <pqxx/pqxx>
#include <set>

namespace bottega {
namespace {

// An arbitrary, fixed key for pg_advisory_lock: "bottega" in ASCII.
constexpr long long kMigrationLockKey = 0x626f7474656761;

std::set<int> applied_versions(pqxx::connection& conn) {
  pqxx::nontransaction tx(conn);
  std::set<int> versions;
  auto exists = tx.exec1("SELECT to_regclass('schema_migrations') IS NOT NULL");
  if (!exists[0].as<bool>()) return versions;
  for (const auto& row : tx.exec("SELECT version FROM schema_migrations"))
    versions.insert(row[0].as<int>());
  return versions;
}

}  // namespace

Result<int> apply_migrations(pqxx::connection& conn, const std::vector<Migration>& migrations) {
  try {
    pqxx::nontransaction(conn).exec_params("SELECT pg_advisory_lock($1)", kMigrationLockKey);
  } catch (const std::exception& e) {
    return make_error(std::string("cannot take the migration lock: ") + e.what());
  }
  struct Unlock {
    pqxx::connection& conn;
    ~Unlock() {
      try {
        pqxx::nontransaction(conn).exec_params("SELECT pg_advisory_unlock($1)", kMigrationLockKey);
      } catch (...) {  // the lock dies with the session anyway
      }
    }
  } unlock{conn};

  int applied = 0;
  try {
    pqxx::work create(conn);
    create.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version integer PRIMARY KEY,"
        " name text NOT NULL,"
        " applied_at timestamptz NOT NULL DEFAULT now())");
    create.commit();
  } catch (const std::exception& e) {
    return make_error(std::string("cannot create schema_migrations: ") + e.what());
  }

  std::set<int> done;
  try {
    done = applied_versions(conn);
  } catch (const std::exception& e) {
    return make_error(std::string("cannot read schema_migrations: ") + e.what());
  }
  for (const auto& m : migrations) {
    if (done.count(m.version)) continue;
    try {
      pqxx::work tx(conn);
      tx.exec(m.sql);
      tx.exec_params("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.version,
                     m.name);
      tx.commit();
      ++applied;
    } catch (const std::exception& e) {
      return make_error("migration " + m.name + " failed and was rolled back: " + e.what());
    }
  }
  return applied;
}

Result<int> pending_migrations(pqxx::connection& conn, const std::vector<Migration>& migrations) {
  try {
    auto done = applied_versions(conn);
    int pending = 0;
    for (const auto& m : migrations)
      if (!done.count(m.version)) ++pending;
    return pending;
  } catch (const std::exception& e) {
    return make_error(std::string("cannot read schema_migrations: ") + e.what());
  }
}

}  // namespace bottega
