#include "github/webhook/events.h"

#include <gtest/gtest.h>

namespace bottega {
namespace {

const std::string kRepo =
    R"("repository":{"id":1,"full_name":"octo/hello","default_branch":"main"})";
const std::string kSender = R"("sender":{"id":7,"login":"mona","type":"User"})";

TEST(WebhookEvents, HandledEventsAndActions) {
  EXPECT_TRUE(is_handled("issues", "labeled"));
  EXPECT_TRUE(is_handled("issue_comment", "deleted"));
  EXPECT_TRUE(is_handled("pull_request", "synchronize"));
  EXPECT_TRUE(is_handled("push", ""));
  EXPECT_TRUE(is_handled("status", ""));
  EXPECT_FALSE(is_handled("issues", "pinned"));
  EXPECT_FALSE(is_handled("check_run", "created"));
  EXPECT_FALSE(is_handled("star", "created"));
  EXPECT_FALSE(is_handled("push", "anything"));
}

TEST(WebhookEvents, DecodesAnIssueLabel) {
  std::string body =
      R"({"action":"labeled","issue":{"number":5,"title":"Bug","body":null,"state":"open",
    "labels":[{"name":"bottega"}],"assignees":[],"user":{"id":9,"login":"alice","type":"User"}},
    "label":{"name":"bottega"},"installation":{"id":42},)" +
      kRepo + "," + kSender + "}";
  auto e = decode_event("issues", body);
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(e->action, "labeled");
  EXPECT_EQ(e->installation_id, 42);
  EXPECT_EQ(e->repository->full_name, "octo/hello");
  EXPECT_EQ(e->sender->login, "mona");
  const auto& issue = std::get<IssuesEvent>(e->detail);
  EXPECT_EQ(issue.issue.number, 5);
  EXPECT_EQ(issue.label, "bottega");
  EXPECT_EQ(issue.issue.body, "");  // null is absent
  EXPECT_EQ(issue.issue.labels, std::vector<std::string>{"bottega"});
}

TEST(WebhookEvents, CommentOnAPullRequestIsToldApart) {
  auto make = [&](const std::string& extra) {
    return R"({"action":"created","issue":{"number":3)" + extra +
           R"(},"comment":{"id":11,"body":"/approve","user":{"id":9,"login":"alice","type":"User"}},)" +
           kRepo + "," + kSender + "}";
  };
  auto on_issue = decode_event("issue_comment", make(""));
  auto on_pr = decode_event("issue_comment", make(R"(,"pull_request":{"url":"x"})"));
  ASSERT_TRUE(on_issue.ok() && on_pr.ok());
  EXPECT_FALSE(std::get<IssueCommentEvent>(on_issue->detail).issue.is_pull_request);
  EXPECT_TRUE(std::get<IssueCommentEvent>(on_pr->detail).issue.is_pull_request);
  EXPECT_EQ(std::get<IssueCommentEvent>(on_pr->detail).comment.body, "/approve");
}

TEST(WebhookEvents, ReviewStateStaysLowercase) {
  std::string body =
      R"({"action":"submitted","review":{"id":1,"state":"changes_requested","body":"fix"},
    "pull_request":{"number":8,"head":{"ref":"bottega/5-x","sha":"abc"},"base":{"ref":"main","sha":"def"}},)" +
      kRepo + "," + kSender + "}";
  auto e = decode_event("pull_request_review", body);
  ASSERT_TRUE(e.ok()) << e.error().message;
  const auto& r = std::get<PullRequestReviewEvent>(e->detail);
  EXPECT_EQ(r.state, "changes_requested");
  EXPECT_EQ(r.pull_request.head.ref, "bottega/5-x");
}

TEST(WebhookEvents, MissingRequiredFieldIsNamedWithItsPath) {
  std::string body = R"({"action":"opened","issue":{"title":"no number"},)" + kRepo + "}";
  auto e = decode_event("issues", body);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().message, "missing required field issue.number");
}

TEST(WebhookEvents, WrongTypeIsNamed) {
  std::string body = R"({"action":"opened","issue":{"number":"five"},)" + kRepo + "}";
  auto e = decode_event("issues", body);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().message, "field issue.number is not a whole number");
}

TEST(WebhookEvents, RepositoryIsRequiredForRepositoryEvents) {
  auto e = decode_event("push", R"({"ref":"refs/heads/main","after":"abc"})");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().message, "missing required field repository");
}

TEST(WebhookEvents, MalformedJsonIsReported) {
  auto e = decode_event("issues", R"({"action":"opened",)");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().message.rfind("not valid JSON", 0), 0u) << e.error().message;
  EXPECT_FALSE(summarize_delivery("[1,2").ok());
}

TEST(WebhookEvents, ExtraFieldsAreTolerated) {
  std::string body = R"({"action":"completed","future_field":{"deep":[1,2,3]},
    "check_run":{"id":4,"name":"build","head_sha":"abc","status":"completed","conclusion":"failure",
    "check_suite":{"head_branch":"bottega/5-x"},"pull_requests":[{"number":8}],"new":true},)" +
                     kRepo + "}";
  auto e = decode_event("check_run", body);
  ASSERT_TRUE(e.ok()) << e.error().message;
  const auto& c = std::get<CheckEvent>(e->detail);
  EXPECT_EQ(c.conclusion, "failure");
  EXPECT_EQ(c.head_branch, "bottega/5-x");
}

TEST(WebhookEvents, SummaryReadsWhatIsThere) {
  auto s =
      summarize_delivery(R"({"action":"x","installation":{"id":3},)" + kRepo + "," + kSender + "}");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->action, "x");
  EXPECT_EQ(s->installation_id, 3);
  EXPECT_EQ(s->repository, "octo/hello");
  EXPECT_EQ(s->sender, "mona");
}

}  // namespace
}  // namespace bottega
