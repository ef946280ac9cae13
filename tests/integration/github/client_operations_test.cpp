// The client's typed operations against the fake GitHub: what each sends
// and how it reads GitHub's answers, the ETag cache, the redirect to job
// logs, pagination, and the App's webhook deliveries.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <map>
#include <sstream>
#include <thread>

#include "config/base/redactor.h"
#include "tests/integration/github/github_fixture.h"

namespace bottega::testing {
namespace {

using namespace std::chrono_literals;

class ClientOperations : public GitHubFixture {
 protected:
  void SetUp() override {
    GitHubFixture::SetUp();
    auto o = client_options();
    o.mutation_spacing = 0ms;  // keeps the fake clock still for readability
    client_ = make_client(o);
    ASSERT_TRUE(client_);
  }
  std::unique_ptr<github::GitHubClient> client_;
};

TEST_F(ClientOperations, LogsOneLinePerRequestWithoutTheToken) {
  // A plain sink (no redaction), so the test sees what the client writes.
  std::ostringstream text;
  auto previous = spdlog::default_logger();
  auto logger = std::make_shared<spdlog::logger>(
      "test", std::make_shared<spdlog::sinks::ostream_sink_mt>(text));
  logger->set_level(spdlog::level::info);
  spdlog::set_default_logger(logger);
  int issue = fake_->create_issue("acme", "widgets", "alice", "Bug", "Broken");
  auto comment = client_->create_issue_comment(repo_, issue, "hello");
  auto missing = client_->get_pull(repo_, 77);
  auto token = client_->installation_token(installation_);
  auto jwt = client_->app_jwt();
  spdlog::set_default_logger(previous);
  ASSERT_TRUE(comment.ok() && token.ok() && jwt.ok());
  ASSERT_FALSE(missing.ok());

  const std::string log = text.str();
  EXPECT_NE(
      log.find("[github] [info] POST /app/installations/{installation_id}/access_tokens 201 "),
      std::string::npos)
      << log;
  EXPECT_NE(
      log.find("[github] [info] POST /repos/{owner}/{repo}/issues/{issue_number}/comments 201 "),
      std::string::npos)
      << log;
  EXPECT_NE(log.find("[github] [info] GET /repos/{owner}/{repo}/pulls/{pull_number} 404 "),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("remaining=4998"), std::string::npos) << log;
  EXPECT_EQ(log.find(*token), std::string::npos);
  EXPECT_EQ(log.find(jwt->substr(0, 40)), std::string::npos);
}

TEST_F(ClientOperations, ReadsTheRepositoryConfigFile) {
  auto file = client_->get_file_contents(repo_, ".github/bottega.yml");
  ASSERT_TRUE(file.ok()) << file.error().describe();
  EXPECT_EQ(file->content, "trigger_label: bottega\n");
  EXPECT_EQ(file->path, ".github/bottega.yml");
  EXPECT_EQ(file->sha.size(), 40u);

  auto missing = client_->get_file_contents(repo_, ".github/nope.yml", "main");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.error().is_not_found());
}

TEST_F(ClientOperations, ListsADirectory) {
  ASSERT_TRUE(fake_
                  ->commit_files("acme", "widgets", "main",
                                 {{".github/bottega/prompts/plan.md", "Plan well.\n"}}, "Prompts")
                  .ok());
  auto listed = client_->list_directory(repo_, ".github", "main");
  ASSERT_TRUE(listed.ok()) << listed.error().describe();
  std::map<std::string, std::string> types;
  for (const auto& e : *listed) types[e.name] = e.type;
  EXPECT_EQ(types,
            (std::map<std::string, std::string>{{"bottega", "dir"}, {"bottega.yml", "file"}}));

  auto file = client_->list_directory(repo_, ".github/bottega.yml", "main");
  ASSERT_FALSE(file.ok()) << "a file is not a directory";
  EXPECT_EQ(file.error().kind, github::GitHubError::Kind::decode);
  auto missing = client_->list_directory(repo_, "docs", "main");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.error().is_not_found());
}

TEST_F(ClientOperations, RepeatedReadsAreAnsweredFromTheEtagCache) {
  auto sha = fake_->commit_files("acme", "widgets", "feature", {{"a.txt", "a\n"}}, "Add a");
  ASSERT_TRUE(sha.ok());
  auto pr = client_->create_pull(repo_, {"Add a", "feature", "main", "Closes #1", false});
  ASSERT_TRUE(pr.ok()) << pr.error().describe();
  std::this_thread::sleep_for(200ms);  // past the fake's mergeable computation
  auto first = client_->get_pull(repo_, pr->number);
  auto second = client_->get_pull(repo_, pr->number);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(second->head_sha, first->head_sha);
  EXPECT_EQ(second->title, "Add a");
  auto gets = seen(kPullRoute, "GET");
  ASSERT_EQ(gets.size(), 2u);
  EXPECT_EQ(gets[0].status, 200);
  EXPECT_TRUE(gets[1].if_none_match.size() > 0);
  EXPECT_EQ(gets[1].status, 304);
}

TEST_F(ClientOperations, IssueCommentsCreateUpdateAndListAcrossPages) {
  int issue = fake_->create_issue("acme", "widgets", "alice", "Bug", "Broken");
  for (int i = 0; i < 104; ++i)
    fake_->add_comment("acme", "widgets", issue, "bob", "c" + std::to_string(i));
  auto mine = client_->create_issue_comment(repo_, issue, "Plan: ...");
  ASSERT_TRUE(mine.ok()) << mine.error().describe();
  EXPECT_EQ(mine->user.login, "bottega[bot]");
  EXPECT_EQ(mine->user.type, "Bot");
  auto edited = client_->update_issue_comment(repo_, mine->id, "Plan v2");
  ASSERT_TRUE(edited.ok()) << edited.error().describe();
  EXPECT_EQ(edited->body, "Plan v2");

  auto all = client_->list_issue_comments(repo_, issue);
  ASSERT_TRUE(all.ok()) << all.error().describe();
  ASSERT_EQ(all->size(), 105u);
  EXPECT_EQ(all->front().body, "c0");
  EXPECT_EQ(all->back().body, "Plan v2");
  auto pages = seen("/repos/{owner}/{repo}/issues/{issue_number}/comments", "GET");
  ASSERT_EQ(pages.size(), 2u);
  EXPECT_TRUE(pages[0].gzipped);  // the client accepts gzip and decodes it
}

TEST_F(ClientOperations, ReactionsOnIssueAndReviewComments) {
  int issue = fake_->create_issue("acme", "widgets", "alice", "Bug", "Broken");
  int64_t comment = fake_->add_comment("acme", "widgets", issue, "alice", "/approve");
  ASSERT_TRUE(client_->react_to_issue_comment(repo_, comment, github::Reaction::eyes).ok());
  ASSERT_TRUE(
      client_->react_to_issue_comment(repo_, comment, github::Reaction::eyes).ok());  // 200: exists
  ASSERT_TRUE(client_->react_to_issue_comment(repo_, comment, github::Reaction::plus_one).ok());
  EXPECT_EQ(fake_->reactions("acme", "widgets", comment), (std::vector<std::string>{"eyes", "+1"}));
  ASSERT_TRUE(client_->react_to_issue(repo_, issue, github::Reaction::rocket).ok());

  ASSERT_TRUE(fake_->commit_files("acme", "widgets", "fix", {{"x.txt", "x\n"}}, "x").ok());
  auto pr = client_->create_pull(repo_, {"Fix", "fix", "main", "", false});
  ASSERT_TRUE(pr.ok());
  fake_->submit_review("acme", "widgets", pr->number, "carol", "CHANGES_REQUESTED", "Please fix",
                       {{"x.txt", 1, "Rename this"}});
  auto comments = client_->list_review_comments(repo_, pr->number);
  ASSERT_TRUE(comments.ok() && comments->size() == 1u);
  ASSERT_TRUE(
      client_->react_to_review_comment(repo_, comments->at(0).id, github::Reaction::eyes).ok());
  EXPECT_EQ(fake_->reactions("acme", "widgets", comments->at(0).id),
            std::vector<std::string>{"eyes"});
}

TEST_F(ClientOperations, LabelsAreCreatedOnceAddedAndRemoved) {
  int issue = fake_->create_issue("acme", "widgets", "alice", "Bug", "Broken");
  github::Label label{"bottega: planning", "5319e7", "Bottega is planning"};
  ASSERT_TRUE(client_->ensure_label(repo_, label).ok());
  ASSERT_TRUE(client_->ensure_label(repo_, label).ok());
  EXPECT_EQ(seen("/repos/{owner}/{repo}/labels", "POST").size(), 1u);
  EXPECT_EQ(fake_->repo_labels("acme", "widgets"), std::vector<std::string>{"bottega: planning"});

  ASSERT_TRUE(client_->add_labels(repo_, issue, {"bottega: planning"}).ok());
  EXPECT_EQ(fake_->issue_labels("acme", "widgets", issue),
            std::vector<std::string>{"bottega: planning"});
  auto listed = client_->list_issue_labels(repo_, issue);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(*listed, std::vector<std::string>{"bottega: planning"});
  ASSERT_TRUE(client_->remove_label(repo_, issue, "bottega: planning").ok());
  listed = client_->list_issue_labels(repo_, issue);
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());
  EXPECT_TRUE(fake_->issue_labels("acme", "widgets", issue).empty());
  // Already gone: still success.
  ASSERT_TRUE(client_->remove_label(repo_, issue, "bottega: planning").ok());
}

TEST_F(ClientOperations, CollaboratorPermissionFollowsTheRole) {
  fake_->set_permission("acme", "widgets", "writer", "write");
  fake_->set_permission("acme", "widgets", "maintainer", "maintain");
  fake_->set_permission("acme", "widgets", "reader", "read");
  auto p = [&](const std::string& user) { return client_->collaborator_permission(repo_, user); };
  EXPECT_EQ(p("writer")->permission, "write");
  EXPECT_EQ(p("maintainer")->permission, "write");
  EXPECT_EQ(p("maintainer")->role_name, "maintain");
  EXPECT_EQ(p("reader")->permission, "read");
  EXPECT_EQ(p("acme")->permission, "admin");
  EXPECT_EQ(p("stranger")->permission, "none");
}

TEST_F(ClientOperations, PullMergeabilityIsNullWhileComputingThenFromGit) {
  ASSERT_TRUE(
      fake_->commit_files("acme", "widgets", "feature", {{"README.md", "# feature\n"}}, "f").ok());
  auto pr = client_->create_pull(repo_, {"Feature", "feature", "main", "body", true});
  ASSERT_TRUE(pr.ok()) << pr.error().describe();
  EXPECT_TRUE(pr->draft);
  EXPECT_FALSE(pr->mergeable.has_value());  // still computing
  std::this_thread::sleep_for(200ms);
  auto clean = client_->get_pull(repo_, pr->number);
  ASSERT_TRUE(clean.ok());
  ASSERT_TRUE(clean->mergeable.has_value());
  EXPECT_TRUE(*clean->mergeable);
  EXPECT_EQ(clean->mergeable_state, "clean");
  EXPECT_EQ(clean->head_ref, "feature");
  EXPECT_EQ(clean->base_ref, "main");

  // Someone pushes a conflicting change to main.
  ASSERT_TRUE(
      fake_->commit_files("acme", "widgets", "main", {{"README.md", "# main\n"}}, "m").ok());
  auto computing = client_->get_pull(repo_, pr->number);
  ASSERT_TRUE(computing.ok());
  EXPECT_FALSE(computing->mergeable.has_value());
  std::this_thread::sleep_for(200ms);
  auto dirty = client_->get_pull(repo_, pr->number);
  ASSERT_TRUE(dirty.ok());
  ASSERT_TRUE(dirty->mergeable.has_value());
  EXPECT_FALSE(*dirty->mergeable);
  EXPECT_EQ(dirty->mergeable_state, "dirty");

  auto found = client_->find_pull_by_head(repo_, "feature");
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->number, pr->number);
  auto none = client_->find_pull_by_head(repo_, "nothing");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  // A second PR for the same head is refused (422), not retried.
  auto dup = client_->create_pull(repo_, {"Again", "feature", "main", "", false});
  ASSERT_FALSE(dup.ok());
  EXPECT_TRUE(dup.error().is_validation_failed());
}

TEST_F(ClientOperations, ReviewsAndRepliesToReviewComments) {
  ASSERT_TRUE(fake_->commit_files("acme", "widgets", "feature", {{"a.cpp", "int a;\n"}}, "a").ok());
  auto pr = client_->create_pull(repo_, {"A", "feature", "main", "", false});
  ASSERT_TRUE(pr.ok());
  fake_->submit_review("acme", "widgets", pr->number, "carol", "CHANGES_REQUESTED", "Two things",
                       {{"a.cpp", 1, "Use a better name"}, {"a.cpp", 1, "Add a comment"}});
  auto reviews = client_->list_reviews(repo_, pr->number);
  ASSERT_TRUE(reviews.ok());
  ASSERT_EQ(reviews->size(), 1u);
  EXPECT_EQ(reviews->at(0).state, "CHANGES_REQUESTED");  // upper case in REST
  EXPECT_EQ(reviews->at(0).user.login, "carol");
  auto comments = client_->list_review_comments(repo_, pr->number);
  ASSERT_TRUE(comments.ok());
  ASSERT_EQ(comments->size(), 2u);
  EXPECT_EQ(comments->at(0).path, "a.cpp");
  EXPECT_EQ(comments->at(0).line, 1);
  EXPECT_EQ(comments->at(0).pull_request_review_id, reviews->at(0).id);

  auto reply = client_->reply_to_review_comment(repo_, pr->number, comments->at(0).id, "Done");
  ASSERT_TRUE(reply.ok()) << reply.error().describe();
  EXPECT_EQ(reply->in_reply_to_id, comments->at(0).id);
  EXPECT_EQ(reply->body, "Done");
}

TEST_F(ClientOperations, CheckRunsAnnotationsAndTheAppsOwnCheckRun) {
  // A branch name with a slash travels percent-encoded as one path segment.
  auto sha = fake_->commit_files("acme", "widgets", "bottega/1-fix", {{"a.cpp", "int a;\n"}}, "a");
  ASSERT_TRUE(sha.ok());
  int64_t build = fake_->add_check_run("acme", "widgets", *sha, "build", "failure", "log\n",
                                       {{"a.cpp", 1, 1, "failure", "error", "expected ';'"}});
  auto mine = client_->create_check_run(repo_, {"bottega", *sha, "in_progress", "", "", "task-1",
                                                "Implementing", "Iteration 1/5", ""});
  ASSERT_TRUE(mine.ok()) << mine.error().describe();
  EXPECT_EQ(mine->status, "in_progress");
  EXPECT_EQ(mine->app_slug, "bottega");
  auto done = client_->update_check_run(
      repo_, mine->id, {"", "", "completed", "success", "", "", "Done", "All good", ""});
  ASSERT_TRUE(done.ok()) << done.error().describe();
  EXPECT_EQ(done->conclusion, "success");
  EXPECT_EQ(done->summary, "All good");

  auto runs = client_->list_check_runs_for_ref(repo_, "bottega/1-fix");
  ASSERT_TRUE(runs.ok()) << runs.error().describe();
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ(runs->at(0).id, build);
  EXPECT_EQ(runs->at(0).conclusion, "failure");
  EXPECT_EQ(runs->at(0).annotations_count, 1);
  auto notes = client_->list_check_run_annotations(repo_, build);
  ASSERT_TRUE(notes.ok());
  ASSERT_EQ(notes->size(), 1u);
  EXPECT_EQ(notes->at(0).message, "expected ';'");
  EXPECT_EQ(notes->at(0).annotation_level, "failure");

  // Another app's check run cannot be updated by ours (403, not retried).
  auto foreign =
      client_->update_check_run(repo_, build, {"", "", "completed", "success", "", "", "", "", ""});
  ASSERT_FALSE(foreign.ok());
  EXPECT_TRUE(foreign.error().is_forbidden());
}

// The combined status: the latest status of each context; failure when one
// failed or errored, pending while one is pending (or none is set).
TEST_F(ClientOperations, CombinedStatusOfTheCommitStatuses) {
  auto sha = fake_->commit_files("acme", "widgets", "bottega/2-fix", {{"b.cpp", "int b;\n"}}, "b");
  ASSERT_TRUE(sha.ok());
  auto none = client_->get_combined_status(repo_, *sha);
  ASSERT_TRUE(none.ok()) << none.error().describe();
  EXPECT_EQ(none->state, "pending");
  EXPECT_TRUE(none->statuses.empty());
  fake_->add_status("acme", "widgets", *sha, "ci/jenkins", "pending");
  fake_->add_status("acme", "widgets", *sha, "ci/lint", "success");
  auto running = client_->get_combined_status(repo_, "bottega/2-fix");
  ASSERT_TRUE(running.ok()) << running.error().describe();
  EXPECT_EQ(running->state, "pending");
  fake_->add_status("acme", "widgets", *sha, "ci/jenkins", "error", "Build broke",
                    "https://ci.example.test/7");
  auto done = client_->get_combined_status(repo_, *sha);
  ASSERT_TRUE(done.ok()) << done.error().describe();
  EXPECT_EQ(done->state, "failure");
  ASSERT_EQ(done->statuses.size(), 2u);
  const auto& jenkins =
      done->statuses[0].context == "ci/jenkins" ? done->statuses[0] : done->statuses[1];
  EXPECT_EQ(jenkins.state, "error");
  EXPECT_EQ(jenkins.description, "Build broke");
  EXPECT_EQ(jenkins.target_url, "https://ci.example.test/7");
}

TEST_F(ClientOperations, JobLogFollowsTheRedirectWithoutTheToken) {
  auto sha = fake_->commit_files("acme", "widgets", "feature", {{"a.cpp", "int a;\n"}}, "a");
  ASSERT_TRUE(sha.ok());
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "line " + std::to_string(i) + "\n";
  text += "error: expected ';'\n";
  int64_t job = fake_->add_check_run("acme", "widgets", *sha, "build", "failure", text);

  auto log = client_->download_job_log(repo_, job);
  ASSERT_TRUE(log.ok()) << log.error().describe();
  EXPECT_EQ(log->text, text);
  EXPECT_FALSE(log->truncated);
  auto first = seen("/repos/{owner}/{repo}/actions/jobs/{job_id}/logs");
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].status, 302);
  auto blob = seen("/_blobs/logs/{job_id}");
  ASSERT_EQ(blob.size(), 1u);
  EXPECT_EQ(blob[0].status, 200);
  EXPECT_EQ(blob[0].auth, "none");  // the token stays with api host

  auto tail = client_->download_job_log(repo_, job, 20);
  ASSERT_TRUE(tail.ok());
  EXPECT_TRUE(tail->truncated);
  EXPECT_EQ(tail->text, "error: expected ';'\n");
  EXPECT_EQ(tail->total_bytes, text.size());
}

TEST_F(ClientOperations, CompareCountsCommitsAndFiles) {
  ASSERT_TRUE(fake_->commit_files("acme", "widgets", "feature", {{"a.cpp", "a\n"}}, "a").ok());
  ASSERT_TRUE(fake_->commit_files("acme", "widgets", "feature", {{"b.cpp", "b\n"}}, "b").ok());
  auto c = client_->compare(repo_, "main", "feature");
  ASSERT_TRUE(c.ok()) << c.error().describe();
  EXPECT_EQ(c->status, "ahead");
  EXPECT_EQ(c->ahead_by, 2);
  EXPECT_EQ(c->behind_by, 0);
  ASSERT_EQ(c->files.size(), 2u);
  EXPECT_EQ(c->files[0].filename, "a.cpp");
  EXPECT_EQ(c->files[0].status, "added");
  EXPECT_EQ(c->merge_base_sha, fake_->branch_sha("acme", "widgets", "main"));
}

TEST_F(ClientOperations, ListsAndRedeliversTheAppsWebhookDeliveries) {
  int issue = fake_->create_issue("acme", "widgets", "alice", "One", "");  // issues.opened
  fake_->add_comment("acme", "widgets", issue, "alice", "/plan");          // issue_comment.created
  fake_->add_label_by("acme", "widgets", issue, "alice", "bottega");       // issues.labeled
  ASSERT_TRUE(fake_->wait_for_webhooks(3, 5s));

  auto page1 = client_->list_hook_deliveries(2);
  ASSERT_TRUE(page1.ok()) << page1.error().describe();
  ASSERT_EQ(page1->deliveries.size(), 2u);
  EXPECT_EQ(page1->deliveries[0].event, "issues");  // newest first
  EXPECT_EQ(page1->deliveries[0].action, "labeled");
  EXPECT_EQ(page1->deliveries[1].event, "issue_comment");
  EXPECT_EQ(page1->deliveries[0].installation_id, installation_);
  EXPECT_TRUE(page1->deliveries[0].repository_id.has_value());
  EXPECT_EQ(page1->deliveries[0].guid.size(), 36u);
  ASSERT_TRUE(page1->next_cursor.has_value());
  auto page2 = client_->list_hook_deliveries(2, page1->next_cursor);
  ASSERT_TRUE(page2.ok()) << page2.error().describe();
  ASSERT_EQ(page2->deliveries.size(), 1u);
  EXPECT_EQ(page2->deliveries[0].action, "opened");
  EXPECT_FALSE(page2->next_cursor.has_value());
  for (auto& r : seen("/app/hook/deliveries")) EXPECT_EQ(r.auth, "jwt");

  auto again = client_->redeliver_hook_delivery(page2->deliveries[0].id);
  ASSERT_TRUE(again.ok()) << again.error().describe();
  ASSERT_TRUE(fake_->wait_for_webhooks(4, 5s));
  auto hooks = fake_->webhooks();
  ASSERT_EQ(hooks.size(), 4u);
  EXPECT_EQ(hooks.back().guid, page2->deliveries[0].guid);  // same delivery, sent again
  auto latest = client_->list_hook_deliveries(1);
  ASSERT_TRUE(latest.ok());
  EXPECT_TRUE(latest->deliveries.at(0).redelivery);

  auto missing = client_->redeliver_hook_delivery(1);
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.error().is_not_found());
}

TEST_F(ClientOperations, SecretsInABodyReachGitHubRedacted) {
  const std::string key = "sk-test-leaked-model-key-0123";
  register_secret(key, "harnesses.claude.api_key");
  auto token = client_->installation_token(installation_);
  ASSERT_TRUE(token.ok()) << token.error().describe();
  int issue = fake_->create_issue("acme", "widgets", "alice", "Bug", "Broken");
  auto comment = client_->create_issue_comment(
      repo_, issue, "key " + key + ", quoted \"" + key + "\", token " + *token);
  ASSERT_TRUE(comment.ok()) << comment.error().describe();
  EXPECT_EQ(comment->body, "key [REDACTED], quoted \"[REDACTED]\", token [REDACTED]");
  auto posted = seen("/repos/{owner}/{repo}/issues/{issue_number}/comments", "POST");
  ASSERT_EQ(posted.size(), 1u);
  EXPECT_EQ(posted[0].body.find(key), std::string::npos) << posted[0].body;
  EXPECT_EQ(posted[0].body.find(*token), std::string::npos) << posted[0].body;

  auto edited = client_->update_issue_comment(repo_, comment->id, "edited " + key);
  ASSERT_TRUE(edited.ok()) << edited.error().describe();
  EXPECT_EQ(edited->body, "edited [REDACTED]");

  auto sha = fake_->commit_files("acme", "widgets", "leaky", {{"a.txt", "a\n"}}, "Add a");
  ASSERT_TRUE(sha.ok());
  auto pr =
      client_->create_pull(repo_, {"Fix " + key, "leaky", "main", "Closes #1\n" + key, false});
  ASSERT_TRUE(pr.ok()) << pr.error().describe();
  EXPECT_EQ(pr->title, "Fix [REDACTED]");
  EXPECT_EQ(pr->body, "Closes #1\n[REDACTED]");
  unregister_secret(key);
}

}  // namespace
}  // namespace bottega::testing
