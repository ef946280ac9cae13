// The App registered through the setup page, in the database (so every
// serve and worker host sharing it has it), its secrets sealed by a
// SecretBox; and the setup page's one-time tokens, kept as SHA-256 hashes.
// Thread-safety: functions over the connection given (one thread at a time
// per connection). Ownership: values only.
#pragma once

#include <cstdint>
#include <optional>
#include <pqxx/pqxx>
#include <string>

#include "config/base/result.h"
#include "engine/db/secret_box.h"

namespace bottega {

struct StoredApp {
  int64_t app_id = 0;
  std::string slug;
  std::string client_id;
  std::string owner;
  std::string html_url;
  std::string client_secret;    // sealed at rest
  std::string private_key_pem;  // sealed at rest
  std::string webhook_secret;   // sealed at rest
};

// The registered App, or nullopt when none is.
Result<std::optional<StoredApp>> load_app_registration(pqxx::connection& conn,
                                                       const SecretBox& box);
// Stores the App (replacing one stored before) and drops every setup token:
// the setup page is gone once an App is registered.
Result<void> save_app_registration(pqxx::connection& conn, const SecretBox& box,
                                   const StoredApp& app);

// Setup tokens: a new one (its hash stored; the token is returned, for the
// log only), whether one is valid, and the manifest `state` bound to it.
Result<std::string> create_setup_token(pqxx::connection& conn);
Result<bool> setup_token_valid(pqxx::connection& conn, const std::string& token);
// A fresh state bound to the token (each page shown gets its own).
Result<std::string> new_setup_state(pqxx::connection& conn, const std::string& token);
// True when `state` was handed out for a token still valid.
Result<bool> setup_state_valid(pqxx::connection& conn, const std::string& state);

// 32 random bytes as 64 hex digits.
std::string random_hex_token();

}  // namespace bottega
