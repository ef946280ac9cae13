// The fake GitHub itself: git smart HTTP with token auth (clone, fetch,
// push, force-push), the webhooks it signs and sends, and the fake-github
// program.
#include <gtest/gtest.h>
#include <openssl/hmac.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <thread>

#include "github/http_transport.h"
#include "tests/integration/github/github_fixture.h"
#include "tests/support/fake_github/fake_server.h"
#include "tests/support/shell.h"

extern char** environ;

namespace bottega::testing {
namespace {

using namespace std::chrono_literals;

// Runs a shell command (git never prompts), capturing stdout and stderr.
ShellResult sh(const std::string& command) {
  return run_shell("GIT_TERMINAL_PROMPT=0 GIT_CONFIG_NOSYSTEM=1 " + command + " 2>&1");
}

std::string q(const std::string& s) { return shell_quote(s); }

std::string hmac_hex(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  static const char* digits = "0123456789abcdef";
  std::string h;
  for (unsigned i = 0; i < len; ++i) {
    h += digits[out[i] >> 4];
    h += digits[out[i] & 15];
  }
  return h;
}

class FakeGitHubGit : public GitHubFixture {
 protected:
  // A URL with the token as basic-auth password, as the app's credential
  // helper would supply it; the CA is trusted per command.
  std::string url_with(const std::string& token) const {
    std::string base = fake_->clone_url("acme", "widgets");
    return "https://x-access-token:" + token + "@" + base.substr(std::string("https://").size());
  }
  // GIT_SSL_CAINFO (set in some environments) beats http.sslCAInfo, so set both.
  std::string git() const {
    return "GIT_SSL_CAINFO=" + q(certs_.ca_cert) + " git -c http.sslCAInfo=" + q(certs_.ca_cert) +
           " -c user.name=t -c user.email=t@example.com";
  }
};

TEST_F(FakeGitHubGit, CloneWithAValidTokenWorksAndWithABadTokenFails) {
  std::string token = fake_->issue_token(installation_, 600s);
  auto ok = sh(git() + " clone -q " + q(url_with(token)) + " " + q(dir_ + "/good"));
  ASSERT_EQ(ok.status, 0) << ok.out;
  std::ifstream readme(dir_ + "/good/README.md");
  std::string line;
  std::getline(readme, line);
  EXPECT_EQ(line, "# widgets");

  auto bad = sh(git() + " clone -q " + q(url_with("ghs_wrong")) + " " + q(dir_ + "/bad"));
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.out.find("Authentication failed"), std::string::npos) << bad.out;

  auto expired_token = fake_->issue_token(installation_, 0s);
  auto expired = sh(git() + " clone -q " + q(url_with(expired_token)) + " " + q(dir_ + "/expired"));
  EXPECT_NE(expired.status, 0);

  // A token of another installation does not see the repository at all.
  int64_t other = fake_->add_installation("globex");
  auto foreign = sh(git() + " clone -q " + q(url_with(fake_->issue_token(other, 600s))) + " " +
                    q(dir_ + "/foreign"));
  EXPECT_NE(foreign.status, 0);
  EXPECT_NE(foreign.out.find("not found"), std::string::npos) << foreign.out;
}

TEST_F(FakeGitHubGit, PushFetchAndForcePushUpdateTheRepositoryAndSendWebhooks) {
  std::string token = fake_->issue_token(installation_, 600s);
  std::string work = dir_ + "/work";
  ASSERT_EQ(sh(git() + " clone -q " + q(url_with(token)) + " " + q(work)).status, 0);
  auto in = [&](const std::string& cmd) {
    return sh("cd " + q(work) + " && " + git() + " " + cmd);
  };
  ASSERT_EQ(
      sh("cd " + q(work) + " && git checkout -qb feature && echo one > a.txt && git add a.txt")
          .status,
      0);
  ASSERT_EQ(in("commit -qm one").status, 0);
  auto pushed = in("push -q origin feature");
  ASSERT_EQ(pushed.status, 0) << pushed.out;
  std::string first = fake_->branch_sha("acme", "widgets", "feature");
  EXPECT_EQ(first, sh("cd " + q(work) + " && git rev-parse HEAD").out.substr(0, 40));

  // Open a PR through the API (as the app would), then push to its head.
  auto client = make_client(client_options());
  ASSERT_TRUE(client);
  auto pr = client->create_pull(repo_, {"One", "feature", "main", "", false});
  ASSERT_TRUE(pr.ok()) << pr.error().describe();

  ASSERT_EQ(sh("cd " + q(work) + " && echo two > a.txt").status, 0);
  ASSERT_EQ(in("commit -qam two").status, 0);
  ASSERT_EQ(in("push -q origin feature").status, 0);
  std::string second = fake_->branch_sha("acme", "widgets", "feature");
  EXPECT_NE(second, first);

  // Force-push a rewritten history.
  ASSERT_EQ(in("commit -q --amend -m two-amended").status, 0);
  auto forced = in("push -q --force origin feature");
  ASSERT_EQ(forced.status, 0) << forced.out;
  std::string third = fake_->branch_sha("acme", "widgets", "feature");
  EXPECT_NE(third, second);
  EXPECT_EQ(fake_->pull("acme", "widgets", pr->number)->head_sha, third);

  // Fetch sees a change made on GitHub's side.
  ASSERT_TRUE(fake_->commit_files("acme", "widgets", "main", {{"m.txt", "m\n"}}, "on main").ok());
  ASSERT_EQ(in("fetch -q origin").status, 0);
  EXPECT_EQ(sh("cd " + q(work) + " && git rev-parse origin/main").out.substr(0, 40),
            fake_->branch_sha("acme", "widgets", "main"));

  std::vector<std::string> events;
  bool saw_forced = false;
  for (auto& w : fake_->webhooks()) {
    events.push_back(w.event + (w.action.empty() ? "" : "." + w.action));
    if (w.event == "push" && w.body.find("\"forced\":true") != std::string::npos) saw_forced = true;
  }
  EXPECT_EQ(events, (std::vector<std::string>{"push", "pull_request.opened", "push",
                                              "pull_request.synchronize", "push",
                                              "pull_request.synchronize", "push"}));
  EXPECT_TRUE(saw_forced);
}

// As on GitHub, an App without the `workflows` permission pushes no change
// to a workflow file: on a new branch, on an existing one, nor by deleting.
TEST_F(FakeGitHubGit, AnAppsPushThatChangesAWorkflowFileIsRefused) {
  ASSERT_TRUE(fake_
                  ->commit_files("acme", "widgets", "main",
                                 {{".github/workflows/ci.yml", "on: push\n"}}, "CI")
                  .ok());
  std::string token = fake_->issue_token(installation_, 600s);
  std::string work = dir_ + "/work";
  ASSERT_EQ(sh(git() + " clone -q " + q(url_with(token)) + " " + q(work)).status, 0);
  auto in = [&](const std::string& cmd) {
    return sh("cd " + q(work) + " && " + git() + " " + cmd);
  };
  ASSERT_EQ(sh("cd " + q(work) + " && git checkout -qb feature && echo ok > a.txt && git add a.txt")
                .status,
            0);
  ASSERT_EQ(in("commit -qm a").status, 0);
  ASSERT_EQ(in("push -q origin feature").status, 0) << "no workflow change: accepted";
  const std::string accepted = fake_->branch_sha("acme", "widgets", "feature");

  for (const std::string change :
       {"echo 'on: pull_request' > .github/workflows/ci.yml", "echo x > .github/workflows/new.yml",
        "git rm -q .github/workflows/ci.yml"}) {
    ASSERT_EQ(sh("cd " + q(work) + " && git reset -q --hard " + accepted + " && " + change +
                 " && git add -A")
                  .status,
              0);
    ASSERT_EQ(in("commit -qm wf").status, 0);
    for (const std::string ref : {"feature", "HEAD:refs/heads/fresh"}) {
      auto push = in("push -q origin " + ref);
      EXPECT_NE(push.status, 0) << change << " -> " << ref;
      EXPECT_NE(push.out.find("refusing to allow a GitHub App to create or update workflow"),
                std::string::npos)
          << push.out;
    }
    EXPECT_EQ(fake_->branch_sha("acme", "widgets", "feature"), accepted) << change;
    EXPECT_TRUE(fake_->branch_sha("acme", "widgets", "fresh").empty()) << change;
  }
}

TEST_F(FakeGitHubGit, PushWithAnExpiredTokenIsRefused) {
  std::string token = fake_->issue_token(installation_, 600s);
  std::string work = dir_ + "/work";
  ASSERT_EQ(sh(git() + " clone -q " + q(url_with(token)) + " " + q(work)).status, 0);
  fake_->revoke_tokens(installation_);
  ASSERT_EQ(
      sh("cd " + q(work) + " && echo x > x.txt && git add x.txt && " + git() + " commit -qm x")
          .status,
      0);
  auto push = sh("cd " + q(work) + " && " + git() + " push -q origin HEAD:refs/heads/x");
  EXPECT_NE(push.status, 0);
  EXPECT_TRUE(fake_->branch_sha("acme", "widgets", "x").empty());
}

// ------------------------------------------------------------ webhooks

// The receiver is a FakeServer standing in for the app's endpoint.
class FakeGitHubWebhooks : public GitHubFixture {
 protected:
  void SetUp() override {
    receiver_ = std::make_unique<fake_github::FakeServer>(fake_github::FakeServerOptions{},
                                                          [this](const fake_github::Request& r) {
                                                            std::lock_guard lock(mutex_);
                                                            received_.push_back(r);
                                                            fake_github::Response res;
                                                            res.status = 202;
                                                            return res;
                                                          });
    ASSERT_TRUE(receiver_->start().ok());
    start_fake([this](auto& o) {
      o.webhook_url = "http://127.0.0.1:" + std::to_string(receiver_->port()) + "/webhooks/github";
      o.webhook_secret = "s3cret-webhook";
    });
  }
  void TearDown() override {
    GitHubFixture::TearDown();
    receiver_->stop();
  }
  std::vector<fake_github::Request> received() {
    std::lock_guard lock(mutex_);
    return received_;
  }
  std::mutex mutex_;
  std::vector<fake_github::Request> received_;
  std::unique_ptr<fake_github::FakeServer> receiver_;
};

TEST_F(FakeGitHubWebhooks, ScriptedEventsAreSignedAndSentWithUniqueDeliveryIds) {
  fake_->set_permission("acme", "widgets", "reader", "read");
  int issue = fake_->create_issue("acme", "widgets", "alice", "Bug", "Broken");
  fake_->add_comment("acme", "widgets", issue, "reader", "/approve");
  ASSERT_TRUE(fake_->commit_files("acme", "widgets", "feature", {{"a.txt", "a\n"}}, "a").ok());
  auto client = make_client(client_options());
  ASSERT_TRUE(client);
  auto pr = client->create_pull(repo_, {"A", "feature", "main", "", false});
  ASSERT_TRUE(pr.ok());
  fake_->submit_review("acme", "widgets", pr->number, "carol", "CHANGES_REQUESTED", "No",
                       {{"a.txt", 1, "one"}, {"a.txt", 1, "two"}});
  fake_->add_check_run("acme", "widgets", pr->head_sha, "build", "failure", "boom\n");
  ASSERT_TRUE(fake_->wait_for_webhooks(9, 10s));

  auto got = received();
  ASSERT_EQ(got.size(), 9u);
  std::set<std::string> ids;
  std::vector<std::string> events;
  for (auto& r : got) {
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.path, "/webhooks/github");
    EXPECT_EQ(r.header("content-type"), "application/json");
    EXPECT_EQ(r.header("user-agent").substr(0, 16), "GitHub-Hookshot/");
    EXPECT_EQ(r.header("x-hub-signature-256"), "sha256=" + hmac_hex("s3cret-webhook", r.body));
    EXPECT_EQ(r.header("x-github-delivery").size(), 36u);
    ids.insert(r.header("x-github-delivery"));
    EXPECT_NE(r.body.find("\"installation\":{\"id\":" + std::to_string(installation_)),
              std::string::npos);
    EXPECT_NE(r.body.find("\"full_name\":\"acme/widgets\""), std::string::npos);
    events.push_back(r.header("x-github-event"));
  }
  EXPECT_EQ(ids.size(), got.size());
  EXPECT_EQ(events,
            (std::vector<std::string>{"issues", "issue_comment", "push", "pull_request",
                                      "pull_request_review_comment", "pull_request_review_comment",
                                      "pull_request_review", "check_run", "check_suite"}));
  // The comment's author and the body the app will parse.
  EXPECT_NE(got[1].body.find("\"body\":\"/approve\""), std::string::npos);
  EXPECT_NE(got[1].body.find("\"login\":\"reader\""), std::string::npos);
  // Webhooks spell review states in lower case.
  EXPECT_NE(got[6].body.find("\"state\":\"changes_requested\""), std::string::npos);
  for (auto& w : fake_->webhooks()) EXPECT_EQ(w.status_code, 202);
}

// What the workflow's end-to-end tests lean on: the App's own actions are
// the bot's (type Bot) and their webhooks name it as the sender; a person may
// edit the bot's comment; assignment and closing; the inspection calls.
TEST_F(FakeGitHubWebhooks, TheAppsActionsAreTheBotsAndPeopleEditAssignAndClose) {
  int issue = fake_->create_issue("acme", "widgets", "alice", "Bug", "Broken");
  auto client = make_client(client_options());
  ASSERT_TRUE(client);
  auto mine =
      client->create_issue_comment(repo_, issue, "<!-- bottega:plan task=1 revision=1 -->\nPlan");
  ASSERT_TRUE(mine.ok());
  ASSERT_TRUE(client->react_to_issue_comment(repo_, mine->id, github::Reaction::eyes).ok());
  ASSERT_TRUE(client->add_labels(repo_, issue, {"bottega:planning"}).ok());
  ASSERT_TRUE(client->add_labels(repo_, issue, {"bottega:planning"}).ok());  // has it: no event
  fake_->add_label_by("acme", "widgets", issue, "carol", "bottega");
  fake_->add_label_by("acme", "widgets", issue, "carol", "bottega");  // has it: no event
  ASSERT_TRUE(fake_->edit_comment("acme", "widgets", mine->id, "carol", "edited by carol"));
  fake_->assign_issue("acme", "widgets", issue, "carol", "bottega[bot]");
  fake_->close_issue("acme", "widgets", issue, "carol");
  ASSERT_TRUE(fake_->wait_for_webhooks(7, 10s));

  auto got = received();
  ASSERT_EQ(got.size(), 7u);
  std::vector<std::string> kinds;
  for (auto& r : got)
    kinds.push_back(r.header("x-github-event") + " " +
                    r.body.substr(11, r.body.find('"', 11) - 11));
  EXPECT_EQ(kinds, (std::vector<std::string>{
                       "issues opened", "issue_comment created", "issues labeled", "issues labeled",
                       "issue_comment edited", "issues assigned", "issues closed"}));
  auto sender_of = [](const std::string& body) { return body.substr(body.find("\"sender\":")); };
  EXPECT_NE(sender_of(got[1].body).find("\"login\":\"bottega[bot]\""), std::string::npos);
  EXPECT_NE(sender_of(got[1].body).find("\"type\":\"Bot\""), std::string::npos);
  EXPECT_NE(got[1].body.find("\"performed_via_github_app\":{"), std::string::npos);
  EXPECT_NE(sender_of(got[2].body).find("\"login\":\"bottega[bot]\""), std::string::npos);
  // The edit: carol sends it, the comment stays the bot's, the old body is in changes.
  EXPECT_NE(sender_of(got[4].body).find("\"login\":\"carol\""), std::string::npos);
  EXPECT_NE(
      got[4].body.find(
          "\"changes\":{\"body\":{\"from\":\"<!-- bottega:plan task=1 revision=1 -->\\nPlan\"}}"),
      std::string::npos);
  EXPECT_NE(got[4].body.find("\"updated_at\":\""), std::string::npos);
  EXPECT_NE(got[5].body.find("\"assignee\":{\"login\":\"bottega[bot]\""), std::string::npos);

  auto comment = fake_->comment("acme", "widgets", mine->id);
  ASSERT_TRUE(comment);
  EXPECT_EQ(comment->user, "bottega[bot]");
  EXPECT_EQ(comment->body, "edited by carol");
  EXPECT_EQ(comment->created_at.size(), 20u);  // 2024-01-01T00:00:00Z
  auto reactions = fake_->comment_reactions("acme", "widgets", mine->id);
  ASSERT_EQ(reactions.size(), 1u);
  EXPECT_EQ(reactions[0].user, "bottega[bot]");
  EXPECT_EQ(reactions[0].content, "eyes");
  auto history = fake_->label_history("acme", "widgets", issue);
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].label, "bottega:planning");
  EXPECT_EQ(history[0].user, "bottega[bot]");
  EXPECT_EQ(history[1].label, "bottega");
  EXPECT_EQ(history[1].user, "carol");

  ASSERT_TRUE(fake_->commit_files("acme", "widgets", "feature", {{"a.txt", "a\n"}}, "a").ok());
  ASSERT_TRUE(client->create_pull(repo_, {"A", "feature", "main", "Closes #1", false}).ok());
  auto pulls = fake_->pulls("acme", "widgets");
  ASSERT_EQ(pulls.size(), 1u);
  EXPECT_EQ(pulls[0].body, "Closes #1");
  EXPECT_EQ(pulls[0].user, "bottega[bot]");
  EXPECT_EQ(pulls[0].head_ref, "feature");
}

// ------------------------------------------------------------ the program

TEST(FakeGitHubProgram, ServesGitWithTokenAuth) {
  std::string dir = make_temp_dir("bottega-fake-program-");
  auto app_key = fake_github::generate_rsa_key_pair();
  std::ofstream(dir + "/app.pem") << app_key.private_pem;  // the App's own key file
  int out[2];
  ASSERT_EQ(::pipe(out), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  std::vector<std::string> args = {FAKE_GITHUB_BINARY,
                                   "--port",
                                   "0",
                                   "--state-dir",
                                   dir + "/state",
                                   "--webhook-url",
                                   "http://127.0.0.1:9/nowhere",
                                   "--repo",
                                   "acme/widgets",
                                   "--app-public-key",
                                   dir + "/app.pem"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  ASSERT_EQ(::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  FILE* stream = ::fdopen(out[0], "r");
  std::string url, installation;
  char line[512];
  while (url.empty() && std::fgets(line, sizeof line, stream)) {
    std::string l = line;
    if (l.rfind("fake-github repository acme/widgets installation ", 0) == 0)
      installation = l.substr(49, l.find('\n') - 49);
    if (l.rfind("fake-github listening on ", 0) == 0) url = l.substr(25, l.find('\n') - 25);
  }
  ASSERT_FALSE(url.empty());
  ASSERT_FALSE(installation.empty());

  github::HttpTransport http(github::TransportOptions{});
  auto token_reply = http.send({"POST",
                                url + "/_fake/tokens",
                                {{"Content-Type", "application/json"}},
                                "{\"installation_id\":" + installation + "}"});
  ASSERT_TRUE(token_reply.ok());
  ASSERT_EQ(token_reply->status, 201) << token_reply->body;
  auto& body = token_reply->body;
  auto start = body.find("ghs_");
  std::string token = body.substr(start, body.find('"', start) - start);

  std::string host = url.substr(std::string("http://").size());
  auto good = sh("git clone -q 'http://x-access-token:" + token + "@" + host +
                 "/acme/widgets.git' '" + dir + "/good'");
  EXPECT_EQ(good.status, 0) << good.out;
  EXPECT_TRUE(std::ifstream(dir + "/good/README.md").good());
  auto bad = sh("git clone -q 'http://x-access-token:nope@" + host + "/acme/widgets.git' '" + dir +
                "/bad'");
  EXPECT_NE(bad.status, 0);

  // The client talks to the program as to GitHub (plain HTTP here).
  github::GitHubClientOptions options;
  options.api_url = url;
  options.app_id = "4242";
  options.private_key_file = dir + "/app.pem";
  auto client = github::GitHubClient::create(options);
  ASSERT_TRUE(client.ok()) << client.error().describe();
  auto inst = (*client)->repository_installation("acme", "widgets");
  ASSERT_TRUE(inst.ok()) << inst.error().describe();
  EXPECT_EQ(std::to_string(inst->id), installation);
  auto readme = (*client)->get_file_contents({inst->id, "acme", "widgets"}, "README.md");
  ASSERT_TRUE(readme.ok()) << readme.error().describe();
  EXPECT_EQ(readme->content, "# widgets\n");

  // Scripting through the control API, as an end-to-end test would.
  auto post = [&](const std::string& path, const std::string& json) {
    auto reply = http.send({"POST", url + path, {{"Content-Type", "application/json"}}, json});
    EXPECT_TRUE(reply.ok());
    return reply.ok() ? reply->status : 0;
  };
  EXPECT_EQ(post("/_fake/permissions",
                 R"({"owner":"acme","repo":"widgets","user":"reader","permission":"read"})"),
            200);
  EXPECT_EQ(post("/_fake/issues",
                 R"({"owner":"acme","repo":"widgets","user":"alice","title":"Bug","body":"b"})"),
            201);
  EXPECT_EQ(
      post("/_fake/comments",
           R"({"owner":"acme","repo":"widgets","number":1,"user":"reader","body":"/approve"})"),
      201);
  EXPECT_EQ(
      post(
          "/_fake/assignments",
          R"({"owner":"acme","repo":"widgets","number":1,"user":"alice","assignee":"bottega[bot]"})"),
      200);
  EXPECT_EQ(post("/_fake/comment-edits",
                 R"({"owner":"acme","repo":"widgets","id":1,"user":"alice","body":"x"})"),
            404);
  EXPECT_EQ(
      post(
          "/_fake/faults",
          R"({"method":"GET","route":"/repos/{owner}/{repo}/contents/{path}","kind":"status","status":500,"times":1})"),
      200);
  auto retried =
      (*client)->get_file_contents({inst->id, "acme", "widgets"}, "README.md");  // 500, then 200
  EXPECT_TRUE(retried.ok());
  auto comments = (*client)->list_issue_comments({inst->id, "acme", "widgets"}, 1);
  ASSERT_TRUE(comments.ok()) << comments.error().describe();
  ASSERT_EQ(comments->size(), 1u);
  EXPECT_EQ(comments->at(0).user.login, "reader");
  EXPECT_EQ((*client)->collaborator_permission({inst->id, "acme", "widgets"}, "reader")->permission,
            "read");
  EXPECT_EQ(post("/_fake/comment-edits", R"({"owner":"acme","repo":"widgets","id":)" +
                                             std::to_string(comments->at(0).id) +
                                             R"(,"user":"alice","body":"/approve 1"})"),
            200);
  EXPECT_EQ(
      post("/_fake/closures", R"({"owner":"acme","repo":"widgets","number":1,"user":"alice"})"),
      200);
  auto hooks = http.send({"GET", url + "/_fake/webhooks", {}, ""});
  ASSERT_TRUE(hooks.ok());
  EXPECT_NE(hooks->body.find("\"event\":\"issue_comment\""), std::string::npos) << hooks->body;
  EXPECT_NE(hooks->body.find("\"action\":\"assigned\""), std::string::npos) << hooks->body;
  EXPECT_NE(hooks->body.find("\"action\":\"edited\""), std::string::npos) << hooks->body;
  EXPECT_NE(hooks->body.find("\"action\":\"closed\""), std::string::npos) << hooks->body;
  auto log = http.send({"GET", url + "/_fake/requests", {}, ""});
  ASSERT_TRUE(log.ok());
  EXPECT_NE(log->body.find("\"route\":\"/repos/{owner}/{repo}/issues/{issue_number}/comments\""),
            std::string::npos);
  EXPECT_NE(log->body.find("\"route\":\"/repos/{owner}/{repo}/contents/{path}\",\"status\":500"),
            std::string::npos);

  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::fclose(stream);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace bottega::testing
