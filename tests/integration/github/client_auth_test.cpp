// The client's authentication against the fake GitHub: App JWT, the
// installation token cache (shared refresh, refresh before expiry,
// recovery from a revoked token) and GitHub's 401/404 answers.
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "tests/integration/github/github_fixture.h"

namespace bottega::testing {
namespace {

using namespace std::chrono_literals;

class ClientAuth : public GitHubFixture {};

TEST_F(ClientAuth, ConcurrentCallersShareOneTokenRequest) {
  auto client = make_client(client_options());
  ASSERT_TRUE(client);
  std::vector<std::thread> threads;
  std::vector<std::string> tokens(20);
  std::atomic<int> failures{0};
  for (int i = 0; i < 20; ++i)
    threads.emplace_back([&, i] {
      auto t = client->installation_token(installation_);
      if (t)
        tokens[i] = *t;
      else
        ++failures;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  for (auto& t : tokens) EXPECT_EQ(t, tokens[0]);
  EXPECT_EQ(seen(kTokenRoute, "POST").size(), 1u);

  // Later calls use the cached token.
  ASSERT_TRUE(client->get_file_contents(repo_, "README.md").ok());
  ASSERT_TRUE(client->collaborator_permission(repo_, "someone").ok());
  EXPECT_EQ(seen(kTokenRoute, "POST").size(), 1u);
}

TEST_F(ClientAuth, TokenIsRefreshedFiveMinutesBeforeItExpires) {
  // Six-minute tokens keep the test inside the JWT's clock-skew allowance:
  // the refresh happens when the client's clock is only 75 s ahead.
  TearDown();
  start_fake([](auto& o) { o.token_ttl = 6min; });
  auto client = make_client(client_options());
  ASSERT_TRUE(client);
  auto first = client->installation_token(installation_);
  ASSERT_TRUE(first.ok()) << first.error().describe();

  time_.advance(30s);  // 5.5 min left: still used
  auto same = client->installation_token(installation_);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(*same, *first);
  EXPECT_EQ(seen(kTokenRoute, "POST").size(), 1u);

  time_.advance(45s);  // 4.75 min left: under the 5 min margin, refreshed
  auto fresh = client->installation_token(installation_);
  ASSERT_TRUE(fresh.ok()) << fresh.error().describe();
  EXPECT_NE(*fresh, *first);
  EXPECT_EQ(seen(kTokenRoute, "POST").size(), 2u);
}

// An expiry the clock cannot hold (found by fuzz_github_answers: the year
// 2999 overflowed the nanoseconds) or not in GitHub's format is a decode
// error, not a token cached for ever.
TEST_F(ClientAuth, ATokenWhoseExpiryIsOutOfRangeOrMalformedIsRefused) {
  auto client = make_client(client_options());
  ASSERT_TRUE(client);
  for (const char* expiry : {"2999-01-01T00:00:00Z", "99999999999-01-01T00:00:00Z",
                             "2026-13-01T00:00:00Z", "2026-01-01 00:00:00", "soon"}) {
    fake_github::Fault f;
    f.kind = fake_github::Fault::Kind::body;
    f.status = 201;
    f.body = std::string(R"({"token":"ghs_odd","expires_at":")") + expiry + "\"}";
    fake_->inject_fault("POST", kTokenRoute, f);
    auto t = client->installation_token(installation_);
    ASSERT_FALSE(t.ok()) << expiry;
    EXPECT_EQ(t.error().kind, github::GitHubError::Kind::decode) << expiry;
  }
  // GitHub's own answer still works after them.
  auto t = client->installation_token(installation_);
  ASSERT_TRUE(t.ok()) << t.error().describe();
}

TEST_F(ClientAuth, RecoversFromARevokedTokenWithOneRefresh) {
  auto client = make_client(client_options());
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->get_file_contents(repo_, "README.md").ok());
  fake_->revoke_tokens(installation_);  // the cached token is now refused (401)

  auto again = client->get_file_contents(repo_, "README.md");
  ASSERT_TRUE(again.ok()) << again.error().describe();
  EXPECT_EQ(again->content, "# widgets\n");
  auto reads = seen("/repos/{owner}/{repo}/contents/{path}");
  ASSERT_EQ(reads.size(), 3u);
  EXPECT_EQ(reads[1].status, 401);
  EXPECT_EQ(reads[2].status, 304);  // same content: answered from the ETag cache
  EXPECT_EQ(seen(kTokenRoute, "POST").size(), 2u);
}

TEST_F(ClientAuth, PersistentUnauthorizedIsAnErrorAfterOneRetry) {
  // The fake refuses this App's JWT (wrong key), so no token can be had.
  auto options = client_options();
  options.private_key_pem = fake_github::generate_rsa_key_pair().private_pem;
  auto client = make_client(options);
  ASSERT_TRUE(client);
  auto result = client->get_pull(repo_, 1);
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(result.error().is_unauthorized()) << result.error().describe();
  EXPECT_EQ(result.error().route, "POST " + kTokenRoute);
  EXPECT_FALSE(result.error().request_id.empty());
  EXPECT_NE(result.error().message.find("signature"), std::string::npos) << result.error().message;
}

TEST_F(ClientAuth, AppEndpointsUseTheJwt) {
  auto client = make_client(client_options());
  ASSERT_TRUE(client);
  auto inst = client->repository_installation("acme", "widgets");
  ASSERT_TRUE(inst.ok()) << inst.error().describe();
  EXPECT_EQ(inst->id, installation_);
  EXPECT_EQ(inst->account_login, "acme");
  auto calls = seen("/repos/{owner}/{repo}/installation");
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].auth, "jwt");
  EXPECT_TRUE(seen(kTokenRoute).empty());

  auto missing = client->repository_installation("acme", "nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.error().is_not_found());
}

TEST_F(ClientAuth, AnotherInstallationsRepositoryIsNotFound) {
  int64_t other = fake_->add_installation("globex");
  ASSERT_TRUE(fake_->add_repository(other, "globex", "secret").ok());
  auto client = make_client(client_options());
  ASSERT_TRUE(client);
  // A token of installation acme asking for globex/secret: GitHub says 404.
  auto result =
      client->get_file_contents(github::Repo{installation_, "globex", "secret"}, "README.md");
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(result.error().is_not_found()) << result.error().describe();
  EXPECT_EQ(result.error().message, "Not Found");
  EXPECT_EQ(seen("/repos/{owner}/{repo}/contents/{path}").size(), 1u);  // 4xx: never retried
}

TEST_F(ClientAuth, RefusesAKeyThatIsNotAnRsaPrivateKey) {
  auto options = client_options();
  options.private_key_pem = "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n";
  auto made = github::GitHubClient::create(options, time_, time_);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.error().kind, github::GitHubError::Kind::auth);
}

TEST_F(ClientAuth, ReadsThePrivateKeyFromItsFile) {
  auto options = client_options();
  options.private_key_pem.clear();
  options.private_key_file = dir_ + "/app.pem";
  std::ofstream(options.private_key_file) << keys().private_pem;
  auto client = make_client(options);
  ASSERT_TRUE(client);
  EXPECT_TRUE(client->repository_installation("acme", "widgets").ok());

  options.private_key_file = dir_ + "/missing.pem";
  auto made = github::GitHubClient::create(options, time_, time_);
  ASSERT_FALSE(made.ok());
  EXPECT_NE(made.error().message.find("missing.pem"), std::string::npos) << made.error().message;
}

TEST_F(ClientAuth, UntrustedCertificateIsATransportError) {
  auto options = client_options();
  options.ca_file = "";  // system roots do not trust the test CA
  options.max_attempts = 1;
  auto client = make_client(options);
  ASSERT_TRUE(client);
  auto result = client->repository_installation("acme", "widgets");
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(result.error().is_transport()) << result.error().describe();
  EXPECT_TRUE(fake_->requests().empty());
}

}  // namespace
}  // namespace bottega::testing
