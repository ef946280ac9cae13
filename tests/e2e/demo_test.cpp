// The offline demo end to end (spec/demo.md): `bottega-demo --fast` with
// its embedded PostgreSQL, the fake GitHub in-process and the scripted
// agent plays the whole story, prints the threads, stays up, and stops on
// Ctrl-C (SIGINT) leaving no process behind.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

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

TEST(Demo, PlaysTheStoryToTheMergeAndStopsCleanlyOnCtrlC) {
  const std::string dir = "/var/tmp/bottega-e2e-tests/demo-" + std::to_string(::getpid());
  std::error_code ec;
  fs::create_directories("/var/tmp/bottega-e2e-tests", ec);
  const std::string log = dir + ".out";
  ChildProcess demo(BOTTEGA_DEMO, {"--fast", "--dir", dir}, {}, log);
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
      "bottega[bot] opened pull request",
      "pull request #",
      "bottega[bot] added the label `bottega:done`"};
  std::size_t at = 0;
  for (const auto& step : in_order) {
    auto found = out.find(step, at);
    ASSERT_NE(found, std::string::npos) << "missing, or out of order: " << step << "\n" << out;
    at = found;
  }
  EXPECT_NE(out.find("/approve"), std::string::npos);
  EXPECT_NE(out.find("is now merged"), std::string::npos) << out;
  // The review found the gap, and the second round fixed it.
  EXPECT_NE(out.find("implementing · Iteration 2 of 3"), std::string::npos) << out;
  EXPECT_NE(out.find("/tasks/"), std::string::npos);
  // No marker or raw HTML comment reaches the terminal.
  EXPECT_EQ(out.find("<!--"), std::string::npos);

  demo.signal(SIGINT);
  auto status = demo.wait(60s);
  ASSERT_TRUE(status.has_value()) << "the demo did not stop on SIGINT\n" << demo.output();
  EXPECT_EQ(*status, 0) << demo.output();
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
