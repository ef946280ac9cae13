// The X-Hub-Signature-256 check on any header and body. Input: the header
// value, a newline, the body. A signature the app computes itself must
// always verify, and one byte of the body changed must not.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "github/webhook/signature.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto nl = input.find('\n');
  std::string_view header = nl == std::string_view::npos ? input : input.substr(0, nl);
  std::string_view body = nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1);
  constexpr std::string_view kSecret = "fuzz-secret";
  (void)bottega::describe(bottega::check_signature(kSecret, body, header));
  std::string good = bottega::sign_body(kSecret, body);
  if (bottega::check_signature(kSecret, body, good) != bottega::SignatureCheck::valid)
    __builtin_trap();
  if (!body.empty()) {
    std::string changed(body);
    changed[0] = static_cast<char>(changed[0] ^ 1);
    if (bottega::check_signature(kSecret, changed, good) != bottega::SignatureCheck::mismatch)
      __builtin_trap();
  }
  return 0;
}
