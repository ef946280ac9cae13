#include "tests/support/postgres_fixture.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <pqxx/pqxx>

namespace bottega::testing {

std::string TestDatabase::admin_connection_string() {
  const char* url = std::getenv("BOTTEGA_TEST_DATABASE_URL");
  if (!url || !*url) {
    ADD_FAILURE() << "BOTTEGA_TEST_DATABASE_URL is not set: run the tests through "
                     "./deploy/test.sh, which starts a throwaway PostgreSQL server";
    return "";
  }
  return url;
}

TestDatabase::TestDatabase() {
  static std::atomic<int> counter{0};
  auto admin = admin_connection_string();
  if (admin.empty()) return;
  name_ = "bt_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
          std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 100000);
  try {
    pqxx::connection conn(admin);
    pqxx::nontransaction(conn).exec("CREATE DATABASE " + name_);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "cannot create test database: " << e.what();
    return;
  }
  connection_string_ = admin + " dbname=" + name_;
}

TestDatabase::~TestDatabase() {
  if (connection_string_.empty()) return;
  try {
    pqxx::connection conn(admin_connection_string());
    pqxx::nontransaction(conn).exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  } catch (const std::exception&) {  // the whole server is thrown away at the end anyway
  }
}

}  // namespace bottega::testing
