#include "engine/db/database.h"

#include <pqxx/except>
#include <regex>

namespace bottega {

Database::Database(std::string connection_string, std::size_t max_connections)
    : connection_string_(std::move(connection_string)), max_connections_(max_connections) {}

Database::~Database() = default;

Database::Lease::~Lease() {
  if (conn_) db_->release(std::move(conn_));
}

Result<std::unique_ptr<pqxx::connection>> Database::connect() const {
  try {
    return std::make_unique<pqxx::connection>(connection_string_);
  } catch (const std::exception& e) {
    return make_error("cannot connect to PostgreSQL (" +
                      redact_connection_string(connection_string_) + "): " + e.what());
  }
}

Result<Database::Lease> Database::acquire() {
  {
    std::unique_lock lock(mutex_);
    available_.wait(lock, [&] { return !idle_.empty() || open_ < max_connections_; });
    while (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      if (conn->is_open()) return Lease(*this, std::move(conn));
      --open_;
    }
    ++open_;
  }
  auto conn = connect();
  if (!conn) {
    std::lock_guard lock(mutex_);
    --open_;
    available_.notify_one();
    return conn.error();
  }
  return Lease(*this, std::move(*conn));
}

void Database::release(std::unique_ptr<pqxx::connection> conn) {
  std::lock_guard lock(mutex_);
  if (conn->is_open()) {
    idle_.push_back(std::move(conn));
  } else {
    --open_;
  }
  available_.notify_one();
}

std::string redact_connection_string(const std::string& s) {
  static const std::regex url_password(R"((://[^:/@]+):[^@]*@)");
  static const std::regex kv_password(R"(password\s*=\s*('[^']*'|\S+))");
  std::string out = std::regex_replace(s, url_password, "$1:***@");
  return std::regex_replace(out, kv_password, "password=***");
}

}  // namespace bottega
