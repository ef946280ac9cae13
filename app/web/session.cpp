#include "app/web/session.h"

#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cctype>
#include <charconv>
#include <stdexcept>

namespace bottega::web {
namespace {

std::string hex(const unsigned char* data, std::size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[data[i] >> 4];
    out += digits[data[i] & 15];
  }
  return out;
}

std::string hmac_hex(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  return hex(mac, len);
}

std::optional<int64_t> parse_i64(std::string_view s) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// Splits "a|b|c" into exactly `n` fields.
bool split(std::string_view s, std::size_t n, std::string_view* out) {
  for (std::size_t i = 0; i + 1 < n; ++i) {
    auto bar = s.find('|');
    if (bar == std::string_view::npos) return false;
    out[i] = s.substr(0, bar);
    s.remove_prefix(bar + 1);
  }
  if (s.find('|') != std::string_view::npos) return false;
  out[n - 1] = s;
  return true;
}

}  // namespace

CookieSigner::CookieSigner(std::string_view secret)
    : key_(hmac_hex(secret, "bottega web session cookies v1")) {}

std::string CookieSigner::sign(std::string_view payload) const {
  return std::string(payload) + "." + hmac_hex(key_, payload);
}

std::optional<std::string> CookieSigner::verify(std::string_view cookie) const {
  auto dot = cookie.rfind('.');
  if (dot == std::string_view::npos) return std::nullopt;
  auto payload = cookie.substr(0, dot);
  auto mac = cookie.substr(dot + 1);
  const std::string expected = hmac_hex(key_, payload);
  if (mac.size() != expected.size() || CRYPTO_memcmp(mac.data(), expected.data(), mac.size()) != 0)
    return std::nullopt;
  return std::string(payload);
}

std::string CookieSigner::session(std::string_view login, int64_t expires) const {
  return sign("s|" + std::string(login) + "|" + std::to_string(expires));
}

std::optional<std::string> CookieSigner::session_login(std::string_view value, int64_t now) const {
  auto payload = verify(value);
  if (!payload) return std::nullopt;
  std::string_view f[3];
  if (!split(*payload, 3, f) || f[0] != "s" || f[1].empty()) return std::nullopt;
  auto expires = parse_i64(f[2]);
  if (!expires || *expires <= now) return std::nullopt;
  return std::string(f[1]);
}

std::string CookieSigner::state(std::string_view nonce, std::string_view return_path,
                                int64_t expires) const {
  return sign("o|" + std::string(nonce) + "|" + std::string(return_path) + "|" +
              std::to_string(expires));
}

std::optional<std::string> CookieSigner::state_return(std::string_view value,
                                                      std::string_view nonce, int64_t now) const {
  auto payload = verify(value);
  if (!payload || nonce.empty()) return std::nullopt;
  std::string_view f[4];
  if (!split(*payload, 4, f) || f[0] != "o") return std::nullopt;
  if (f[1].size() != nonce.size() || CRYPTO_memcmp(f[1].data(), nonce.data(), nonce.size()) != 0)
    return std::nullopt;
  auto expires = parse_i64(f[3]);
  if (!expires || *expires <= now) return std::nullopt;
  return safe_return_path(f[2]);
}

std::string cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    auto semi = header.find(';');
    auto part = header.substr(0, semi);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    auto eq = part.find('=');
    if (eq != std::string_view::npos && part.substr(0, eq) == name) {
      auto v = part.substr(eq + 1);
      while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
      return std::string(v);
    }
    if (semi == std::string_view::npos) break;
    header.remove_prefix(semi + 1);
  }
  return "";
}

std::string set_cookie(std::string_view name, std::string_view value, int64_t max_age,
                       bool secure) {
  std::string out = std::string(name) + "=" + std::string(value) +
                    "; Path=/; HttpOnly; SameSite=Lax; Max-Age=" + std::to_string(max_age);
  if (secure) out += "; Secure";
  return out;
}

std::string random_hex(std::size_t n) {
  std::string bytes(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(n)) != 1)
    throw std::runtime_error("no random bytes from OpenSSL");
  return hex(reinterpret_cast<const unsigned char*>(bytes.data()), n);
}

std::string safe_return_path(std::string_view path) {
  // Only "/tasks" and below: never another host ("//evil", "/\\evil").
  if (path == "/tasks") return std::string(path);
  if (path.rfind("/tasks/", 0) != 0) return "/tasks";
  for (char c : path)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '-' || c == '_'))
      return "/tasks";
  return std::string(path);
}

}  // namespace bottega::web
