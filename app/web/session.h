// Signed cookies for the web pages: the session (who signed in, until
// when) and the sign-in's state (the OAuth `state` and where to go after).
// A cookie is "<payload>.<hex HMAC-SHA256 of payload>"; the key is derived
// from the App's client secret, so every host sharing the App accepts the
// others' sessions and a new client secret ends every session.
// Thread-safety: const methods only; safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bottega::web {

inline constexpr std::string_view kSessionCookie = "bottega_session";
inline constexpr std::string_view kStateCookie = "bottega_signin";
inline constexpr int64_t kSessionSeconds = 8 * 3600;
inline constexpr int64_t kStateSeconds = 600;

class CookieSigner {
 public:
  // `secret` is the App's client secret (or any secret shared by the hosts).
  explicit CookieSigner(std::string_view secret);

  // "<payload>.<mac>"; the payload must not contain ';', ',' or spaces.
  std::string sign(std::string_view payload) const;
  // The payload when the MAC matches (compared in constant time), else nullopt.
  std::optional<std::string> verify(std::string_view cookie) const;

  // The session cookie's value for `login`, valid until `expires` (unix s).
  std::string session(std::string_view login, int64_t expires) const;
  // The login of a valid, unexpired session value; nullopt otherwise.
  std::optional<std::string> session_login(std::string_view value, int64_t now) const;

  // The sign-in state: a random nonce, the path to return to, an expiry.
  std::string state(std::string_view nonce, std::string_view return_path, int64_t expires) const;
  // The return path when `value` is a valid, unexpired state for `nonce`.
  std::optional<std::string> state_return(std::string_view value, std::string_view nonce,
                                          int64_t now) const;

 private:
  std::string key_;
};

// The value of cookie `name` in a Cookie header, or "".
std::string cookie_value(std::string_view header, std::string_view name);

// A Set-Cookie value: HttpOnly, SameSite=Lax, Path=/, Secure when `secure`;
// max_age 0 deletes it.
std::string set_cookie(std::string_view name, std::string_view value, int64_t max_age, bool secure);

// `n` random bytes as hex (OpenSSL's generator).
std::string random_hex(std::size_t n);

// A local path safe to redirect to ("/tasks/7"), else "/tasks".
std::string safe_return_path(std::string_view path);

}  // namespace bottega::web
