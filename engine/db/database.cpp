#include "engine/db/database.h"

#include <cctype>
#include <pqxx/except>
#include <vector>
#include <regex>

#include "config/base/redactor.h"

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
                      redact_connection_string(connection_string_) +
                      "): " + redact_database_error(e.what(), connection_string_));
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

namespace {

// The passwords a connection string names (URL user info, password=),
// as written and percent-decoded.
std::vector<std::string> passwords_in(const std::string& s) {
  std::vector<std::string> out;
  static const std::regex url_password(R"(://[^:/@]*:([^@]*)@)");
  static const std::regex kv_password(R"(password\s*=\s*('([^']*)'|(\S+)))");
  std::smatch m;
  if (std::regex_search(s, m, url_password)) out.push_back(m[1].str());
  for (auto it = std::sregex_iterator(s.begin(), s.end(), kv_password); it != std::sregex_iterator();
       ++it)
    out.push_back((*it)[2].matched ? (*it)[2].str() : (*it)[3].str());
  const auto n = out.size();
  for (std::size_t i = 0; i < n; ++i) {
    std::string decoded;
    const std::string& raw = out[i];
    for (std::size_t k = 0; k < raw.size(); ++k) {
      if (raw[k] == '%' && k + 2 < raw.size() && std::isxdigit(static_cast<unsigned char>(raw[k + 1])) &&
          std::isxdigit(static_cast<unsigned char>(raw[k + 2]))) {
        decoded += static_cast<char>(std::stoi(raw.substr(k + 1, 2), nullptr, 16));
        k += 2;
      } else {
        decoded += raw[k];
      }
    }
    if (decoded != raw) out.push_back(std::move(decoded));
  }
  return out;
}

}  // namespace

std::string redact_database_error(std::string_view message, const std::string& connection_string) {
  std::string out = redact(message);
  for (const auto& password : passwords_in(connection_string)) {
    if (password.empty()) continue;
    for (auto at = out.find(password); at != std::string::npos; at = out.find(password, at))
      out.replace(at, password.size(), kRedacted), at += kRedacted.size();
  }
  return out;
}

}  // namespace bottega
