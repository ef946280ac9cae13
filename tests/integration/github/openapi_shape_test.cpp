// The fake GitHub's answers, for every route the app uses, checked against
// GitHub's own REST description (the pinned npm package @octokit/openapi,
// fetched by deploy/test.sh into $BOTTEGA_NPM_DIR/openapi): required
// properties present, types right, null only where nullable, enum values
// known, through $ref, allOf, anyOf and oneOf.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdlib>
#include <filesystem>
#include <set>
#include <thread>

#include "github/http_transport.h"
#include "github/jwt.h"
#include "tests/integration/github/github_fixture.h"

namespace bottega::testing {
namespace {

namespace dom = simdjson::dom;
using namespace std::chrono_literals;

class ShapeChecker {
 public:
  explicit ShapeChecker(dom::element root) : root_(root) {}
  const std::vector<std::string>& errors() const { return errors_; }

  void check(dom::element value, dom::element schema, const std::string& where, int depth = 0) {
    if (depth > 60) return;
    std::string_view ref;
    if (!schema["$ref"].get_string().get(ref)) {
      dom::element target;
      if (ref.empty() || ref[0] != '#' || root_.at_pointer(ref.substr(1)).get(target)) {
        errors_.push_back(where + ": cannot resolve " + std::string(ref));
        return;
      }
      return check(value, target, where, depth + 1);
    }
    bool nullable = false;
    if (value.is_null() && !schema["nullable"].get_bool().get(nullable) && nullable) return;
    dom::array list;
    if (!schema["allOf"].get_array().get(list))
      for (dom::element s : list) check(value, s, where, depth + 1);
    for (const char* key : {"anyOf", "oneOf"}) {
      if (schema[key].get_array().get(list)) continue;
      std::string first_failure;
      bool matched = false;
      for (dom::element alternative : list) {
        ShapeChecker sub(root_);
        sub.check(value, alternative, where, depth + 1);
        if (sub.errors_.empty()) {
          matched = true;
          break;
        }
        if (first_failure.empty()) first_failure = sub.errors_.front();
      }
      if (!matched)
        errors_.push_back(where + ": matches none of " + key + " (" + first_failure + ")");
      return;
    }
    std::string_view type;
    const bool typed = !schema["type"].get_string().get(type);
    if (value.is_null()) {
      if (typed) errors_.push_back(where + ": null but not nullable");
      return;
    }
    if (!typed) return;
    if (type == "object") {
      dom::object object;
      if (value.get_object().get(object)) return errors_.push_back(where + ": not an object");
      if (!schema["required"].get_array().get(list))
        for (dom::element name : list) {
          std::string_view n = name.get_string().value_unsafe();
          dom::element ignored;
          if (object[n].get(ignored)) errors_.push_back(where + "." + std::string(n) + ": missing");
        }
      dom::object properties;
      if (!schema["properties"].get_object().get(properties))
        for (auto field : properties) {
          dom::element v;
          if (!object[field.key].get(v))
            check(v, field.value, where + "." + std::string(field.key), depth + 1);
        }
    } else if (type == "array") {
      dom::array items;
      if (value.get_array().get(items)) return errors_.push_back(where + ": not an array");
      dom::element item_schema;
      if (schema["items"].get(item_schema)) return;
      int i = 0;
      for (dom::element item : items)
        if (i < 3) check(item, item_schema, where + "[" + std::to_string(i++) + "]", depth + 1);
    } else if (type == "string") {
      std::string_view s;
      if (value.get_string().get(s)) return errors_.push_back(where + ": not a string");
      if (!schema["enum"].get_array().get(list)) {
        bool known = false;
        for (dom::element e : list) {
          std::string_view option;
          if (!e.get_string().get(option) && option == s) known = true;
        }
        if (!known)
          errors_.push_back(where + ": \"" + std::string(s) + "\" is not one of the enum values");
      }
    } else if (type == "integer") {
      if (!value.is_int64() && !value.is_uint64()) errors_.push_back(where + ": not an integer");
    } else if (type == "number") {
      if (!value.is_number()) errors_.push_back(where + ": not a number");
    } else if (type == "boolean") {
      if (!value.is_bool()) errors_.push_back(where + ": not a boolean");
    }
  }

 private:
  dom::element root_;
  std::vector<std::string> errors_;
};

std::string escape_pointer(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

class OpenApiShape : public GitHubFixture {
 protected:
  void SetUp() override {
    const char* npm = std::getenv("BOTTEGA_NPM_DIR");
    if (!npm || !*npm) GTEST_SKIP() << "BOTTEGA_NPM_DIR is not set (deploy/test.sh sets it)";
    std::string path =
        std::string(npm) + "/openapi/node_modules/@octokit/openapi/generated/api.github.com.json";
    ASSERT_TRUE(std::filesystem::exists(path))
        << path << " is missing: run tests/support/npm-packages.sh";
    ASSERT_FALSE(parser_.load(path).get(description_)) << "cannot parse " << path;
    GitHubFixture::SetUp();
    http_ = std::make_unique<github::HttpTransport>(github::TransportOptions{certs_.ca_cert});
    token_ = fake_->issue_token(installation_, 3600s);
    jwt_ = *github::make_app_jwt(keys().private_pem, "4242", std::chrono::system_clock::now());
  }

  // Calls the fake and checks the answer against the description of
  // (method, route) for the status it expects.
  std::string call(const std::string& method, const std::string& route, const std::string& path,
                   int status, const std::string& body = "", bool app = false) {
    SCOPED_TRACE(method + " " + route);
    github::HttpCall c;
    c.method = method;
    c.url = fake_->base_url() + path;
    c.body = body;
    c.headers = {{"Authorization", "Bearer " + (app ? jwt_ : token_)},
                 {"Accept", "application/vnd.github+json"}};
    if (!body.empty()) c.headers.emplace_back("Content-Type", "application/json");
    auto reply = http_->send(c);
    EXPECT_TRUE(reply.ok());
    if (!reply.ok()) return "";
    EXPECT_EQ(reply->status, status) << reply->body;
    std::string lower_method = method;
    for (auto& ch : lower_method) ch = static_cast<char>(std::tolower(ch));
    std::string pointer = "/paths/" + escape_pointer(route) + "/" + lower_method + "/responses/" +
                          std::to_string(status);
    dom::element response;
    if (description_.at_pointer(pointer).get(response)) {
      ADD_FAILURE() << "GitHub's description has no " << pointer;
      return reply->body;
    }
    std::string_view ref;
    if (!response["$ref"].get_string().get(ref)) {
      EXPECT_FALSE(description_.at_pointer(ref.substr(1)).get(response));
    }
    dom::element schema;
    if (response.at_pointer("/content/application~1json/schema").get(schema)) {
      ADD_FAILURE() << pointer << " has no application/json schema";
      return reply->body;
    }
    dom::parser p;
    dom::element value;
    if (p.parse(reply->body).get(value)) {
      ADD_FAILURE() << "not JSON: " << reply->body.substr(0, 200);
      return reply->body;
    }
    ShapeChecker checker(description_);
    checker.check(value, schema, "$");
    for (auto& e : checker.errors()) ADD_FAILURE() << method << " " << route << ": " << e;
    ++checked_;
    return reply->body;
  }

  static int64_t id_in(const std::string& body) {
    auto pos = body.find("\"id\":");
    return pos == std::string::npos ? 0 : std::atoll(body.c_str() + pos + 5);
  }

  dom::parser parser_;
  dom::element description_;
  std::unique_ptr<github::HttpTransport> http_;
  std::string token_, jwt_;
  int checked_ = 0;
};

// The checker itself can fail: a comment missing fields, a wrong type, an
// unknown enum value and a null where none is allowed are all reported.
TEST_F(OpenApiShape, CheckerReportsWhatDoesNotMatch) {
  dom::element schema;
  ASSERT_FALSE(description_.at_pointer("/components/schemas/issue-comment").get(schema));
  dom::parser p;
  dom::element value;
  ASSERT_FALSE(
      p.parse(std::string(
                  R"({"id":"7","node_id":null,"url":"u","html_url":"h","issue_url":"i",)"
                  R"("created_at":"c","updated_at":"u","user":null,"author_association":"BOSS"})"))
          .get(value));
  ShapeChecker checker(description_);
  checker.check(value, schema, "$");
  auto all = checker.errors();
  auto has = [&](const std::string& text) {
    for (auto& e : all)
      if (e.find(text) != std::string::npos) return true;
    return false;
  };
  EXPECT_TRUE(has("$.id: not an integer"));
  EXPECT_TRUE(has("$.node_id: null but not nullable"));
  EXPECT_TRUE(has("BOSS"));
  EXPECT_FALSE(has("$.user"));  // user is nullable
  ShapeChecker missing(description_);
  ASSERT_FALSE(p.parse(std::string("{}")).get(value));
  missing.check(value, schema, "$");
  EXPECT_GE(missing.errors().size(), 8u);
}

TEST_F(OpenApiShape, FakeAnswersMatchGitHubsRestDescription) {
  const std::string r = "/repos/acme/widgets";
  int issue = fake_->create_issue("acme", "widgets", "alice", "Bug", "Broken", {"bug"});
  auto sha = fake_->commit_files("acme", "widgets", "feature", {{"a.cpp", "int a;\n"}}, "a");
  ASSERT_TRUE(sha.ok());
  int64_t job = fake_->add_check_run("acme", "widgets", *sha, "build", "failure", "log\n",
                                     {{"a.cpp", 1, 1, "failure", "error", "expected ';'"}});
  fake_->set_permission("acme", "widgets", "writer", "write");

  // App endpoints (JWT).
  call("GET", "/app", "/app", 200, "", true);
  call("GET", "/repos/{owner}/{repo}/installation", r + "/installation", 200, "", true);
  call("POST", "/app/installations/{installation_id}/access_tokens",
       "/app/installations/" + std::to_string(installation_) + "/access_tokens", 201, "", true);
  ASSERT_TRUE(fake_->wait_for_webhooks(1, 5s));
  call("GET", "/app/hook/deliveries", "/app/hook/deliveries?per_page=5", 200, "", true);

  // The installation's repositories (bottega doctor), then contents, issues,
  // comments, reactions, labels, permissions.
  call("GET", "/installation/repositories", "/installation/repositories", 200);
  call("GET", "/repos/{owner}/{repo}/contents/{path}", r + "/contents/.github/bottega.yml", 200);
  call("GET", "/repos/{owner}/{repo}/contents/{path}", r + "/contents/.github", 200);
  call("GET", "/repos/{owner}/{repo}/git/ref/{ref}", r + "/git/ref/heads/main", 200);
  call("GET", "/repos/{owner}/{repo}/issues/{issue_number}", r + "/issues/" + std::to_string(issue),
       200);
  auto comment =
      call("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments",
           r + "/issues/" + std::to_string(issue) + "/comments", 201, R"({"body":"Plan"})");
  int64_t comment_id = id_in(comment);
  call("PATCH", "/repos/{owner}/{repo}/issues/comments/{comment_id}",
       r + "/issues/comments/" + std::to_string(comment_id), 200, R"({"body":"Plan v2"})");
  call("GET", "/repos/{owner}/{repo}/issues/{issue_number}/comments",
       r + "/issues/" + std::to_string(issue) + "/comments", 200);
  call("POST", "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions",
       r + "/issues/comments/" + std::to_string(comment_id) + "/reactions", 201,
       R"({"content":"eyes"})");
  call("POST", "/repos/{owner}/{repo}/issues/{issue_number}/reactions",
       r + "/issues/" + std::to_string(issue) + "/reactions", 201, R"({"content":"rocket"})");
  call("POST", "/repos/{owner}/{repo}/labels", r + "/labels", 201,
       R"({"name":"bottega: planning","color":"5319e7"})");
  call("GET", "/repos/{owner}/{repo}/labels/{name}", r + "/labels/bottega%3A%20planning", 200);
  call("POST", "/repos/{owner}/{repo}/issues/{issue_number}/labels",
       r + "/issues/" + std::to_string(issue) + "/labels", 200,
       R"({"labels":["bottega: planning"]})");
  call("DELETE", "/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}",
       r + "/issues/" + std::to_string(issue) + "/labels/bottega%3A%20planning", 200);
  call("GET", "/repos/{owner}/{repo}/collaborators/{username}/permission",
       r + "/collaborators/writer/permission", 200);

  // Pulls, reviews, review comments.
  auto pull = call("POST", "/repos/{owner}/{repo}/pulls", r + "/pulls", 201,
                   R"({"title":"A","head":"feature","base":"main","body":"Closes #1"})");
  int pr = static_cast<int>(std::atoll(pull.c_str() + pull.find("\"number\":") + 9));
  std::this_thread::sleep_for(200ms);
  call("GET", "/repos/{owner}/{repo}/pulls/{pull_number}", r + "/pulls/" + std::to_string(pr), 200);
  call("GET", "/repos/{owner}/{repo}/pulls", r + "/pulls?head=acme:feature&state=all", 200);
  fake_->submit_review("acme", "widgets", pr, "carol", "CHANGES_REQUESTED", "No",
                       {{"a.cpp", 1, "Rename"}});
  call("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews",
       r + "/pulls/" + std::to_string(pr) + "/reviews", 200);
  auto review_comments = call("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/comments",
                              r + "/pulls/" + std::to_string(pr) + "/comments", 200);
  int64_t review_comment =
      std::atoll(review_comments.c_str() + review_comments.find("\"id\":") + 5);
  call("POST", "/repos/{owner}/{repo}/pulls/{pull_number}/comments/{comment_id}/replies",
       r + "/pulls/" + std::to_string(pr) + "/comments/" + std::to_string(review_comment) +
           "/replies",
       201, R"({"body":"Done"})");
  call("POST", "/repos/{owner}/{repo}/pulls/comments/{comment_id}/reactions",
       r + "/pulls/comments/" + std::to_string(review_comment) + "/reactions", 201,
       R"({"content":"+1"})");

  // Checks and compare.
  call("GET", "/repos/{owner}/{repo}/commits/{ref}/check-runs",
       r + "/commits/" + *sha + "/check-runs", 200);
  call("GET", "/repos/{owner}/{repo}/check-runs/{check_run_id}/annotations",
       r + "/check-runs/" + std::to_string(job) + "/annotations", 200);
  auto mine = call("POST", "/repos/{owner}/{repo}/check-runs", r + "/check-runs", 201,
                   R"({"name":"bottega","head_sha":")" + *sha +
                       R"(","status":"in_progress","output":{"title":"Working","summary":"1/5"}})");
  call("PATCH", "/repos/{owner}/{repo}/check-runs/{check_run_id}",
       r + "/check-runs/" + std::to_string(id_in(mine)), 200, R"({"conclusion":"success"})");
  call("GET", "/repos/{owner}/{repo}/compare/{basehead}", r + "/compare/main...feature", 200);

  EXPECT_EQ(checked_, 31);
}

// The routes the pull request side added (issue 13): re-running a failed
// workflow run's jobs; commit statuses and the combined status.
TEST_F(OpenApiShape, FakeAnswersOfThePullRequestSideMatch) {
  const std::string r = "/repos/acme/widgets";
  auto sha = fake_->commit_files("acme", "widgets", "feature", {{"a.cpp", "int a;\n"}}, "a");
  ASSERT_TRUE(sha.ok());
  int64_t job = fake_->add_check_run("acme", "widgets", *sha, "build", "failure", "log\n");
  call("POST", "/repos/{owner}/{repo}/actions/runs/{run_id}/rerun-failed-jobs",
       r + "/actions/runs/" + std::to_string(job) + "/rerun-failed-jobs", 201, "{}");
  EXPECT_EQ(fake_->reruns(), std::vector<int64_t>{job});
  // Commit statuses (the Statuses API) and the combined status.
  call("POST", "/repos/{owner}/{repo}/statuses/{sha}", r + "/statuses/" + *sha, 201,
       R"({"state":"failure","context":"ci/jenkins","description":"broke",)"
       R"("target_url":"https://ci.example.test/1"})");
  fake_->add_status("acme", "widgets", *sha, "ci/other", "pending");
  call("GET", "/repos/{owner}/{repo}/commits/{ref}/status", r + "/commits/" + *sha + "/status",
       200);
  EXPECT_EQ(checked_, 3);
}

// Every kind of webhook the fake sends, against the webhook payloads in the
// same description (x-webhooks/<event>-<action>).
TEST_F(OpenApiShape, WebhookPayloadsMatchGitHubsDescription) {
  int issue = fake_->create_issue("acme", "widgets", "alice", "Bug", "Broken");
  int64_t comment = fake_->add_comment("acme", "widgets", issue, "alice", "/plan");
  fake_->add_label_by("acme", "widgets", issue, "alice", "bottega");
  auto sha = fake_->commit_files("acme", "widgets", "feature", {{"a.cpp", "int a;\n"}}, "a");
  ASSERT_TRUE(sha.ok());
  const std::string r = "/repos/acme/widgets";
  call("PATCH", "/repos/{owner}/{repo}/issues/comments/{comment_id}",
       r + "/issues/comments/" + std::to_string(comment), 200, R"({"body":"/plan please"})");
  ASSERT_TRUE(fake_->edit_comment("acme", "widgets", comment, "carol", "/plan now"));
  fake_->assign_issue("acme", "widgets", issue, "alice", "bottega[bot]");
  auto pull = call("POST", "/repos/{owner}/{repo}/pulls", r + "/pulls", 201,
                   R"({"title":"A","head":"feature","base":"main","body":"Closes #1"})");
  int pr = static_cast<int>(std::atoll(pull.c_str() + pull.find("\"number\":") + 9));
  fake_->submit_review("acme", "widgets", pr, "carol", "CHANGES_REQUESTED", "No",
                       {{"a.cpp", 1, "Rename"}});
  ASSERT_TRUE(fake_->commit_files("acme", "widgets", "feature", {{"b.cpp", "b\n"}}, "b").ok());
  fake_->add_check_run("acme", "widgets", *sha, "build", "failure", "log\n");
  fake_->add_status("acme", "widgets", *sha, "ci/jenkins", "error", "broke",
                    "https://ci.example.test/1");
  call("POST", "/repos/{owner}/{repo}/issues/{issue_number}/labels",
       r + "/issues/" + std::to_string(pr) + "/labels", 200, R"({"labels":["bottega: pr"]})");
  ASSERT_TRUE(fake_->merge_pull("acme", "widgets", pr, "alice").ok());
  fake_->close_issue("acme", "widgets", issue, "alice");
  ASSERT_TRUE(fake_->wait_for_webhooks(fake_->webhooks().size(), 5s));

  std::set<std::string> kinds;
  for (auto& hook : fake_->webhooks()) {
    std::string key = hook.event + (hook.action.empty() ? "" : "-" + hook.action);
    for (auto& ch : key)
      if (ch == '_') ch = '-';
    kinds.insert(key);
    SCOPED_TRACE(key);
    dom::element schema;
    if (description_
            .at_pointer("/x-webhooks/" + key + "/post/requestBody/content/application~1json/schema")
            .get(schema)) {
      ADD_FAILURE() << "no webhook " << key << " in GitHub's description";
      continue;
    }
    dom::parser p;
    dom::element value;
    ASSERT_FALSE(p.parse(hook.body).get(value));
    ShapeChecker checker(description_);
    checker.check(value, schema, key);
    for (auto& e : checker.errors()) ADD_FAILURE() << e;
  }
  EXPECT_EQ(kinds,
            (std::set<std::string>{
                "issues-opened", "issue-comment-created", "issue-comment-edited", "issues-labeled",
                "push", "pull-request-opened", "pull-request-review-comment-created",
                "pull-request-review-submitted", "pull-request-synchronize", "check-run-completed",
                "check-suite-completed", "pull-request-labeled", "pull-request-closed",
                "issues-assigned", "issues-closed", "status"}));
}

}  // namespace
}  // namespace bottega::testing
