// GitHub App JSON Web Tokens (RS256), made with OpenSSL.
// make_app_jwt signs what GitHub expects of an App: iat 60 s in the past
// (clock drift), exp at most 10 minutes after now, iss the client id or app
// id. verify_app_jwt is the other side (used by the fake GitHub), checking
// the signature with the App's public key and the time window.
// Thread-safety: free functions, safe from any thread.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "config/base/result.h"

namespace bottega::github {

// Base64url without padding (RFC 4648 §5), as JWTs use.
std::string base64url_encode(std::string_view bytes);
// Accepts with or without padding; fails on characters outside the alphabet.
Result<std::string> base64url_decode(std::string_view text);
// Standard base64 decoding that skips whitespace (GitHub's contents API
// wraps its base64 at 60 columns).
Result<std::string> base64_decode(std::string_view text);
std::string base64_encode(std::string_view bytes);

// A signed App JWT valid from now - 60 s to now + lifetime (capped at 600 s
// minus the 60 s back-dating, so exp - now <= 10 min). Fails when the PEM is
// not an RSA private key.
Result<std::string> make_app_jwt(const std::string& private_key_pem, const std::string& issuer,
                                 std::chrono::system_clock::time_point now,
                                 std::chrono::seconds lifetime = std::chrono::seconds(540));

struct VerifiedJwt {
  std::string issuer;
  std::chrono::system_clock::time_point issued_at;
  std::chrono::system_clock::time_point expires_at;
};

// Verifies an RS256 JWT with the public key (PEM) and checks that `now` is
// within [iat - 60 s, exp] and that exp - iat <= 11 minutes, as GitHub does.
// The error message says which check failed.
Result<VerifiedJwt> verify_app_jwt(std::string_view jwt, const std::string& public_key_pem,
                                   std::chrono::system_clock::time_point now);

}  // namespace bottega::github
