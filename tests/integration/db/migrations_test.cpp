#include "engine/db/migrations.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <pqxx/pqxx>

#include "engine/db/database.h"
#include "tests/support/postgres_fixture.h"

namespace bottega {
namespace {

bool table_exists(pqxx::connection& conn, const std::string& table) {
  pqxx::nontransaction tx(conn);
  return tx.exec_params1("SELECT to_regclass($1) IS NOT NULL", table)[0].as<bool>();
}

TEST(Migrations, BuiltinMigrationsAreNumberedInOrder) {
  const auto& m = builtin_migrations();
  ASSERT_FALSE(m.empty());
  EXPECT_EQ(m.front().name, "0001_init.sql");
  for (std::size_t i = 1; i < m.size(); ++i) EXPECT_LT(m[i - 1].version, m[i].version);
}

TEST(Migrations, ApplyThenReapplyIsANoOp) {
  testing::TestDatabase db;
  pqxx::connection conn(db.connection_string());
  auto pending = pending_migrations(conn, builtin_migrations());
  ASSERT_TRUE(pending.ok()) << pending.error().message;
  EXPECT_EQ(*pending, static_cast<int>(builtin_migrations().size()));

  auto first = apply_migrations(conn, builtin_migrations());
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(*first, static_cast<int>(builtin_migrations().size()));
  EXPECT_TRUE(table_exists(conn, "app_settings"));

  auto again = apply_migrations(conn, builtin_migrations());
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(*again, 0);
  EXPECT_EQ(*pending_migrations(conn, builtin_migrations()), 0);
}

TEST(Migrations, FailingMigrationIsRolledBackAndNamed) {
  testing::TestDatabase db;
  pqxx::connection conn(db.connection_string());
  std::vector<Migration> migrations = {
      {1, "0001_ok.sql", "CREATE TABLE first_table (id int)"},
      {2, "0002_bad.sql",
       "CREATE TABLE half_done (id int); SELECT no_such_column FROM first_table"},
  };
  auto result = apply_migrations(conn, migrations);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("0002_bad.sql"), std::string::npos)
      << result.error().message;
  EXPECT_NE(result.error().message.find("no_such_column"), std::string::npos)
      << result.error().message;
  EXPECT_TRUE(table_exists(conn, "first_table"));
  EXPECT_FALSE(table_exists(conn, "half_done"));  // its transaction was rolled back
  EXPECT_EQ(*pending_migrations(conn, migrations), 1);

  migrations[1].sql = "CREATE TABLE half_done (id int)";
  auto fixed = apply_migrations(conn, migrations);
  ASSERT_TRUE(fixed.ok()) << fixed.error().message;
  EXPECT_EQ(*fixed, 1);
  EXPECT_TRUE(table_exists(conn, "half_done"));
}

TEST(Migrations, ConcurrentMigratorsApplyEachMigrationOnce) {
  testing::TestDatabase db;
  std::vector<std::thread> threads;
  std::atomic<int> total{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      pqxx::connection conn(db.connection_string());
      auto r = apply_migrations(conn, builtin_migrations());
      if (r.ok()) total += *r;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(total.load(), static_cast<int>(builtin_migrations().size()));
}

TEST(DatabaseErrors, ConnectErrorNeverShowsThePassword) {
  // libpq echoes a malformed URL's user info (`invalid percent-encoded token`),
  // and a key=value string's password where it cannot parse it.
  for (const std::string url :
       {"postgresql://bottega:pa%zzsecret-word@/postgres?host=/nonexistent-dir",
        "postgresql://bottega:pa%40secret-word@/postgres?host=/nonexistent-dir&port=x"}) {
    Database db(url, 1);
    auto conn = db.connect();
    ASSERT_FALSE(conn.ok());
    EXPECT_EQ(conn.error().message.find("secret-word"), std::string::npos) << conn.error().message;
  }
}

TEST(DatabaseErrors, RedactDatabaseErrorHidesThePasswordAsWrittenAndDecoded) {
  EXPECT_EQ(redact_database_error(R"(invalid percent-encoded token: "pa%zzword")",
                                  "postgresql://u:pa%zzword@h/db"),
            R"(invalid percent-encoded token: "[REDACTED]")");
  EXPECT_EQ(redact_database_error("bad p@ssword-1 here", "postgresql://u:p%40ssword-1@h/db"),
            "bad [REDACTED] here");
  EXPECT_EQ(redact_database_error("x 'my secret' y", "host=h password='my secret'"),
            "x '[REDACTED]' y");
  EXPECT_EQ(redact_database_error("no password here", "host=h user=u"), "no password here");
}

}  // namespace
TEST(DatabaseErrors, ConnectionPasswordsAreFoundAsWrittenAndAsMeant) {
  auto has = [](const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  };
  auto url = connection_passwords("postgresql://bottega:pa%40ss-word@db.example/app");
  EXPECT_TRUE(has(url, "pa%40ss-word") && has(url, "pa@ss-word")) << ::testing::PrintToString(url);
  auto quoted = connection_passwords(R"(host=db user=u password='it\'s-a-secret' dbname=x)");
  EXPECT_TRUE(has(quoted, R"(it\'s-a-secret)") && has(quoted, "it's-a-secret"))
      << ::testing::PrintToString(quoted);
  auto plain = connection_passwords("host=db password=plain-secret dbname=x");
  EXPECT_EQ(plain, std::vector<std::string>{"plain-secret"});
  EXPECT_TRUE(connection_passwords("host=/run/pg user=bottega").empty());
}

}  // namespace bottega
