#include "github/jwt.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <simdjson.h>

#include <array>
#include <memory>

namespace bottega::github {
namespace {

constexpr std::string_view kUrlAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::string_view kStdAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string encode(std::string_view bytes, std::string_view alphabet, bool pad) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  if (i + 1 == bytes.size()) {
    uint32_t v = uint8_t(bytes[i]) << 16;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    if (pad) out += "==";
  } else if (i + 2 == bytes.size()) {
    uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    if (pad) out += '=';
  }
  return out;
}

Result<std::string> decode(std::string_view text, std::string_view alphabet, bool skip_space) {
  std::array<int, 256> table;
  table.fill(-1);
  for (std::size_t i = 0; i < alphabet.size(); ++i) table[uint8_t(alphabet[i])] = int(i);
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=') break;
    if (skip_space && (c == '\n' || c == '\r' || c == ' ' || c == '\t')) continue;
    int v = table[uint8_t(c)];
    if (v < 0) return make_error("invalid base64 character");
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += char((acc >> bits) & 0xff);
    }
  }
  return out;
}

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct PkeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

int64_t to_unix(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

std::string base64url_encode(std::string_view bytes) { return encode(bytes, kUrlAlphabet, false); }
Result<std::string> base64url_decode(std::string_view text) {
  return decode(text, kUrlAlphabet, false);
}
std::string base64_encode(std::string_view bytes) { return encode(bytes, kStdAlphabet, true); }
Result<std::string> base64_decode(std::string_view text) {
  return decode(text, kStdAlphabet, true);
}

Result<std::string> make_app_jwt(const std::string& private_key_pem, const std::string& issuer,
                                 std::chrono::system_clock::time_point now,
                                 std::chrono::seconds lifetime) {
  std::unique_ptr<BIO, BioDeleter> bio(
      BIO_new_mem_buf(private_key_pem.data(), static_cast<int>(private_key_pem.size())));
  std::unique_ptr<EVP_PKEY, PkeyDeleter> key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key || EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA)
    return make_error("the GitHub App private key is not a PEM RSA private key");
  if (lifetime > std::chrono::seconds(540)) lifetime = std::chrono::seconds(540);
  const int64_t iat = to_unix(now) - 60;
  const int64_t exp = to_unix(now) + lifetime.count();
  std::string header = base64url_encode(R"({"alg":"RS256","typ":"JWT"})");
  std::string issuer_json;
  for (char c : issuer) {
    if (c == '"' || c == '\\') issuer_json += '\\';
    issuer_json += c;
  }
  std::string payload =
      base64url_encode("{\"iat\":" + std::to_string(iat) + ",\"exp\":" + std::to_string(exp) +
                       ",\"iss\":\"" + issuer_json + "\"}");
  std::string signing_input = header + "." + payload;
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  std::size_t sig_len = 0;
  if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &sig_len,
                     reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1)
    return make_error("cannot sign the App JWT (OpenSSL)");
  std::string sig(sig_len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &sig_len,
                     reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1)
    return make_error("cannot sign the App JWT (OpenSSL)");
  sig.resize(sig_len);
  return signing_input + "." + base64url_encode(sig);
}

Result<VerifiedJwt> verify_app_jwt(std::string_view jwt, const std::string& public_key_pem,
                                   std::chrono::system_clock::time_point now) {
  auto dot1 = jwt.find('.');
  auto dot2 = dot1 == std::string_view::npos ? dot1 : jwt.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos) return make_error("not a JWT");
  auto header = base64url_decode(jwt.substr(0, dot1));
  auto payload = base64url_decode(jwt.substr(dot1 + 1, dot2 - dot1 - 1));
  auto sig = base64url_decode(jwt.substr(dot2 + 1));
  if (!header || !payload || !sig) return make_error("JWT is not base64url");
  if (header->find("\"RS256\"") == std::string::npos) return make_error("JWT alg is not RS256");

  std::unique_ptr<BIO, BioDeleter> bio(
      BIO_new_mem_buf(public_key_pem.data(), static_cast<int>(public_key_pem.size())));
  std::unique_ptr<EVP_PKEY, PkeyDeleter> key(
      PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return make_error("the App public key is not a PEM public key");
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  std::string_view signing_input = jwt.substr(0, dot2);
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig->data()), sig->size(),
                       reinterpret_cast<const unsigned char*>(signing_input.data()),
                       signing_input.size()) != 1)
    return make_error("JWT signature does not verify with the App public key");

  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(*payload).get(doc)) return make_error("JWT payload is not JSON");
  int64_t iat = 0, exp = 0;
  std::string_view iss;
  if (doc["iat"].get_int64().get(iat) || doc["exp"].get_int64().get(exp))
    return make_error("JWT lacks iat or exp");
  if (auto s = doc["iss"].get_string(); !s.error()) {
    iss = s.value();
  } else if (auto n = doc["iss"].get_int64(); !n.error()) {
    // GitHub accepts a numeric app id as iss.
    static thread_local std::string tmp;
    tmp = std::to_string(n.value());
    iss = tmp;
  } else {
    return make_error("JWT lacks iss");
  }
  const int64_t t = to_unix(now);
  if (exp < t) return make_error("JWT expired");
  if (iat > t + 60) return make_error("JWT iat is in the future");
  if (exp - iat > 660) return make_error("JWT exp is too far in the future");
  VerifiedJwt v;
  v.issuer = std::string(iss);
  v.issued_at = std::chrono::system_clock::time_point(std::chrono::seconds(iat));
  v.expires_at = std::chrono::system_clock::time_point(std::chrono::seconds(exp));
  return v;
}

}  // namespace bottega::github
