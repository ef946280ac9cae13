// Webhook signature check: X-Hub-Signature-256 is "sha256=" followed by the
// hex HMAC-SHA256 of the raw body under the webhook secret. Checked over the
// raw bytes before anything parses them, in constant time.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace bottega {

enum class SignatureCheck {
  valid,
  missing,       // no header
  wrong_scheme,  // not "sha256=..." (e.g. the legacy sha1 header value)
  malformed,     // not 64 hex digits
  mismatch,      // a well-formed signature of other bytes or another secret
};

SignatureCheck check_signature(std::string_view secret, std::string_view body,
                               std::string_view header);

// "sha256=<hex>" for body under secret (what GitHub sends; the fake uses it).
std::string sign_body(std::string_view secret, std::string_view body);

const char* describe(SignatureCheck check);

}  // namespace bottega
