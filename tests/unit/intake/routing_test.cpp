// Which jobs a delivery implies (engine/intake/routing): every handled
// delivery is stored; only those a handler acts on get a job.
#include "engine/intake/routing.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>

namespace bottega {
namespace {

const std::string kRepo =
    R"("repository":{"id":1,"full_name":"octo/hello","default_branch":"main"})";
const std::string kSender = R"("sender":{"id":7,"login":"mona","type":"User"})";

TEST(IntakeRouting, AnIssueEventConcernsTheIssue) {
  std::string body =
      R"({"action":"labeled","issue":{"number":5,"title":"Bug","body":null,"state":"open",
    "labels":[{"name":"bottega"}],"assignees":[],"user":{"id":9,"login":"alice","type":"User"}},
    "label":{"name":"bottega"},"installation":{"id":42},)" +
      kRepo + "," + kSender + "}";
  auto e = decode_event("issues", body);
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(task_key_for(*e), "octo/hello#5");
}

TEST(IntakeRouting, ACheckRunConcernsItsPullRequest) {
  std::string body = R"({"action":"completed","future_field":{"deep":[1,2,3]},
    "check_run":{"id":4,"name":"build","head_sha":"abc","status":"completed","conclusion":"failure",
    "check_suite":{"head_branch":"bottega/5-x"},"pull_requests":[{"number":8}],"new":true},)" +
                     kRepo + "}";
  auto e = decode_event("check_run", body);
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(task_key_for(*e), "octo/hello#8");
}

TEST(IntakeRouting, TaskKeysForBranchesAndInstallations) {
  auto push =
      decode_event("push", R"({"ref":"refs/heads/bottega/5-x","after":"abc",)" + kRepo + "}");
  ASSERT_TRUE(push.ok());
  EXPECT_EQ(task_key_for(*push), "octo/hello@bottega/5-x");
  auto tag = decode_event("push", R"({"ref":"refs/tags/v1","after":"abc",)" + kRepo + "}");
  ASSERT_TRUE(tag.ok());
  EXPECT_EQ(task_key_for(*tag), std::nullopt);
  auto inst = decode_event(
      "installation", R"({"action":"created","installation":{"id":5,"account":{"login":"octo"}}})");
  ASSERT_TRUE(inst.ok()) << inst.error().message;
  EXPECT_EQ(task_key_for(*inst), std::nullopt);
  auto jobs = jobs_for(*inst);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].kind, kGitHubEventJob);
  EXPECT_EQ(jobs[0].installation_id, 5);
}

TEST(IntakeRouting, JobPayloadEscapesControlCharactersInsteadOfDroppingThem) {
  EXPECT_EQ(job_payload("d-1", "issues", "a\x01\n\x1f\"\\b"),
            R"({"delivery_id":"d-1","event":"issues","action":"a\u0001\u000a\u001f\"\\b"})");
}

TEST(IntakeRouting, JobPayloadReadsBackEveryAsciiCharacter) {
  std::string all;
  for (int c = 0; c < 0x80; ++c) all += static_cast<char>(c);
  const std::string payload = job_payload(all, "x" + all, all + "y");
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_FALSE(parser.parse(payload).get(doc)) << payload;
  std::string_view delivery_id, event, action;
  ASSERT_FALSE(doc["delivery_id"].get_string().get(delivery_id));
  ASSERT_FALSE(doc["event"].get_string().get(event));
  ASSERT_FALSE(doc["action"].get_string().get(action));
  EXPECT_EQ(delivery_id, all);
  EXPECT_EQ(event, "x" + all);
  EXPECT_EQ(action, all + "y");
}

const std::string& kPerson = kSender;
const std::string kBot = R"("sender":{"id":8,"login":"bottega[bot]","type":"Bot"})";
const std::string kIssue =
    R"("issue":{"number":5,"title":"Bug","body":null,"state":"open","labels":[]})";
const std::string kPullIssue =
    R"("issue":{"number":6,"title":"PR","body":null,"state":"open","labels":[],"pull_request":{"url":"x"}})";

bool routed(const std::string& event, const std::string& fields,
            const std::string& sender = kPerson) {
  auto e = decode_event(
      event, "{" + fields + "," + kRepo + "," + sender + R"(,"installation":{"id":42}})");
  EXPECT_TRUE(e.ok()) << (e.ok() ? "" : e.error().message) << "\n" << fields;
  if (!e.ok()) return false;
  EXPECT_EQ(acted_on(*e), !jobs_for(*e).empty());
  return acted_on(*e);
}

std::string comment(const std::string& action, const std::string& body,
                    const std::string& issue = kIssue,
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
  EXPECT_FALSE(routed("issue_comment", comment("edited", "/approve")))
      << "an edit never re-runs a command";
  EXPECT_TRUE(routed("issue_comment", comment("edited", "plan", kIssue,
                                              R"({"id":8,"login":"bottega[bot]","type":"Bot"})")))
      << "a person editing the plan comment";
}

TEST(IntakeRouting, IssueActionsTheWorkflowUses) {
  for (const char* action : {"opened", "labeled", "assigned", "closed", "transferred", "deleted"})
    EXPECT_TRUE(routed("issues", R"("action":")" + std::string(action) + R"(",)" + kIssue))
        << action;
  for (const char* action : {"edited", "unlabeled", "reopened"})
    EXPECT_FALSE(routed("issues", R"("action":")" + std::string(action) + R"(",)" + kIssue))
        << action;
  EXPECT_FALSE(routed("issues", R"("action":"labeled",)" + kIssue, kBot));
}

TEST(IntakeRouting, PullRequestsChecksAndPushesAreStoredOnly) {
  const std::string pull =
      R"("pull_request":{"number":6,"title":"t","body":null,"state":"closed","merged":true,)"
      R"("head":{"ref":"b","sha":"1"},"base":{"ref":"main","sha":"2"}})";
  EXPECT_TRUE(routed("pull_request", R"("action":"closed",)" + pull));
  EXPECT_FALSE(routed("pull_request", R"("action":"opened",)" + pull));
  EXPECT_FALSE(routed("push", R"("ref":"refs/heads/main","after":"abc")"));
}

TEST(IntakeRouting, TheAppsAccessIsWork) {
  auto installation = [](const std::string& action) {
    auto e = decode_event(
        "installation",
        R"({"action":")" + action + R"(","installation":{"id":5,"account":{"login":"octo"}}})");
    EXPECT_TRUE(e.ok());
    return e.ok() && acted_on(*e);
  };
  for (const char* action : {"created", "deleted", "suspend", "unsuspend"})
    EXPECT_TRUE(installation(action)) << action;
  EXPECT_FALSE(installation("new_permissions_accepted"));
  auto removed = decode_event(
      "installation_repositories",
      R"({"action":"removed","installation":{"id":5,"account":{"login":"octo"}},)"
      R"("repositories_added":[],"repositories_removed":[{"full_name":"octo/hello"}]})");
  ASSERT_TRUE(removed.ok()) << removed.error().message;
  EXPECT_TRUE(acted_on(*removed));
}

// An ordinary comment on an issue may answer its task's questions: a job
// the intake queues only when the task awaits answers; never for a
// command, a bot, a pull request or an edit.
TEST(IntakeRouting, AnOrdinaryIssueCommentMayAnswerQuestions) {
  auto answer_jobs = [](const std::string& fields, const std::string& sender = kPerson) {
    auto e = decode_event("issue_comment", "{" + fields + "," + kRepo + "," + sender +
                                               R"(,"installation":{"id":42}})");
    EXPECT_TRUE(e.ok());
    return e.ok() ? answer_jobs_for(*e) : std::vector<JobSpec>{};
  };
  auto jobs = answer_jobs(comment("created", "Looks good to me."));
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].kind, kGitHubEventJob);
  EXPECT_EQ(jobs[0].task_key, std::optional<std::string>("octo/hello#5"));
  EXPECT_TRUE(answer_jobs(comment("created", "/approve")).empty()) << "a command is routed";
  EXPECT_TRUE(answer_jobs(comment("created", "hi", kPullIssue)).empty());
  EXPECT_TRUE(answer_jobs(comment("created", "hi"), kBot).empty());
  EXPECT_TRUE(answer_jobs(comment("edited", "hi")).empty());
}

}  // namespace
}  // namespace bottega
