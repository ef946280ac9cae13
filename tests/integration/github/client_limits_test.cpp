// The client's rate-limit governor and retries against the fake GitHub's
// injected faults. Every wait goes through the fake clock, so the tests
// check how long the client waited without waiting.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <thread>

#include "tests/integration/github/github_fixture.h"

namespace bottega::testing {
namespace {

using namespace std::chrono_literals;
using fake_github::Fault;
using std::chrono::milliseconds;

class ClientLimits : public GitHubFixture {
 protected:
  github::GhResult<github::ApiResponse> read_repo(github::GitHubClient& client) {
    return client.request("GET", kRepoRoute, {"acme", "widgets"}, installation_);
  }
  Fault fault(Fault::Kind kind, int times = 1) {
    Fault f;
    f.kind = kind;
    f.times = times;
    return f;
  }
};

TEST_F(ClientLimits, SecondaryLimitWithRetryAfterWaitsThatLong) {
  auto client = make_client(client_options());
  ASSERT_TRUE(client);
  auto f = fault(Fault::Kind::secondary_limit);
  f.retry_after = 7;
  fake_->inject_fault("GET", kRepoRoute, f);
  auto r = read_repo(*client);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(time_.waits(), std::vector<milliseconds>{7000ms});
  auto calls = seen(kRepoRoute);
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].status, 403);
  EXPECT_EQ(calls[1].status, 200);
}

TEST_F(ClientLimits, TooManyRequestsWithRetryAfterWaitsThatLong) {
  auto client = make_client(client_options());
  ASSERT_TRUE(client);
  auto f = fault(Fault::Kind::too_many);
  f.retry_after = 3;
  fake_->inject_fault("GET", kRepoRoute, f);
  ASSERT_TRUE(read_repo(*client).ok());
  EXPECT_EQ(time_.waits(), std::vector<milliseconds>{3000ms});
}

TEST_F(ClientLimits, SecondaryLimitWithoutRetryAfterWaitsAMinuteThenBacksOff) {
  auto client = make_client(client_options());
  ASSERT_TRUE(client);
  fake_->inject_fault("GET", kRepoRoute, fault(Fault::Kind::secondary_limit, 2));
  auto r = read_repo(*client);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(time_.waits(), (std::vector<milliseconds>{60'000ms, 120'000ms}));
  EXPECT_EQ(seen(kRepoRoute).size(), 3u);

  // The streak ends with a success: the next limit waits a minute again.
  time_.clear_waits();
  fake_->inject_fault("GET", kRepoRoute, fault(Fault::Kind::secondary_limit));
  ASSERT_TRUE(read_repo(*client).ok());
  EXPECT_EQ(time_.waits(), std::vector<milliseconds>{60'000ms});
}

TEST_F(ClientLimits, ExhaustedPrimaryLimitWaitsUntilReset) {
  auto client = make_client(client_options());
  ASSERT_TRUE(client);
  auto f = fault(Fault::Kind::primary_limit);
  f.reset_in = 30s;
  fake_->inject_fault("GET", kRepoRoute, f);
  auto r = read_repo(*client);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  // Until x-ratelimit-reset (whole seconds) plus one second of margin.
  EXPECT_GE(time_.total_wait(), 29'000ms);
  EXPECT_LE(time_.total_wait(), 32'000ms);
  EXPECT_EQ(seen(kRepoRoute).size(), 2u);
}

TEST_F(ClientLimits, ExhaustedPrimaryLimitHoldsBackOtherCallsOfTheInstallation) {
  auto options = client_options();
  options.max_rate_limit_retries = 0;  // the limited call itself gives up at once
  auto client = make_client(options);
  ASSERT_TRUE(client);
  auto f = fault(Fault::Kind::primary_limit);
  f.reset_in = 20s;
  fake_->inject_fault("GET", "/repos/{owner}/{repo}/collaborators/{username}/permission", f);
  auto limited = client->collaborator_permission(repo_, "x");
  ASSERT_FALSE(limited.ok());
  EXPECT_TRUE(limited.error().is_rate_limited());
  EXPECT_TRUE(time_.waits().empty());

  // The next call of the installation waits for the reset before it is sent.
  ASSERT_TRUE(read_repo(*client).ok());
  EXPECT_GE(time_.total_wait(), 19'000ms);
  EXPECT_LE(time_.total_wait(), 22'000ms);
  EXPECT_EQ(seen(kRepoRoute).size(), 1u);
}

TEST_F(ClientLimits, ALimitLongerThanTheMaximumWaitFailsWithRetryAt) {
  auto client = make_client(client_options());
  ASSERT_TRUE(client);
  auto f = fault(Fault::Kind::primary_limit);
  f.reset_in = 3600s;
  fake_->inject_fault("GET", kRepoRoute, f);
  auto r = read_repo(*client);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().is_rate_limited()) << r.error().describe();
  EXPECT_EQ(r.error().status, 403);
  ASSERT_TRUE(r.error().retry_at.has_value());
  EXPECT_GT(*r.error().retry_at, time_.now() + 3500s);
  EXPECT_TRUE(time_.waits().empty());
}

TEST_F(ClientLimits, RateLimitRetriesAreBounded) {
  auto options = client_options();
  options.max_rate_limit_retries = 3;
  auto client = make_client(options);
  ASSERT_TRUE(client);
  auto f = fault(Fault::Kind::too_many, 10);
  f.retry_after = 1;
  fake_->inject_fault("GET", kRepoRoute, f);
  auto r = read_repo(*client);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().is_rate_limited());
  EXPECT_EQ(r.error().status, 429);
  EXPECT_EQ(seen(kRepoRoute).size(), 4u);
  EXPECT_EQ(time_.waits().size(), 3u);
}

TEST_F(ClientLimits, AForbiddenAnswerThatIsNotALimitIsNotRetried) {
  auto client = make_client(client_options());
  ASSERT_TRUE(client);
  auto f = fault(Fault::Kind::status);
  f.status = 403;
  fake_->inject_fault("GET", kRepoRoute, f);
  auto r = read_repo(*client);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().is_forbidden());
  EXPECT_EQ(r.error().kind, github::GitHubError::Kind::http);
  EXPECT_EQ(seen(kRepoRoute).size(), 1u);
  EXPECT_TRUE(time_.waits().empty());
}

TEST_F(ClientLimits, ServerErrorsAreRetriedWithJitteredBackoff) {
  auto client = make_client(client_options());
  ASSERT_TRUE(client);
  auto f = fault(Fault::Kind::status, 2);
  f.status = 502;
  fake_->inject_fault("GET", kRepoRoute, f);
  auto r = read_repo(*client);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  auto waits = time_.waits();
  ASSERT_EQ(waits.size(), 2u);
  EXPECT_GE(waits[0], 500ms);
  EXPECT_LE(waits[0], 1000ms);
  EXPECT_GE(waits[1], 1000ms);
  EXPECT_LE(waits[1], 2000ms);
}

TEST_F(ClientLimits, ServerErrorRetriesStopAtMaxAttempts) {
  auto client = make_client(client_options());
  ASSERT_TRUE(client);
  auto f = fault(Fault::Kind::status, 100);
  f.status = 503;
  fake_->inject_fault("GET", kRepoRoute, f);
  auto r = read_repo(*client);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().status, 503);
  EXPECT_TRUE(r.error().is_transient());
  EXPECT_FALSE(r.error().request_id.empty());
  EXPECT_EQ(seen(kRepoRoute).size(), 4u);  // max_attempts
  EXPECT_EQ(time_.waits().size(), 3u);
}

TEST_F(ClientLimits, ClientErrorsAreNeverRetried) {
  auto client = make_client(client_options());
  ASSERT_TRUE(client);
  auto r = client->get_pull(repo_, 999);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().is_not_found());
  EXPECT_EQ(r.error().route, "GET " + kPullRoute);
  EXPECT_EQ(r.error().documentation_url, "https://docs.github.com/rest");
  EXPECT_EQ(seen(kPullRoute).size(), 1u);
}

TEST_F(ClientLimits, DroppedConnectionIsRetried) {
  auto client = make_client(client_options());
  ASSERT_TRUE(client);
  fake_->inject_fault("GET", kRepoRoute, fault(Fault::Kind::drop));
  auto r = read_repo(*client);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  auto calls = seen(kRepoRoute);
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].status, 0);  // dropped
  EXPECT_EQ(calls[1].status, 200);
}

TEST_F(ClientLimits, KeepAliveConnectionsAreReusedAndAClosedOneIsReplacedAtOnce) {
  auto client = make_client(client_options());
  ASSERT_TRUE(client);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(read_repo(*client).ok());
  EXPECT_EQ(client->connections_opened(), 1u);  // token request and reads on one connection

  // The server closes every connection (as GitHub does with idle ones).
  fake_->stop();
  ASSERT_TRUE(fake_->start().ok());
  auto r = read_repo(*client);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(client->connections_opened(), 2u);
  EXPECT_TRUE(time_.waits().empty());  // not a failure: no retry back-off
  EXPECT_EQ(seen(kRepoRoute).size(), 4u);
}

TEST_F(ClientLimits, SlowAnswerTimesOutAndIsRetried) {
  auto options = client_options();
  options.read_timeout = 1000ms;
  auto client = make_client(options);
  ASSERT_TRUE(client);
  auto f = fault(Fault::Kind::slow);
  f.delay = 2500ms;
  fake_->inject_fault("GET", kRepoRoute, f);
  auto r = read_repo(*client);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(seen(kRepoRoute).size(), 2u);
  EXPECT_EQ(time_.waits().size(), 1u);
}

TEST_F(ClientLimits, MutationsOfOneInstallationAreSpaced) {
  auto client = make_client(client_options());
  ASSERT_TRUE(client);
  int issue = fake_->create_issue("acme", "widgets", "alice", "Bug", "It breaks");
  ASSERT_TRUE(client->create_issue_comment(repo_, issue, "one").ok());
  ASSERT_TRUE(client->create_issue_comment(repo_, issue, "two").ok());
  // No real time passes on the fake clock: the second waited a full second.
  EXPECT_EQ(time_.waits(), std::vector<milliseconds>{1000ms});
}

TEST_F(ClientLimits, ContentCreationsAreCappedPerMinute) {
  auto options = client_options();
  options.mutation_spacing = 0ms;
  options.content_creations_per_minute = 3;
  auto client = make_client(options);
  ASSERT_TRUE(client);
  int issue = fake_->create_issue("acme", "widgets", "alice", "Bug", "It breaks");
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(client->create_issue_comment(repo_, issue, "c").ok());
  EXPECT_EQ(time_.waits(), std::vector<milliseconds>{60'000ms});
  EXPECT_EQ(fake_->comments("acme", "widgets", issue).size(), 4u);
}

// A reaction is sent without waiting for the spacing after a comment, but
// counts toward the content creations of the minute.
TEST_F(ClientLimits, ReactionsAreNotSpacedButCountAsContentCreations) {
  auto options = client_options();
  options.content_creations_per_minute = 2;
  auto client = make_client(options);
  ASSERT_TRUE(client);
  int issue = fake_->create_issue("acme", "widgets", "alice", "Bug", "It breaks");
  int64_t command = fake_->add_comment("acme", "widgets", issue, "alice", "/status");
  ASSERT_TRUE(client->create_issue_comment(repo_, issue, "status").ok());
  ASSERT_TRUE(client->react_to_issue_comment(repo_, command, github::Reaction::eyes).ok());
  EXPECT_TRUE(time_.waits().empty()) << "the reaction waited for the comment's spacing";
  ASSERT_TRUE(client->react_to_issue_comment(repo_, command, github::Reaction::confused).ok());
  EXPECT_EQ(time_.waits(), std::vector<milliseconds>{60'000ms});
}

// 100 calls at once from 100 threads, real clock: they share a small pool
// of keep-alive connections, and the mutations of each installation reach
// GitHub one at a time, spaced.
TEST_F(ClientLimits, HundredConcurrentCallsShareThePoolAndSpaceMutations) {
  int64_t other = fake_->add_installation("globex");
  ASSERT_TRUE(fake_->add_repository(other, "globex", "gadgets").ok());
  github::Repo repo2{other, "globex", "gadgets"};
  int issue1 = fake_->create_issue("acme", "widgets", "alice", "One", "");
  int issue2 = fake_->create_issue("globex", "gadgets", "bob", "Two", "");

  auto options = client_options();
  options.max_connections_per_host = 6;
  options.mutation_spacing = 100ms;
  auto made = github::GitHubClient::create(options);  // real clock and sleeper
  ASSERT_TRUE(made.ok());
  auto& client = **made;

  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 100; ++i) {
    threads.emplace_back([&, i] {
      bool ok = false;
      const auto& repo = i % 2 ? repo2 : repo_;
      const int issue = i % 2 ? issue2 : issue1;
      if (i % 10 < 2) {
        ok = client.create_issue_comment(repo, issue, "comment " + std::to_string(i)).ok();
      } else if (i % 3 == 0) {
        ok = client.get_file_contents(repo, "README.md").ok();
      } else {
        ok = client.collaborator_permission(repo, "user" + std::to_string(i)).ok();
      }
      if (!ok) ++failures;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_LE(client.connections_opened(), 6u);
  EXPECT_EQ(fake_->comments("acme", "widgets", issue1).size(), 10u);
  EXPECT_EQ(fake_->comments("globex", "gadgets", issue2).size(), 10u);

  std::map<int64_t, std::vector<std::chrono::steady_clock::time_point>> posts;
  for (auto& r : seen("/repos/{owner}/{repo}/issues/{issue_number}/comments", "POST"))
    posts[r.installation_id].push_back(r.at);
  ASSERT_EQ(posts.size(), 2u);
  for (auto& [inst, times] : posts) {
    ASSERT_EQ(times.size(), 10u);
    std::sort(times.begin(), times.end());
    for (std::size_t i = 1; i < times.size(); ++i)
      EXPECT_GE(times[i] - times[i - 1], 80ms) << "installation " << inst << " mutation " << i;
  }
}

// A reaction acknowledges a person: it is not queued behind the mutations
// already waiting for their spacing (real clock), though it counts as a
// content creation.
TEST_F(ClientLimits, AReactionIsNotQueuedBehindTheMutationsWaitingForTheirSpacing) {
  int issue = fake_->create_issue("acme", "widgets", "alice", "Busy", "");
  int64_t first = fake_->add_comment("acme", "widgets", issue, "alice", "/status");
  auto options = client_options();
  options.mutation_spacing = 150ms;
  auto made = github::GitHubClient::create(options);  // real clock and sleeper
  ASSERT_TRUE(made.ok());
  auto& client = **made;

  const auto comments_route = "/repos/{owner}/{repo}/issues/{issue_number}/comments";
  std::vector<std::thread> writers;
  for (int i = 0; i < 6; ++i)
    writers.emplace_back([&, i] {
      for (int j = 0; j < 2; ++j)
        EXPECT_TRUE(client.create_issue_comment(repo_, issue, "edit " + std::to_string(i)).ok());
    });
  // Once the writers queue, acknowledge.
  while (seen(comments_route, "POST").size() < 2) std::this_thread::sleep_for(5ms);
  const auto asked = std::chrono::steady_clock::now();
  ASSERT_TRUE(client.react_to_issue_comment(repo_, first, github::Reaction::eyes).ok());
  for (auto& t : writers) t.join();

  auto reactions = seen("/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions", "POST");
  ASSERT_EQ(reactions.size(), 1u);
  int ahead = 0, behind = 0;
  for (auto& r : seen(comments_route, "POST")) {
    if (r.at > asked && r.at < reactions[0].at) ++ahead;
    if (r.at > reactions[0].at) ++behind;
  }
  EXPECT_LE(ahead, 1) << "mutations sent between the reaction's call and the reaction";
  EXPECT_GE(behind, 8) << "the writers had not been waiting: the test proves nothing";
}

}  // namespace
}  // namespace bottega::testing
