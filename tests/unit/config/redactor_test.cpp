// The one redactor: exact values and their encodings, names for refused
// pushes, unregistering, PEM lines, short values, concurrent use.
#include "config/base/redactor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace bottega {
namespace {

std::string base64(std::string_view bytes, bool url, bool pad) {
  const char* a = url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                      : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t n = (uint32_t(uint8_t(bytes[i])) << 16) | (uint32_t(uint8_t(bytes[i + 1])) << 8) |
                 uint8_t(bytes[i + 2]);
    for (int s : {18, 12, 6, 0}) out += a[(n >> s) & 63];
  }
  if (std::size_t rest = bytes.size() - i; rest > 0) {
    uint32_t n = uint32_t(uint8_t(bytes[i])) << 16;
    if (rest == 2) n |= uint32_t(uint8_t(bytes[i + 1])) << 8;
    out += a[(n >> 18) & 63];
    out += a[(n >> 12) & 63];
    if (rest == 2) out += a[(n >> 6) & 63];
    if (pad) out += rest == 2 ? "=" : "==";
  }
  return out;
}

constexpr const char* kSecret = "sk-ant-api03-Zq8vN2kLmP4xR7tY";

class RedactorTest : public ::testing::Test {
 protected:
  Redactor r_;
};

TEST_F(RedactorTest, ReplacesEveryOccurrenceOfTheExactValue) {
  r_.register_secret(kSecret, "harnesses.claude.api_key");
  EXPECT_EQ(r_.redact(std::string("key=") + kSecret + kSecret + " and " + kSecret + "."),
            "key=[REDACTED][REDACTED] and [REDACTED].");
  EXPECT_EQ(r_.redact("nothing to hide here"), "nothing to hide here");
  EXPECT_EQ(r_.redact(""), "");
  EXPECT_EQ(r_.redact("short"), "short");
}

TEST_F(RedactorTest, IgnoresValuesShorterThanEightBytes) {
  r_.register_secret("1234567", "seven");
  EXPECT_EQ(r_.secret_count(), 0u);
  EXPECT_EQ(r_.redact("1234567 1234567"), "1234567 1234567");
  r_.register_secret("12345678", "eight");
  EXPECT_EQ(r_.redact("x12345678x"), "x[REDACTED]x");
}

TEST_F(RedactorTest, FindsTheSecretInsideALongerBase64BlobAtEachAlignment) {
  r_.register_secret(kSecret, "the model key");
  // Prefixes of 0..5 bytes put the value at each of the three alignments
  // (twice); the suffix varies the end the same way.
  for (std::size_t prefix = 0; prefix < 6; ++prefix) {
    for (std::size_t suffix = 0; suffix < 3; ++suffix) {
      std::string payload = std::string("{\"auth\":\"").substr(0, prefix) + kSecret +
                            std::string("\"}\n").substr(0, suffix);
      for (bool url : {false, true}) {
        for (bool pad : {false, true}) {
          std::string blob = "data: " + base64(payload, url, pad) + " end";
          SCOPED_TRACE(blob);
          auto found = r_.find_secret(blob);
          ASSERT_TRUE(found.has_value());
          EXPECT_EQ(*found, "the model key");
          std::string redacted = r_.redact(blob);
          EXPECT_NE(redacted.find("[REDACTED]"), std::string::npos);
          EXPECT_FALSE(r_.find_secret(redacted).has_value());
          EXPECT_LT(redacted.size(), blob.size());
        }
      }
    }
  }
}

TEST_F(RedactorTest, TheThreeAlignmentsAreDistinctForms) {
  auto forms = secret_encodings(kSecret);
  std::string value(kSecret);
  for (std::size_t prefix = 0; prefix < 3; ++prefix) {
    std::string blob = base64(std::string(prefix, 'Q') + value + "QQQ", false, false);
    bool contained = false;
    for (const auto& f : forms)
      if (f != value && blob.find(f) != std::string::npos) contained = true;
    EXPECT_TRUE(contained) << "alignment " << prefix;
  }
}

TEST_F(RedactorTest, ReplacesAWholePaddedBase64Encoding) {
  r_.register_secret("ghs_16C7e42F292c6912E7710c838347Ae178B4a", "the installation token");
  std::string b = base64("ghs_16C7e42F292c6912E7710c838347Ae178B4a", false, true);
  EXPECT_EQ(r_.redact("Basic " + b + "!"), "Basic [REDACTED]!");
}

TEST_F(RedactorTest, FindsTheUrlEncodedForm) {
  r_.register_secret("p@ss w/rd+x&y=z", "the database password");
  EXPECT_EQ(r_.redact("https://h/?pw=p%40ss%20w%2Frd%2Bx%26y%3Dz&a=1"),
            "https://h/?pw=[REDACTED]&a=1");
  EXPECT_EQ(r_.redact("pw=p%40ss%20w%2frd%2bx%26y%3dz"), "pw=[REDACTED]");
  EXPECT_EQ(r_.find_secret("p%40ss%20w%2Frd%2Bx%26y%3Dz"), "the database password");
}

TEST_F(RedactorTest, FindsTheJsonEscapedFormOfAValueWithAQuoteAndABackslash) {
  r_.register_secret(R"(ab"cd\ef/12)", "webhook secret");
  EXPECT_EQ(r_.redact(R"({"k":"ab\"cd\\ef/12","n":1})"), R"({"k":"[REDACTED]","n":1})");
  EXPECT_EQ(r_.redact(R"({"k":"ab\"cd\\ef\/12"})"), R"({"k":"[REDACTED]"})");
  EXPECT_EQ(r_.redact(R"(raw ab"cd\ef/12)"), "raw [REDACTED]");
}

TEST_F(RedactorTest, FindsTheHexFormInBothCases) {
  r_.register_secret("Secret!1", "x");
  EXPECT_EQ(r_.redact("h=5365637265742131;"), "h=[REDACTED];");
  EXPECT_EQ(r_.redact("H=5365637265742131"), "H=[REDACTED]");  // digits only: same form
  r_.register_secret("zzzzzzzz", "y");
  EXPECT_EQ(r_.redact("7a7a7a7a7a7a7a7a 7A7A7A7A7A7A7A7A"), "[REDACTED] [REDACTED]");
}

TEST_F(RedactorTest, UnregisteredSecretsAreNoLongerRedacted) {
  r_.register_secret("turn-token-abcdef123", "a turn's gateway token");
  EXPECT_EQ(r_.redact("t=turn-token-abcdef123"), "t=[REDACTED]");
  r_.unregister_secret("turn-token-abcdef123");
  EXPECT_EQ(r_.redact("t=turn-token-abcdef123"), "t=turn-token-abcdef123");
  EXPECT_EQ(r_.secret_count(), 0u);
  r_.unregister_secret("never-registered-value");  // not an error
}

TEST_F(RedactorTest, AValueRegisteredTwiceNeedsTwoUnregistrations) {
  r_.register_secret("shared-value-0001", "first owner");
  r_.register_secret("shared-value-0001", "second owner");
  r_.unregister_secret("shared-value-0001");
  EXPECT_EQ(r_.redact("shared-value-0001"), "[REDACTED]");
  EXPECT_EQ(r_.find_secret("shared-value-0001"), "first owner");
  r_.unregister_secret("shared-value-0001");
  EXPECT_EQ(r_.redact("shared-value-0001"), "shared-value-0001");
}

TEST_F(RedactorTest, FindSecretNamesTheLeftmostSecretNeverTheValue) {
  r_.register_secret("alpha-secret-value", "the App private key");
  r_.register_secret("bravo-secret-value", "the installation token");
  EXPECT_EQ(r_.find_secret("x bravo-secret-value y alpha-secret-value"), "the installation token");
  EXPECT_EQ(r_.find_secret("nothing"), std::nullopt);
  EXPECT_EQ(r_.find_secret(base64("..alpha-secret-value..", false, true)), "the App private key");
}

TEST_F(RedactorTest, APemKeyIsFoundFromOneLeakedBodyLine) {
  std::string line1 = "MIIEowIBAAKCAQEAwJ7tq3c0Yxv9R1c2jNfzv8ZKLQwB2mY5kq3Z7l0p9xw4H1sT";
  std::string line2 = "Vb8nKp2u5Qj7yX0aDf3Gh6Ji9Lk1Mn4Op7Qr0St3Uv6Wx9Yz2Ab5Cd8Ef1Gh4Ij";
  std::string line3 = "q2Rs5Tu8Vw==";
  std::string pem = "-----BEGIN RSA PRIVATE KEY-----\n" + line1 + "\n" + line2 + "\r\n" + line3 +
                    "\n-----END RSA PRIVATE KEY-----\n";
  r_.register_pem(pem, "the App private key");
  EXPECT_EQ(r_.find_secret("cat key: " + line2 + " done"), "the App private key");
  EXPECT_EQ(r_.redact("> " + line1 + "\n"), "> [REDACTED]\n");
  EXPECT_EQ(r_.redact(line3), "[REDACTED]");
  EXPECT_EQ(r_.redact(pem), "[REDACTED]");
  // The armour lines alone are not secret.
  EXPECT_EQ(r_.find_secret("-----BEGIN RSA PRIVATE KEY-----"), std::nullopt);
  r_.unregister_pem(pem);
  EXPECT_EQ(r_.secret_count(), 0u);
}

TEST_F(RedactorTest, RedactInPlaceReportsWhetherItReplaced) {
  r_.register_secret("in-place-secret", "x");
  std::string clean = "clean text, long enough to scan";
  EXPECT_FALSE(r_.redact_in_place(clean));
  EXPECT_EQ(clean, "clean text, long enough to scan");
  std::string dirty = "a in-place-secret b";
  EXPECT_TRUE(r_.redact_in_place(dirty));
  EXPECT_EQ(dirty, "a [REDACTED] b");
}

TEST_F(RedactorTest, RegistrationAndRedactionFromManyThreads) {
  std::atomic<bool> leaked{false};
  r_.register_secret("long-lived-secret-1", "stable");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        std::string mine = "thread-" + std::to_string(t) + "-token-" + std::to_string(i);
        r_.register_secret(mine, "a turn's gateway token");
        std::string out = r_.redact("x " + mine + " long-lived-secret-1 y");
        if (out != "x [REDACTED] [REDACTED] y") leaked = true;
        r_.unregister_secret(mine);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_FALSE(leaked.load());
  EXPECT_EQ(r_.secret_count(), 1u);
}

TEST(GlobalRedactor, TheFreeFunctionsUseTheProcessWideRedactor) {
  register_secret("global-secret-for-test", "the webhook secret");
  EXPECT_EQ(redact("a global-secret-for-test b"), "a [REDACTED] b");
  EXPECT_EQ(find_secret("global-secret-for-test"), "the webhook secret");
  unregister_secret("global-secret-for-test");
  EXPECT_EQ(find_secret("global-secret-for-test"), std::nullopt);
}

}  // namespace
}  // namespace bottega
