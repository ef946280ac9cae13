// A fresh, empty database per test on the throwaway PostgreSQL server that
// deploy/test.sh starts; its admin connection string comes in
// $BOTTEGA_TEST_DATABASE_URL (libpq key=value form). Dropped on destruction.
#pragma once

#include <string>

namespace bottega::testing {

class TestDatabase {
 public:
  TestDatabase();  // fails the test (ADD_FAILURE) when the server is not there
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  const std::string& connection_string() const { return connection_string_; }
  const std::string& name() const { return name_; }

  // The admin connection string of the server; empty (with a test failure)
  // when the environment does not name one.
  static std::string admin_connection_string();

 private:
  std::string name_;
  std::string connection_string_;
};

}  // namespace bottega::testing
