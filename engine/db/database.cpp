#include "engine/db/database.h"

#include <cctype>
#include <pqxx/except>
#include <regex>
#include <vector>

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

std::vector<std::string> connection_passwords(const std::string& s) {
  static const std::regex url_password(R"(://[^:/@]*:([^@]*)@)");
  static const std::regex kv_password(R"(password\s*=\s*('((?:[^'\\]|\\.)*)'|(\S+)))");
  std::vector<std::string> out;
  auto add = [&out](std::string written, std::string meant) {
    if (meant != written && !meant.empty()) out.push_back(std::move(meant));
    if (!written.empty()) out.push_back(std::move(written));
  };
  std::smatch m;
  if (std::regex_search(s, m, url_password)) {
    const std::string raw = m[1].str();
    std::string decoded;
    for (std::size_t k = 0; k < raw.size(); ++k) {
      if (raw[k] == '%' && k + 2 < raw.size() &&
          std::isxdigit(static_cast<unsigned char>(raw[k + 1])) &&
          std::isxdigit(static_cast<unsigned char>(raw[k + 2]))) {
        decoded += static_cast<char>(std::stoi(raw.substr(k + 1, 2), nullptr, 16));
        k += 2;
      } else {
        decoded += raw[k];
      }
    }
    add(raw, decoded);
  }
  for (auto it = std::sregex_iterator(s.begin(), s.end(), kv_password);
       it != std::sregex_iterator(); ++it) {
    if (!(*it)[2].matched) {
      add((*it)[3].str(), (*it)[3].str());
      continue;
    }
    const std::string written = (*it)[2].str();  // 'quoted', with \' and \\ escapes
    std::string meant;
    for (std::size_t i = 0; i < written.size(); ++i)
      meant += written[i] == '\\' && i + 1 < written.size() ? written[++i] : written[i];
    add(written, meant);
  }
  return out;
}

std::string redact_database_error(std::string_view message, const std::string& connection_string) {
  std::string out = redact(message);
  for (const auto& password : connection_passwords(connection_string)) {
    if (password.empty()) continue;
    for (auto at = out.find(password); at != std::string::npos; at = out.find(password, at))
      out.replace(at, password.size(), kRedacted), at += kRedacted.size();
  }
  return out;
}

}  // namespace bottega
