// The rate governor alone, on a fake clock that moves only when the
// governor sleeps: spacing of mutations, the content-creation cap, the
// primary quota, and the waits 403/429 answers ask for. No HTTP.
#include "github/client/rate_governor.h"

#include <gtest/gtest.h>

#include <mutex>
#include <vector>

namespace bottega::github::detail {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

// Time that moves only when someone sleeps or the test advances it; every
// sleep is recorded. Starts on a whole second, as x-ratelimit-reset counts.
class FakeTime final : public Clock, public Sleeper {
 public:
  time_point now() const override { return system_start_ + offset_; }
  std::chrono::steady_clock::time_point steady_now() const override {
    return steady_start_ + offset_;
  }
  void sleep_for(milliseconds d) override {
    offset_ += d;
    sleeps.push_back(d);
  }
  void advance(milliseconds d) { offset_ += d; }

  std::vector<milliseconds> sleeps;

 private:
  time_point system_start_ = time_point(std::chrono::seconds(1'700'000'000));
  std::chrono::steady_clock::time_point steady_start_ =
      std::chrono::steady_clock::time_point(1000h);
  milliseconds offset_{0};
};

constexpr int64_t kInstallation = 7;

Call mutation(int64_t installation = kInstallation, bool creates = false) {
  Call c;
  c.method = "POST";
  c.route = "/repos/{owner}/{repo}/issues/{issue_number}/comments";
  c.installation = installation;
  c.content_creation = creates;
  return c;
}

Call read(int64_t installation = kInstallation) {
  Call c;
  c.route = "/repos/{owner}/{repo}/issues/{issue_number}";
  c.installation = installation;
  return c;
}

HttpReply reply(int status, Headers headers, std::string body = "") {
  HttpReply r;
  r.status = status;
  r.headers = std::move(headers);
  r.body = std::move(body);
  return r;
}

GitHubError error_saying(std::string message, std::string documentation_url = "") {
  GitHubError e;
  e.status = 403;
  e.message = std::move(message);
  e.documentation_url = std::move(documentation_url);
  return e;
}

// The reset time GitHub would send, `in` from the fake now.
std::string reset_in(const FakeTime& time, std::chrono::seconds in) {
  return std::to_string(
      std::chrono::duration_cast<std::chrono::seconds>((time.now() + in).time_since_epoch())
          .count());
}

class RateGovernorTest : public ::testing::Test {
 protected:
  FakeTime time;
  RateGovernor governor{RateGovernorOptions{}, time, time};
};

TEST_F(RateGovernorTest, FirstMutationGoesAtOnceAndTheNextWaitsTheSpacing) {
  ASSERT_TRUE(governor.wait_turn(mutation(), true).ok());
  EXPECT_TRUE(time.sleeps.empty());
  ASSERT_TRUE(governor.wait_turn(mutation(), true).ok());
  EXPECT_EQ(time.sleeps, std::vector<milliseconds>{1000ms});
}

TEST_F(RateGovernorTest, SpacingCountsFromTheEndOfTheLastMutation) {
  ASSERT_TRUE(governor.wait_turn(mutation(), true).ok());
  time.advance(300ms);  // the request took 300 ms to answer
  governor.mutation_finished(kInstallation, time.steady_now());
  ASSERT_TRUE(governor.wait_turn(mutation(), true).ok());
  EXPECT_EQ(time.sleeps, std::vector<milliseconds>{1000ms});
}

TEST_F(RateGovernorTest, TimeAlreadyPassedCountsTowardsTheSpacing) {
  ASSERT_TRUE(governor.wait_turn(mutation(), true).ok());
  time.advance(400ms);
  ASSERT_TRUE(governor.wait_turn(mutation(), true).ok());
  EXPECT_EQ(time.sleeps, std::vector<milliseconds>{600ms});
}

TEST_F(RateGovernorTest, ReadsAndOtherInstallationsAreNotSpaced) {
  ASSERT_TRUE(governor.wait_turn(mutation(), true).ok());
  ASSERT_TRUE(governor.wait_turn(read(), false).ok());
  ASSERT_TRUE(governor.wait_turn(mutation(8), true).ok());
  EXPECT_TRUE(time.sleeps.empty());
}

TEST_F(RateGovernorTest, SpacedMutationsShareOneLockPerInstallation) {
  EXPECT_EQ(governor.mutation_lock(kInstallation), governor.mutation_lock(kInstallation));
  EXPECT_NE(governor.mutation_lock(kInstallation), governor.mutation_lock(8));
}

TEST(RateGovernor, ContentCreationsBeyondTheCapWaitForTheOldestToLeaveTheMinute) {
  FakeTime time;
  RateGovernorOptions options;
  options.content_creations_per_minute = 2;
  RateGovernor governor(options, time, time);
  // Unspaced creations (acknowledgements) still count towards the cap.
  ASSERT_TRUE(governor.wait_turn(mutation(kInstallation, true), false).ok());
  time.advance(10s);
  ASSERT_TRUE(governor.wait_turn(mutation(kInstallation, true), false).ok());
  EXPECT_TRUE(time.sleeps.empty());
  ASSERT_TRUE(governor.wait_turn(mutation(kInstallation, true), false).ok());
  EXPECT_EQ(time.sleeps, std::vector<milliseconds>{50s});  // the first leaves at 60 s
  // A write that creates nothing is not capped.
  ASSERT_TRUE(governor.wait_turn(mutation(kInstallation, false), false).ok());
  EXPECT_EQ(time.sleeps.size(), 1u);
}

TEST(RateGovernor, TheAppItselfIsNotCapped) {
  FakeTime time;
  RateGovernorOptions options;
  options.content_creations_per_minute = 1;
  RateGovernor governor(options, time, time);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(governor.wait_turn(mutation(0, true), false).ok());
  EXPECT_TRUE(time.sleeps.empty());
}

TEST_F(RateGovernorTest, RemainingIsUnknownUntilAnAnswerTellsIt) {
  EXPECT_EQ(governor.remaining(kInstallation), -1);
  governor.record_quota(kInstallation, reply(200, {{"x-ratelimit-remaining", "4999"}}));
  EXPECT_EQ(governor.remaining(kInstallation), 4999);
  EXPECT_EQ(governor.remaining(8), -1);
}

TEST_F(RateGovernorTest, AnExhaustedQuotaWaitsUntilASecondAfterTheReset) {
  governor.record_quota(kInstallation, reply(200, {{"x-ratelimit-remaining", "0"},
                                                   {"x-ratelimit-reset", reset_in(time, 30s)}}));
  ASSERT_TRUE(governor.wait_turn(read(), false).ok());
  EXPECT_EQ(time.sleeps, std::vector<milliseconds>{31s});
  // The reset has passed: the stale "0" no longer holds anyone back.
  ASSERT_TRUE(governor.wait_turn(read(), false).ok());
  EXPECT_EQ(time.sleeps.size(), 1u);
}

TEST_F(RateGovernorTest, AQuotaThatLiftsTooLateFailsAtOnceSayingWhen) {
  const std::string reset = reset_in(time, 20min);  // over max_rate_limit_wait (15 min)
  governor.record_quota(kInstallation,
                        reply(200, {{"x-ratelimit-remaining", "0"}, {"x-ratelimit-reset", reset}}));
  auto turn = governor.wait_turn(read(), false);
  ASSERT_FALSE(turn.ok());
  EXPECT_TRUE(turn.error().is_rate_limited());
  EXPECT_EQ(turn.error().route, "GET /repos/{owner}/{repo}/issues/{issue_number}");
  ASSERT_TRUE(turn.error().retry_at.has_value());
  EXPECT_EQ(*turn.error().retry_at, time.now() + 20min);
  EXPECT_TRUE(time.sleeps.empty());
  // Other installations go on.
  EXPECT_TRUE(governor.wait_turn(read(8), false).ok());
}

TEST_F(RateGovernorTest, ABlockHoldsEveryRequestOfTheInstallation) {
  governor.block(kInstallation, 5s);
  ASSERT_TRUE(governor.wait_turn(read(), false).ok());
  EXPECT_EQ(time.sleeps, std::vector<milliseconds>{5s});
  ASSERT_TRUE(governor.wait_turn(read(8), false).ok());
  EXPECT_EQ(time.sleeps.size(), 1u);
}

TEST_F(RateGovernorTest, AShorterBlockDoesNotShortenALongerOne) {
  governor.block(kInstallation, 10s);
  governor.block(kInstallation, 2s);
  ASSERT_TRUE(governor.wait_turn(read(), false).ok());
  EXPECT_EQ(time.sleeps, std::vector<milliseconds>{10s});
}

TEST_F(RateGovernorTest, ABlockLongerThanTheMaximumFailsWithItsEnd) {
  governor.block(kInstallation, 16min);
  auto turn = governor.wait_turn(mutation(), true);
  ASSERT_FALSE(turn.ok());
  EXPECT_TRUE(turn.error().is_rate_limited());
  EXPECT_EQ(*turn.error().retry_at, time.now() + 16min);
  EXPECT_TRUE(time.sleeps.empty());
}

TEST_F(RateGovernorTest, RetryAfterIsObeyedToTheSecond) {
  auto wait = governor.rate_limit_wait(kInstallation, reply(403, {{"retry-after", "30"}}),
                                       error_saying("You have exceeded a secondary rate limit"));
  EXPECT_EQ(wait, milliseconds(30s));
}

TEST_F(RateGovernorTest, AnExhaustedPrimaryQuotaWaitsForItsReset) {
  auto wait = governor.rate_limit_wait(
      kInstallation,
      reply(403, {{"x-ratelimit-remaining", "0"}, {"x-ratelimit-reset", reset_in(time, 120s)}}),
      error_saying("API rate limit exceeded"));
  EXPECT_EQ(wait, milliseconds(121s));
  // A reset already past still waits a second.
  wait = governor.rate_limit_wait(
      kInstallation,
      reply(403, {{"x-ratelimit-remaining", "0"}, {"x-ratelimit-reset", reset_in(time, -5s)}}),
      error_saying("API rate limit exceeded"));
  EXPECT_EQ(wait, milliseconds(1s));
  // No reset given: the secondary minimum.
  wait = governor.rate_limit_wait(kInstallation, reply(403, {{"x-ratelimit-remaining", "0"}}),
                                  error_saying("API rate limit exceeded"));
  EXPECT_EQ(wait, milliseconds(60s));
}

TEST_F(RateGovernorTest, SecondaryLimitsDoubleTheWaitInARowUntilASuccess) {
  auto secondary = [&] {
    return governor.rate_limit_wait(kInstallation, reply(429, {}), error_saying(""));
  };
  EXPECT_EQ(secondary(), milliseconds(60s));
  EXPECT_EQ(secondary(), milliseconds(120s));
  EXPECT_EQ(secondary(), milliseconds(240s));
  // Another installation has its own streak.
  EXPECT_EQ(governor.rate_limit_wait(8, reply(429, {}), error_saying("")), milliseconds(60s));
  governor.succeeded(kInstallation);
  EXPECT_EQ(secondary(), milliseconds(60s));
}

TEST_F(RateGovernorTest, TheDoublingStopsAtTwoToTheTenth) {
  std::optional<milliseconds> wait;
  for (int i = 0; i < 14; ++i)
    wait = governor.rate_limit_wait(kInstallation, reply(429, {}), error_saying(""));
  EXPECT_EQ(wait, milliseconds(60s) * 1024);
}

TEST_F(RateGovernorTest, A403IsASecondaryLimitOnlyWhenGitHubSaysSo) {
  struct Case {
    const char* message;
    const char* documentation_url;
    bool secondary;
  };
  const Case cases[] = {
      {"You have exceeded a secondary rate limit. Please wait.", "", true},
      {"You have exceeded a Secondary Rate Limit", "", true},
      {"",
       "https://docs.github.com/rest/overview/"
       "rate-limits-for-the-rest-api#about-secondary-rate-limits",
       true},
      {"You have triggered an abuse detection mechanism.", "", true},
      {"Resource not accessible by integration", "https://docs.github.com/rest/issues", false},
      {"Must have admin rights to Repository.", "", false},
  };
  for (const auto& c : cases) {
    RateGovernor fresh(RateGovernorOptions{}, time, time);
    auto wait = fresh.rate_limit_wait(kInstallation, reply(403, {}),
                                      error_saying(c.message, c.documentation_url));
    if (c.secondary)
      EXPECT_EQ(wait, milliseconds(60s)) << c.message << c.documentation_url;
    else
      EXPECT_EQ(wait, std::nullopt) << c.message << c.documentation_url;
  }
}

}  // namespace
}  // namespace bottega::github::detail
