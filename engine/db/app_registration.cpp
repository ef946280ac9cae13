#include "engine/db/app_registration.h"

#include <openssl/rand.h>
#include <openssl/sha.h>

namespace bottega {
namespace {

std::string sha256(const std::string& text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

pqxx::binarystring bytes(const std::string& s) { return pqxx::binarystring(s); }

// The sealed document: the three secrets separated by NUL (none holds one).
std::string pack(const StoredApp& app) {
  return app.client_secret + '\0' + app.private_key_pem + '\0' + app.webhook_secret;
}

bool unpack(const std::string& text, StoredApp& app) {
  auto a = text.find('\0');
  if (a == std::string::npos) return false;
  auto b = text.find('\0', a + 1);
  if (b == std::string::npos) return false;
  app.client_secret = text.substr(0, a);
  app.private_key_pem = text.substr(a + 1, b - a - 1);
  app.webhook_secret = text.substr(b + 1);
  return true;
}

template <class F>
auto guarded(const char* what, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    return make_error(std::string(what) + ": " + e.what());
  }
}

}  // namespace

std::string random_hex_token() {
  unsigned char raw[32];
  if (RAND_bytes(raw, sizeof raw) != 1) return {};
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

Result<std::optional<StoredApp>> load_app_registration(pqxx::connection& conn,
                                                       const SecretBox& box) {
  return guarded("cannot read the registered App", [&]() -> Result<std::optional<StoredApp>> {
    pqxx::read_transaction tx(conn);
    auto rows = tx.exec(
        "SELECT app_id, slug, client_id, owner, html_url, secrets FROM app_registration WHERE id = "
        "1");
    tx.commit();
    if (rows.empty()) return std::optional<StoredApp>();
    StoredApp app;
    app.app_id = rows[0][0].as<int64_t>();
    app.slug = rows[0][1].as<std::string>();
    app.client_id = rows[0][2].as<std::string>();
    app.owner = rows[0][3].as<std::string>();
    app.html_url = rows[0][4].as<std::string>();
    pqxx::binarystring sealed(rows[0][5]);
    auto opened = box.open(sealed.str());
    if (!opened) return opened.error();
    if (!unpack(*opened, app)) return make_error("the stored App credentials are malformed");
    return std::optional<StoredApp>(std::move(app));
  });
}

Result<void> save_app_registration(pqxx::connection& conn, const SecretBox& box,
                                   const StoredApp& app) {
  auto sealed = box.seal(pack(app));
  if (!sealed) return sealed.error();
  return guarded("cannot store the registered App", [&]() -> Result<void> {
    pqxx::work tx(conn);
    tx.exec_params(
        "INSERT INTO app_registration (id, app_id, slug, client_id, owner, html_url, secrets) "
        "VALUES (1, $1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO UPDATE SET app_id = $1, slug = $2, "
        "client_id = $3, owner = $4, html_url = $5, secrets = $6, created_at = now()",
        app.app_id, app.slug, app.client_id, app.owner, app.html_url, bytes(*sealed));
    tx.exec("DELETE FROM setup_tokens");
    tx.commit();
    return {};
  });
}

Result<std::string> create_setup_token(pqxx::connection& conn) {
  std::string token = random_hex_token();
  if (token.empty()) return make_error("no random bytes for the setup token");
  return guarded("cannot store the setup token", [&]() -> Result<std::string> {
    pqxx::work tx(conn);
    tx.exec_params("INSERT INTO setup_tokens (token_sha256) VALUES ($1)", bytes(sha256(token)));
    tx.commit();
    return token;
  });
}

Result<bool> setup_token_valid(pqxx::connection& conn, const std::string& token) {
  if (token.empty()) return false;
  return guarded("cannot check the setup token", [&]() -> Result<bool> {
    pqxx::read_transaction tx(conn);
    auto r =
        tx.exec_params("SELECT 1 FROM setup_tokens WHERE token_sha256 = $1", bytes(sha256(token)));
    tx.commit();
    return !r.empty();
  });
}

Result<std::string> new_setup_state(pqxx::connection& conn, const std::string& token) {
  std::string state = random_hex_token();
  return guarded("cannot store the setup state", [&]() -> Result<std::string> {
    pqxx::work tx(conn);
    auto r = tx.exec_params(
        "INSERT INTO setup_states (state, token_sha256) SELECT $2, token_sha256 FROM setup_tokens "
        "WHERE token_sha256 = $1",
        bytes(sha256(token)), state);
    tx.commit();
    if (r.affected_rows() != 1) return make_error("the setup token is no longer valid");
    return state;
  });
}

Result<bool> setup_state_valid(pqxx::connection& conn, const std::string& state) {
  if (state.empty()) return false;
  return guarded("cannot check the setup state", [&]() -> Result<bool> {
    pqxx::read_transaction tx(conn);
    auto r = tx.exec_params("SELECT 1 FROM setup_states WHERE state = $1", state);
    tx.commit();
    return !r.empty();
  });
}

}  // namespace bottega
