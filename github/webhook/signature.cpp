#include "github/webhook/signature.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <string>

namespace bottega {
namespace {

using Digest = std::array<unsigned char, 32>;

// HMAC-SHA256 with one context per thread, keyed again only when the secret
// changes. OpenSSL 3's one-shot HMAC() looks the algorithm up and sets up
// the key on every call: a third of the cost of checking an 8 KB delivery.
class ThreadHmac {
 public:
  ~ThreadHmac() {
    EVP_MAC_CTX_free(ctx_);
    OPENSSL_cleanse(key_.data(), key_.size());
  }

  // False when OpenSSL refused (the caller falls back to the one-shot).
  bool sign(std::string_view secret, std::string_view body, Digest& out) {
    static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr);
    if (!mac) return false;
    if (!ctx_ && !(ctx_ = EVP_MAC_CTX_new(mac))) return false;
    const bool rekey = !keyed_ || key_ != secret;
    if (rekey) {
      OPENSSL_cleanse(key_.data(), key_.size());
      key_.assign(secret);
      keyed_ = false;
    }
    char digest_name[] = "SHA256";
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
        OSSL_PARAM_construct_end()};
    // A null key restarts with the key set before.
    const auto* key = reinterpret_cast<const unsigned char*>(key_.data());
    if (!EVP_MAC_init(ctx_, rekey ? key : nullptr, rekey ? key_.size() : 0,
                      rekey ? params : nullptr))
      return false;
    keyed_ = true;
    std::size_t len = 0;
    if (!EVP_MAC_update(ctx_, reinterpret_cast<const unsigned char*>(body.data()), body.size()) ||
        !EVP_MAC_final(ctx_, out.data(), &len, out.size()) || len != out.size()) {
      keyed_ = false;
      return false;
    }
    return true;
  }

 private:
  EVP_MAC_CTX* ctx_ = nullptr;
  std::string key_;
  bool keyed_ = false;
};

Digest hmac_sha256(std::string_view secret, std::string_view body) {
  Digest out{};
  thread_local ThreadHmac hmac;
  if (hmac.sign(secret, body, out)) return out;
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), out.data(), &len);
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

SignatureCheck check_signature(std::string_view secret, std::string_view body,
                               std::string_view header) {
  if (header.empty()) return SignatureCheck::missing;
  constexpr std::string_view prefix = "sha256=";
  if (header.substr(0, prefix.size()) != prefix) return SignatureCheck::wrong_scheme;
  std::string_view hex = header.substr(prefix.size());
  if (hex.size() != 64) return SignatureCheck::malformed;
  Digest given{};
  for (std::size_t i = 0; i < given.size(); ++i) {
    int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return SignatureCheck::malformed;
    given[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  Digest expected = hmac_sha256(secret, body);
  return CRYPTO_memcmp(given.data(), expected.data(), expected.size()) == 0
             ? SignatureCheck::valid
             : SignatureCheck::mismatch;
}

std::string sign_body(std::string_view secret, std::string_view body) {
  static const char* digits = "0123456789abcdef";
  Digest d = hmac_sha256(secret, body);
  std::string out = "sha256=";
  for (unsigned char b : d) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

const char* describe(SignatureCheck check) {
  switch (check) {
    case SignatureCheck::valid:
      return "valid";
    case SignatureCheck::missing:
      return "missing X-Hub-Signature-256 header";
    case SignatureCheck::wrong_scheme:
      return "X-Hub-Signature-256 does not start with sha256=";
    case SignatureCheck::malformed:
      return "X-Hub-Signature-256 is not 64 hex digits";
    case SignatureCheck::mismatch:
      return "X-Hub-Signature-256 does not match the body";
  }
  return "unknown";
}

}  // namespace bottega
