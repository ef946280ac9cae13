// The fake GitHub's sign-in of people (fake_oauth.h), as GitHub answers
// it: the authorize page, the code exchange and its errors, GET /user.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "tests/support/fake_github/fake_github.h"
#include "tests/support/shell.h"

namespace bottega::testing {
namespace {

class FakeOAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = "/var/tmp/bottega-fake-oauth-" + std::to_string(::getpid());
    fake_github::FakeGitHubOptions o;
    o.state_dir = dir_;
    o.app_client_id = "Iv1.abc";
    o.app_client_secret = "s3cret";
    fake_ = std::make_unique<fake_github::FakeGitHub>(o);
    ASSERT_TRUE(fake_->start().ok());
    base_ = fake_->base_url();
  }
  void TearDown() override {
    fake_->stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  // The code the authorize page hands `login` (from its redirect).
  std::string code_for(const std::string& login, const std::string& redirect) {
    auto r = run_shell("curl -s -o /dev/null -w '%{redirect_url}' " +
                       shell_quote(base_ +
                                   "/login/oauth/authorize?client_id=Iv1.abc&state=st1"
                                   "&redirect_uri=" +
                                   redirect + "&login=" + login));
    auto at = r.out.find("code=");
    EXPECT_NE(at, std::string::npos) << r.out;
    EXPECT_NE(r.out.find("&state=st1"), std::string::npos) << r.out;
    return at == std::string::npos ? "" : r.out.substr(at + 5, r.out.find('&', at) - at - 5);
  }
  HttpAnswer exchange(const std::string& code, const std::string& secret = "s3cret") {
    return curl("-H 'Accept: application/json' -d " +
                shell_quote("client_id=Iv1.abc&client_secret=" + secret + "&code=" + code) + " " +
                shell_quote(base_ + "/login/oauth/access_token"));
  }
  std::string dir_, base_;
  std::unique_ptr<fake_github::FakeGitHub> fake_;
};

TEST_F(FakeOAuthTest, TheAuthorizePageAsksWhoSignsInForAKnownAppOnly) {
  auto page = curl(shell_quote(base_ + "/login/oauth/authorize?client_id=Iv1.abc&state=x"
                                       "&redirect_uri=http://127.0.0.1:1/cb"));
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("id=\"authorize\""), std::string::npos);
  EXPECT_EQ(curl(shell_quote(base_ + "/login/oauth/authorize?client_id=nope"
                                     "&redirect_uri=http://127.0.0.1:1/cb"))
                .status,
            404);
}

TEST_F(FakeOAuthTest, ACodeBuysOneUserTokenAndTheTokenSaysWhoItIs) {
  const std::string code = code_for("wanda", "http://127.0.0.1:1/cb");
  auto token = exchange(code);
  EXPECT_EQ(token.status, 200);
  auto at = token.body.find("\"access_token\":\"ghu_");
  ASSERT_NE(at, std::string::npos) << token.body;
  const std::string value = token.body.substr(at + 16, token.body.find('"', at + 16) - at - 16);
  auto user = curl("-H " + shell_quote("Authorization: Bearer " + value) + " " +
                   shell_quote(base_ + "/user"));
  EXPECT_EQ(user.status, 200);
  EXPECT_NE(user.body.find("\"login\":\"wanda\""), std::string::npos) << user.body;
  // A code works once.
  EXPECT_NE(exchange(code).body.find("bad_verification_code"), std::string::npos);
  EXPECT_EQ(curl("-H 'Authorization: Bearer ghu_unknown' " + shell_quote(base_ + "/user")).status,
            401);
}

TEST_F(FakeOAuthTest, AWrongClientSecretIsRefusedAsGitHubDoes) {
  const std::string code = code_for("wanda", "http://127.0.0.1:1/cb");
  auto refused = exchange(code, "wrong");
  EXPECT_EQ(refused.status, 200);
  EXPECT_NE(refused.body.find("incorrect_client_credentials"), std::string::npos) << refused.body;
}

}  // namespace
}  // namespace bottega::testing
