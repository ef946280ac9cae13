// App JWTs: what make_app_jwt signs and what verify_app_jwt accepts.
#include "github/jwt.h"

#include <gtest/gtest.h>

#include "github/error.h"
#include "tests/support/fake_github/fake_github.h"

namespace bottega::github {
namespace {

using namespace std::chrono_literals;

const fake_github::KeyPair& keys() {
  static const fake_github::KeyPair k = fake_github::generate_rsa_key_pair();
  return k;
}

std::string payload_of(const std::string& jwt) {
  auto a = jwt.find('.');
  auto b = jwt.find('.', a + 1);
  return *base64url_decode(jwt.substr(a + 1, b - a - 1));
}

TEST(Base64, RoundTripsEveryLengthInBothAlphabets) {
  std::string bytes;
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(*base64url_decode(base64url_encode(bytes)), bytes);
    EXPECT_EQ(*base64_decode(base64_encode(bytes)), bytes);
    bytes += static_cast<char>(i * 37 + 250);
  }
  EXPECT_EQ(base64_encode("hi?"), "aGk/");
  EXPECT_EQ(base64url_encode("hi?"), "aGk_");
  EXPECT_EQ(*base64_decode("aGVs\nbG8=\n"), "hello");  // GitHub wraps contents at 60 columns
  EXPECT_FALSE(base64url_decode("a*b").ok());
}

TEST(AppJwt, IsBackDatedSixtySecondsAndExpiresWithinTenMinutes) {
  auto now = std::chrono::system_clock::time_point(1'700'000'000s);
  auto jwt = make_app_jwt(keys().private_pem, "Iv1.abc", now, 3600s);
  ASSERT_TRUE(jwt.ok()) << jwt.error().message;
  EXPECT_EQ(payload_of(*jwt), R"({"iat":1699999940,"exp":1700000540,"iss":"Iv1.abc"})");
  auto header = *base64url_decode(jwt->substr(0, jwt->find('.')));
  EXPECT_EQ(header, R"({"alg":"RS256","typ":"JWT"})");
}

TEST(AppJwt, VerifiesWithThePublicKeyInsideItsWindow) {
  auto now = std::chrono::system_clock::now();
  auto jwt = make_app_jwt(keys().private_pem, "4242", now);
  ASSERT_TRUE(jwt.ok());
  auto v = verify_app_jwt(*jwt, keys().public_pem, now);
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(v->issuer, "4242");
  EXPECT_TRUE(verify_app_jwt(*jwt, keys().public_pem, now + 8min).ok());
}

TEST(AppJwt, RefusesExpiredTamperedAndForeignTokens) {
  auto now = std::chrono::system_clock::now();
  auto jwt = *make_app_jwt(keys().private_pem, "4242", now);
  EXPECT_NE(verify_app_jwt(jwt, keys().public_pem, now + 11min).error().message.find("expired"),
            std::string::npos);
  EXPECT_FALSE(verify_app_jwt(jwt, keys().public_pem, now - 5min).ok());  // not yet valid

  std::string tampered = jwt;
  auto dot = tampered.find('.');
  tampered[dot + 3] = tampered[dot + 3] == 'A' ? 'B' : 'A';
  EXPECT_NE(verify_app_jwt(tampered, keys().public_pem, now).error().message.find("signature"),
            std::string::npos);

  auto other = fake_github::generate_rsa_key_pair();
  EXPECT_FALSE(verify_app_jwt(jwt, other.public_pem, now).ok());
  EXPECT_FALSE(verify_app_jwt("not-a-jwt", keys().public_pem, now).ok());
}

TEST(AppJwt, RefusesAKeyThatIsNotRsa) {
  EXPECT_FALSE(make_app_jwt("garbage", "1", std::chrono::system_clock::now()).ok());
}

TEST(GitHubError, DescribesRouteStatusMessageAndRequestId) {
  GitHubError e;
  e.status = 422;
  e.route = "POST /repos/{owner}/{repo}/pulls";
  e.message = "Validation Failed";
  e.request_id = "ABCD:1234";
  EXPECT_EQ(e.describe(),
            "POST /repos/{owner}/{repo}/pulls: HTTP 422: Validation Failed (request ABCD:1234)");
  EXPECT_TRUE(e.is_validation_failed());
  EXPECT_FALSE(e.is_transient());
  e.status = 502;
  EXPECT_TRUE(e.is_transient());
  EXPECT_TRUE(GitHubError::transport_failure("reset").is_transient());
}

}  // namespace
}  // namespace bottega::github
