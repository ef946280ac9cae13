#include "github/webhook/signature.h"

#include <gtest/gtest.h>

namespace bottega {
namespace {

constexpr const char* kSecret = "It's a Secret to Everybody";
constexpr const char* kBody = "Hello, World!";
constexpr const char* kKnown =
    "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

TEST(WebhookSignature, GitHubsKnownVectorIsValid) {
  EXPECT_EQ(sign_body(kSecret, kBody), kKnown);
  EXPECT_EQ(check_signature(kSecret, kBody, kKnown), SignatureCheck::valid);
}

TEST(WebhookSignature, UppercaseHexIsAccepted) {
  std::string upper = kKnown;
  for (std::size_t i = 7; i < upper.size(); ++i)
    upper[i] = static_cast<char>(std::toupper(upper[i]));
  EXPECT_EQ(check_signature(kSecret, kBody, upper), SignatureCheck::valid);
}

TEST(WebhookSignature, MissingHeader) {
  EXPECT_EQ(check_signature(kSecret, kBody, ""), SignatureCheck::missing);
}

TEST(WebhookSignature, WrongAlgorithmPrefix) {
  std::string sha1 = std::string("sha1=") + (kKnown + 7);
  EXPECT_EQ(check_signature(kSecret, kBody, sha1), SignatureCheck::wrong_scheme);
  EXPECT_EQ(check_signature(kSecret, kBody, kKnown + 7), SignatureCheck::wrong_scheme);
}

TEST(WebhookSignature, BodyAlteredByOneByte) {
  EXPECT_EQ(check_signature(kSecret, "Hello, World?", kKnown), SignatureCheck::mismatch);
  EXPECT_EQ(check_signature(kSecret, "Hello, World!\n", kKnown), SignatureCheck::mismatch);
}

TEST(WebhookSignature, WrongSecret) {
  EXPECT_EQ(check_signature("another secret", kBody, kKnown), SignatureCheck::mismatch);
}

TEST(WebhookSignature, BadSignatureOfRightShape) {
  std::string flipped = kKnown;
  flipped.back() = flipped.back() == '7' ? '8' : '7';
  EXPECT_EQ(check_signature(kSecret, kBody, flipped), SignatureCheck::mismatch);
}

TEST(WebhookSignature, MalformedHex) {
  EXPECT_EQ(check_signature(kSecret, kBody, "sha256=abc"), SignatureCheck::malformed);
  std::string bad = kKnown;
  bad[10] = 'z';
  EXPECT_EQ(check_signature(kSecret, kBody, bad), SignatureCheck::malformed);
}

// The HMAC context is kept per thread and keyed again when the secret
// changes (a rotated webhook secret): alternating secrets, repeated bodies
// and an empty key each give the standard answer.
TEST(WebhookSignature, AlternatingSecretsEachGiveTheirOwnSignature) {
  // RFC 4231, test case 2.
  constexpr const char* kRfcKey = "Jefe";
  constexpr const char* kRfcData = "what do ya want for nothing?";
  constexpr const char* kRfcMac =
      "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
  // HMAC-SHA256 with an empty key of an empty message.
  constexpr const char* kEmptyMac =
      "sha256=b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad";
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(sign_body(kSecret, kBody), kKnown);
    EXPECT_EQ(sign_body(kRfcKey, kRfcData), kRfcMac);
    EXPECT_EQ(sign_body(kRfcKey, kRfcData), kRfcMac);
    EXPECT_EQ(check_signature(kSecret, kBody, kKnown), SignatureCheck::valid);
    EXPECT_EQ(check_signature(kRfcKey, kBody, kKnown), SignatureCheck::mismatch);
    EXPECT_EQ(sign_body("", ""), kEmptyMac);
  }
}

}  // namespace
}  // namespace bottega
