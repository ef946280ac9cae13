// Which pull request side deliveries become work (spec/shepherd.md): checks
// and reviews even from bots (the handler judges who is trusted), PR-side
// commands and mentions on a PR's conversation, the PR closed, reopened or
// pushed to, and pushes to the default branch.
#include <gtest/gtest.h>

#include "engine/intake/routing.h"

namespace bottega {
namespace {

const std::string kRepo =
    R"("repository":{"id":1,"full_name":"octo/hello","default_branch":"main"})";
const std::string kPerson = R"("sender":{"id":7,"login":"mona","type":"User"})";
const std::string kCiBot = R"("sender":{"id":8,"login":"github-actions[bot]","type":"Bot"})";
const std::string kPull =
    R"("pull_request":{"number":6,"title":"t","body":null,"state":"open","merged":false,)"
    R"("head":{"ref":"bottega/5-x","sha":"1"},"base":{"ref":"main","sha":"2"}})";

bool routed(const std::string& event, const std::string& fields, const std::string& sender) {
  auto e = decode_event(
      event, "{" + fields + "," + kRepo + "," + sender + R"(,"installation":{"id":42}})");
  EXPECT_TRUE(e.ok()) << (e.ok() ? "" : e.error().message) << "\n" << fields;
  return e.ok() && acted_on(*e);
}

std::string pr_comment(const std::string& body) {
  return R"("action":"created","issue":{"number":6,"title":"PR","body":null,"state":"open",)"
         R"("labels":[],"pull_request":{"url":"x"}},"comment":{"id":9,"body":")" +
         body + R"(","user":{"id":7,"login":"mona","type":"User"}})";
}

TEST(PullRouting, ChecksAreWorkEvenFromABot) {
  const std::string run =
      R"("action":"completed","check_run":{"id":4,"name":"build","head_sha":"abc",)"
      R"("status":"completed","conclusion":"failure","pull_requests":[{"number":6}]})";
  EXPECT_TRUE(routed("check_run", run, kCiBot));
}

std::string status(const std::string& state) {
  return R"("id":5,"sha":"abc","name":"octo/hello","state":")" + state +
         R"(","context":"ci/jenkins","description":null,"target_url":null,)"
         R"("branches":[{"name":"bottega/5-x","commit":{"sha":"abc","url":null},)"
         R"("protected":false}])";
}

// A commit status that ended counts as a check (CI that reports through the
// Statuses API); a pending one is no completion and waits for its own event.
TEST(PullRouting, CommitStatusesThatEndedAreWorkEvenFromABot) {
  EXPECT_TRUE(routed("status", status("failure"), kCiBot));
  EXPECT_TRUE(routed("status", status("error"), kPerson));
  EXPECT_TRUE(routed("status", status("success"), kCiBot));
  EXPECT_FALSE(routed("status", status("pending"), kCiBot));
}

TEST(PullRouting, SubmittedReviewsAreWorkFromPeopleAndBots) {
  const std::string review = R"("action":"submitted",)" + kPull +
                             R"(,"review":{"id":3,"state":"changes_requested","body":"x",)"
                             R"("user":{"id":8,"login":"bot[bot]","type":"Bot"}})";
  EXPECT_TRUE(routed("pull_request_review", review, kPerson));
  EXPECT_TRUE(routed("pull_request_review", review, kCiBot));
}

TEST(PullRouting, PullSideCommandsAndMentionsOnThePullRequest) {
  EXPECT_TRUE(routed("issue_comment", pr_comment("/fix rename it"), kPerson));
  EXPECT_TRUE(routed("issue_comment", pr_comment("/status"), kPerson));
  EXPECT_TRUE(routed("issue_comment", pr_comment("@bottega please rename"), kPerson));
  EXPECT_FALSE(routed("issue_comment", pr_comment("Looks good"), kPerson));
  EXPECT_FALSE(routed("issue_comment", pr_comment("/approve"), kPerson))
      << "an issue command is not read on a PR";
  EXPECT_FALSE(routed("issue_comment", pr_comment("/fix it"), kCiBot)) << "a bot's command";
}

TEST(PullRouting, ThePullRequestsLifeAndItsBase) {
  for (const char* action : {"closed", "reopened", "synchronize"})
    EXPECT_TRUE(
        routed("pull_request", R"("action":")" + std::string(action) + R"(",)" + kPull, kPerson))
        << action;
  EXPECT_TRUE(routed("push", R"("ref":"refs/heads/main","after":"abc")", kPerson));
  EXPECT_FALSE(routed("push", R"("ref":"refs/heads/main","after":"abc","deleted":true)", kPerson));
  EXPECT_FALSE(routed("push", R"("ref":"refs/heads/bottega/5-x","after":"abc")", kPerson));
}

}  // namespace
}  // namespace bottega
