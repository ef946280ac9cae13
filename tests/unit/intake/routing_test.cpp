// Which deliveries become work (engine/intake/routing.h): every handled
// delivery is stored; only those a handler acts on get a job.
#include "engine/intake/routing.h"

#include <gtest/gtest.h>

namespace bottega {
namespace {

const std::string kRepo = R"("repository":{"id":1,"full_name":"octo/hello","default_branch":"main"})";
const std::string kPerson = R"("sender":{"id":7,"login":"mona","type":"User"})";
const std::string kBot = R"("sender":{"id":8,"login":"bottega[bot]","type":"Bot"})";
const std::string kIssue = R"("issue":{"number":5,"title":"Bug","body":null,"state":"open","labels":[]})";
const std::string kPullIssue =
    R"("issue":{"number":6,"title":"PR","body":null,"state":"open","labels":[],"pull_request":{"url":"x"}})";

bool routed(const std::string& event, const std::string& fields, const std::string& sender = kPerson) {
  auto e = decode_event(event, "{" + fields + "," + kRepo + "," + sender + R"(,"installation":{"id":42}})");
  EXPECT_TRUE(e.ok()) << (e.ok() ? "" : e.error().message) << "\n" << fields;
  if (!e.ok()) return false;
  EXPECT_EQ(acted_on(*e), !jobs_for(*e).empty());
  return acted_on(*e);
}

std::string comment(const std::string& action, const std::string& body, const std::string& issue = kIssue,
                    const std::string& author = R"({"id":7,"login":"mona","type":"User"})") {
  return R"("action":")" + action + R"(",)" + issue + R"(,"comment":{"id":9,"body":")" + body +
         R"(","user":)" + author + "}";
}

TEST(IntakeRouting, CommandsBecomeWorkAndOrdinaryCommentsDoNot) {
  EXPECT_TRUE(routed("issue_comment", comment("created", "/approve")));
  EXPECT_TRUE(routed("issue_comment", comment("created", "/aprove")));  // mistyped: answered
  EXPECT_FALSE(routed("issue_comment", comment("created", "Looks good to me.")));
  EXPECT_FALSE(routed("issue_comment", comment("created", "/approve", kPullIssue)));
  EXPECT_FALSE(routed("issue_comment", comment("created", "/approve"), kBot)) << "our own comments";
  EXPECT_FALSE(routed("issue_comment", comment("deleted", "/approve")));
  EXPECT_FALSE(routed("issue_comment", comment("edited", "/approve"))) << "an edit never re-runs a command";
  EXPECT_TRUE(routed("issue_comment", comment("edited", "plan", kIssue, R"({"id":8,"login":"bottega[bot]","type":"Bot"})")))
      << "a person editing the plan comment";
}

TEST(IntakeRouting, IssueActionsTheWorkflowUses) {
  for (const char* action : {"opened", "labeled", "assigned", "closed", "transferred", "deleted"})
    EXPECT_TRUE(routed("issues", R"("action":")" + std::string(action) + R"(",)" + kIssue)) << action;
  for (const char* action : {"edited", "unlabeled", "reopened"})
    EXPECT_FALSE(routed("issues", R"("action":")" + std::string(action) + R"(",)" + kIssue)) << action;
  EXPECT_FALSE(routed("issues", R"("action":"labeled",)" + kIssue, kBot));
}

TEST(IntakeRouting, PullRequestsChecksAndPushesAreStoredOnly) {
  const std::string pull = R"("pull_request":{"number":6,"title":"t","body":null,"state":"closed","merged":true,)"
                           R"("head":{"ref":"b","sha":"1"},"base":{"ref":"main","sha":"2"}})";
  EXPECT_TRUE(routed("pull_request", R"("action":"closed",)" + pull));
  EXPECT_FALSE(routed("pull_request", R"("action":"opened",)" + pull));
  EXPECT_FALSE(routed("push", R"("ref":"refs/heads/main","after":"abc")"));
}

TEST(IntakeRouting, TheAppsAccessIsWork) {
  auto installation = [](const std::string& action) {
    auto e = decode_event("installation", R"({"action":")" + action +
                                              R"(","installation":{"id":5,"account":{"login":"octo"}}})");
    EXPECT_TRUE(e.ok());
    return e.ok() && acted_on(*e);
  };
  for (const char* action : {"created", "deleted", "suspend", "unsuspend"}) EXPECT_TRUE(installation(action)) << action;
  EXPECT_FALSE(installation("new_permissions_accepted"));
  auto removed = decode_event("installation_repositories",
                              R"({"action":"removed","installation":{"id":5,"account":{"login":"octo"}},)"
                              R"("repositories_added":[],"repositories_removed":[{"full_name":"octo/hello"}]})");
  ASSERT_TRUE(removed.ok()) << removed.error().message;
  EXPECT_TRUE(acted_on(*removed));
}

}  // namespace
}  // namespace bottega
