// Which jobs a delivery implies (engine/intake/routing).
#include "engine/intake/routing.h"

#include <simdjson.h>

#include <gtest/gtest.h>

#include <string>

namespace bottega {
namespace {

const std::string kRepo = R"("repository":{"id":1,"full_name":"octo/hello","default_branch":"main"})";
const std::string kSender = R"("sender":{"id":7,"login":"mona","type":"User"})";

TEST(IntakeRouting, AnIssueEventConcernsTheIssue) {
  std::string body = R"({"action":"labeled","issue":{"number":5,"title":"Bug","body":null,"state":"open",
    "labels":[{"name":"bottega"}],"assignees":[],"user":{"id":9,"login":"alice","type":"User"}},
    "label":{"name":"bottega"},"installation":{"id":42},)" + kRepo + "," + kSender + "}";
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
  auto push = decode_event("push", R"({"ref":"refs/heads/bottega/5-x","after":"abc",)" + kRepo + "}");
  ASSERT_TRUE(push.ok());
  EXPECT_EQ(task_key_for(*push), "octo/hello@bottega/5-x");
  auto tag = decode_event("push", R"({"ref":"refs/tags/v1","after":"abc",)" + kRepo + "}");
  ASSERT_TRUE(tag.ok());
  EXPECT_EQ(task_key_for(*tag), std::nullopt);
  auto inst = decode_event("installation",
                           R"({"action":"created","installation":{"id":5,"account":{"login":"octo"}}})");
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

}  // namespace
}  // namespace bottega
