// The offline demo end to end (spec/demo.md): `bottega-demo --fast` with
// its embedded PostgreSQL, the fake GitHub in-process, its stand-in CI and
// the scripted agent plays the whole story (the issue side, then a failing
// check fixed, a review addressed, the merge), prints the threads, leaves
// the stand-in GitHub in the final state the test reads through its REST
// API, stays up, and stops on Ctrl-C (SIGINT) leaving no process behind.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/support/child_process.h"
#include "tests/support/fake_model_api/fake_model_api.h"
#include "tests/support/shell.h"

namespace bottega::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Processes whose command line mentions `text` (the demo's directory).
std::string processes_mentioning(const std::string& text) {
  std::string found;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "cmdline");
    std::string cmd((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (auto& c : cmd)
      if (c == '\0') c = ' ';
    if (cmd.find(text) != std::string::npos) found += name + ": " + cmd + "\n";
  }
  return found;
}

// The text after `prefix` in `out`, up to the first of `stops` (or the end).
std::string after(const std::string& out, const std::string& prefix, const std::string& stops) {
  auto at = out.find(prefix);
  if (at == std::string::npos) return "";
  at += prefix.size();
  return out.substr(at, out.find_first_of(stops, at) - at);
}

// The stand-in GitHub as the app sees it: its REST API with an
// installation token (minted through the fake's control API).
struct GitHubApi {
  std::string base, token;
  boost::json::value get(const std::string& path) const {
    auto answer =
        curl("-H " + shell_quote("Authorization: token " + token) + " " + shell_quote(base + path));
    EXPECT_EQ(answer.status, 200) << path << ": " << answer.body;
    boost::system::error_code ec;
    auto v = boost::json::parse(answer.body, ec);
    return ec ? boost::json::value() : v;
  }
};

std::string str(const boost::json::value& v, const char* key) {
  if (!v.is_object()) return "";
  auto* f = v.as_object().if_contains(key);
  return f && f->is_string() ? std::string(f->as_string()) : "";
}

int64_t num(const boost::json::value& v, const char* key) {
  if (!v.is_object()) return 0;
  auto* f = v.as_object().if_contains(key);
  return f && f->is_int64() ? f->as_int64() : 0;
}

const boost::json::array& arr(const boost::json::value& v) {
  static const boost::json::array none;
  return v.is_array() ? v.as_array() : none;
}

TEST(Demo, PlaysTheWholeStoryToTheMergeAndStopsCleanlyOnCtrlC) {
  const std::string dir = "/var/tmp/bottega-e2e-tests/demo-" + std::to_string(::getpid());
  std::error_code ec;
  fs::create_directories("/var/tmp/bottega-e2e-tests", ec);
  const std::string log = dir + ".out";
  ChildProcess demo(BOTTEGA_DEMO, {"--fast", "--dir", dir}, {}, log);
  // A failed assertion leaves early: stop the demo as Ctrl-C would, so it
  // stops its server and PostgreSQL (SIGKILL would orphan them).
  struct StopOnExit {
    ChildProcess& p;
    ~StopOnExit() {
      p.signal(SIGINT);
      p.wait(60s);
    }
  } stop_on_exit{demo};
  const auto deadline = std::chrono::steady_clock::now() + 400s;
  std::string out;
  while (std::chrono::steady_clock::now() < deadline) {
    out = demo.output();
    if (out.find("still running so you can click around") != std::string::npos) break;
    if (demo.wait(0ms)) break;
    std::this_thread::sleep_for(250ms);
  }
  ASSERT_NE(out.find("demo: the story is complete"), std::string::npos) << out;
  // The threads, in the order they happened.
  const std::vector<std::string> in_order = {
      "octocat files an issue",
      "maintainer added the label `bottega` on issue",
      "bottega[bot] added the label `bottega:planning`",
      "bottega[bot] commented on issue",
      "bottega[bot] added the label `bottega:awaiting-approval`",
      "maintainer commented on issue",
      "bottega[bot] reacted eyes to maintainer's comment",
      "implementing · Iteration 2 of 3",  // the review found the gap
      "bottega[bot] opened pull request",
      "github-actions[bot] check `tests` on",
      "✗ failure",
      "bottega[bot] pushed to bottega/",
      "bottega: fix-ci for #",
      "✓ success",
      "maintainer requested changes on pull request",
      "on greet.sh:5:",
      "bottega[bot] pushed to bottega/",
      "bottega: address-review for #",
      "bottega[bot] replied in the thread on greet.sh:5:",
      "is now merged",
      "bottega[bot] added the label `bottega:done`",
      "the app removed the task's worktree"};
  std::size_t at = 0;
  for (const auto& step : in_order) {
    auto found = out.find(step, at);
    ASSERT_NE(found, std::string::npos) << "missing, or out of order: " << step << "\n" << out;
    at = found;
  }
  EXPECT_NE(out.find("/approve"), std::string::npos);
  // No marker or raw HTML comment reaches the terminal.
  EXPECT_EQ(out.find("<!--"), std::string::npos);

  // The stand-in GitHub's final state, read through its REST API.
  const std::string base = after(out, "a stand-in GitHub at ", " \n");
  const std::string installation = after(out, " (installation ", ")");
  ASSERT_FALSE(base.empty() || installation.empty()) << out;
  auto minted = curl("-X POST -d " + shell_quote("{\"installation_id\": " + installation + "}") +
                     " " + shell_quote(base + "/_fake/tokens"));
  ASSERT_EQ(minted.status, 201) << minted.body;
  GitHubApi api{base, str(boost::json::parse(minted.body), "token")};
  const std::string pull = after(out, "opened pull request #", " ");
  const std::string repo = "/repos/acme/greeter";
  auto pr = api.get(repo + "/pulls/" + pull);
  EXPECT_EQ(str(pr, "state"), "closed");
  ASSERT_TRUE(pr.is_object());
  EXPECT_TRUE(pr.as_object().if_contains("merged") && pr.at("merged").as_bool());
  const std::string head = str(pr.at("head"), "sha");
  // The fix-ci commit, then the address-review commit, both the App's, merged.
  const std::string git = "git --git-dir=" + shell_quote(dir + "/github/git/acme/greeter.git");
  auto history = run_shell(git + " log --reverse --format='%H %an: %s' main");
  std::vector<std::string> fixes;
  std::string review_fix;
  std::istringstream commits(history.out);
  for (std::string c; std::getline(commits, c);) {
    if (c.find(" bottega[bot]: bottega: fix-ci for #" + pull + " ") != std::string::npos)
      fixes.push_back("ci");
    if (c.find(" bottega[bot]: bottega: address-review for #" + pull + " ") != std::string::npos) {
      fixes.push_back("review");
      review_fix = c.substr(0, 40);
    }
  }
  EXPECT_EQ(fixes, (std::vector<std::string>{"ci", "review"})) << history.out;
  // The CI check passes on the final head.
  std::string head_check;
  const auto checks = api.get(repo + "/commits/" + head + "/check-runs");
  ASSERT_TRUE(checks.is_object());
  for (const auto& r : arr(checks.at("check_runs")))
    if (str(r, "name") == "tests") head_check = str(r, "conclusion");
  EXPECT_EQ(head_check, "success");
  // The inline comment's thread: the maintainer's request, the App's reply naming the commit.
  int64_t asked = 0;
  std::string reply;
  const auto thread = api.get(repo + "/pulls/" + pull + "/comments");
  for (const auto& c : arr(thread)) {
    if (str(c.at("user"), "login") == "maintainer") asked = num(c, "id");
    if (asked && num(c, "in_reply_to_id") == asked) reply = str(c, "body");
  }
  ASSERT_FALSE(review_fix.empty());
  EXPECT_NE(reply.find("`-s` is the short form"), std::string::npos) << reply;
  EXPECT_NE(reply.find(review_fix.substr(0, 7)), std::string::npos) << reply;
  // The merged code has what the fixes made: documented options, -s.
  auto readme = run_shell(git + " show main:README.md main:greet.sh");
  EXPECT_NE(readme.out.find("- `--shout`:"), std::string::npos) << readme.out;
  EXPECT_NE(readme.out.find("- `-s`:"), std::string::npos) << readme.out;
  EXPECT_NE(readme.out.find("\"-s\""), std::string::npos) << readme.out;
  // The issue: labelled done (nothing else of the app's), the status comment final.
  std::vector<std::string> labels;
  const auto issue_labels = api.get(repo + "/issues/1/labels");
  for (const auto& l : arr(issue_labels)) labels.push_back(str(l, "name"));
  EXPECT_EQ(labels, (std::vector<std::string>{"bottega", "bottega:done"}));
  std::string status;
  const auto issue_comments = api.get(repo + "/issues/1/comments");
  for (const auto& c : arr(issue_comments))
    if (str(c, "body").find("<!-- bottega:status") != std::string::npos) status = str(c, "body");
  EXPECT_NE(status.find("| done |"), std::string::npos) << status;
  // Cleaned up: no worktree left.
  EXPECT_TRUE(fs::is_empty(dir + "/data/workspaces/worktrees", ec)) << ec.message();

  // The task page shows the pull request and its fix runs to the maintainer.
  const std::string app = after(out, "demo: bottega is up at ", "\n");
  const std::string task = after(out, app + "/tasks/", " \n)");
  const std::string jar = dir + ".cookies";
  auto login = run_shell("curl -s -o /dev/null -c " + shell_quote(jar) + " -w '%{redirect_url}' " +
                         shell_quote(app + "/auth/login?return=/tasks/" + task));
  auto authorized = run_shell("curl -s -o /dev/null -w '%{redirect_url}' " +
                              shell_quote(login.out + "&login=maintainer"));
  run_shell("curl -s -o /dev/null -b " + shell_quote(jar) + " -c " + shell_quote(jar) + " " +
            shell_quote(authorized.out));
  auto page = curl("-b " + shell_quote(jar) + " " + shell_quote(app + "/tasks/" + task));
  EXPECT_EQ(page.status, 200) << login.out << " " << authorized.out;
  EXPECT_NE(page.body.find("id=\"pr-link\""), std::string::npos);
  EXPECT_NE(page.body.find("/pull/" + pull + "\""), std::string::npos);
  std::size_t fix_runs = 0;  // fix-ci and address-review
  for (auto i = page.body.find("<td>fix</td>"); i != std::string::npos;
       i = page.body.find("<td>fix</td>", i + 1))
    ++fix_runs;
  EXPECT_EQ(fix_runs, 2u) << page.body;

  demo.signal(SIGINT);
  auto stopped = demo.wait(60s);
  ASSERT_TRUE(stopped.has_value()) << "the demo did not stop on SIGINT\n" << demo.output();
  EXPECT_EQ(*stopped, 0) << demo.output();
  EXPECT_NE(demo.output().find("demo: stopped."), std::string::npos);
  // Nothing it started is left: the server, PostgreSQL, agents.
  std::string left;
  for (int i = 0; i < 50; ++i) {
    left = processes_mentioning(dir);
    if (left.empty()) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(left, "") << "processes left behind";
  if (!HasFailure()) {
    fs::remove_all(dir, ec);
    fs::remove(log, ec);
    fs::remove(jar, ec);
  }
}

// --demo-harness with a real agent CLI (claude, from the pinned npm
// package) against a stand-in model API whose one tool call runs the
// sample's turn script: the story's paths with a real harness (its stream,
// the model gateway, the sandbox), offline.
TEST(Demo, PlaysTheStoryWithARealHarnessAgainstAStandInModel) {
  const char* npm = std::getenv("BOTTEGA_NPM_DIR");
  ASSERT_TRUE(npm && *npm) << "BOTTEGA_NPM_DIR is not set (tests/support/npm-packages.sh)";
  const std::string base = "/var/tmp/bottega-e2e-tests/demo-harness-" + std::to_string(::getpid());
  const std::string dir = base + "/demo";
  std::error_code ec;
  fs::remove_all(base, ec);
  fs::create_directories(base, ec);
  // The sandbox reads the CLI: a hard-linked copy outside $HOME.
  auto copied =
      run_shell("cp -al " + shell_quote(std::string(npm) + "/claude") + " " +
                shell_quote(base + "/claude") + " && chmod -R o+rX " + shell_quote(base) + " 2>&1");
  ASSERT_EQ(copied.status, 0) << copied.out;
  FakeModelApi model("sh " + dir + "/scenarios/agent/turn.sh");
  ASSERT_TRUE(model.start().ok());
  const std::string url = model.base_url();
  ChildProcess demo(BOTTEGA_DEMO,
                    {"--fast", "--exit-when-done", "--harness", "claude", "--model",
                     "claude-sonnet-4-5", "--dir", dir},
                    {{"PATH", base + "/claude/node_modules/.bin:" + std::getenv("PATH")},
                     {"ANTHROPIC_API_KEY", "sk-ant-demo-test-0123456789abcdef"},
                     {"BOTTEGA_HARNESS_CLAUDE_BASE_URL", url},
                     {"BOTTEGA_AGENTS_SANDBOX_READ_PATHS", base + "/claude," + dir + "/scenarios"}},
                    base + "/demo.out");
  auto status = demo.wait(400s);
  if (!status) demo.signal(SIGINT);
  ASSERT_TRUE(status.has_value()) << demo.output();
  EXPECT_EQ(*status, 0) << demo.output();
  const std::string out = demo.output();
  EXPECT_NE(out.find("demo: the story is complete"), std::string::npos) << out;
  EXPECT_NE(out.find("implementing · Iteration 2 of 3"), std::string::npos) << out;
  // The stand-in model's usage went through the gateway: real tokens counted.
  EXPECT_EQ(out.find("Tokens (in / out) — "), std::string::npos);
  std::ifstream log(dir + "/serve.log");
  std::string serve((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_NE(serve.find("turn 3 (review) ended: succeeded signal=needs-work"), std::string::npos)
      << serve.substr(serve.size() > 4000 ? serve.size() - 4000 : 0);
  EXPECT_FALSE(model.requests().empty());
  model.stop();
  if (!HasFailure()) fs::remove_all(base, ec);
}

}  // namespace
}  // namespace bottega::testing
