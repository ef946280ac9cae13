// The offline demo end to end (spec/demo.md): `bottega-demo --fast` with
// its embedded PostgreSQL, the fake GitHub in-process and the scripted
// agent plays the whole story, prints the threads, stays up, and stops on
// Ctrl-C (SIGINT) leaving no process behind.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/support/child_process.h"
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

}  // namespace
}  // namespace bottega::testing
