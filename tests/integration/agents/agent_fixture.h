// Shared by the agent integration tests: a temporary tree (outside /tmp,
// so the sandbox's private /tmp does not hide it by accident), the fake
// agent CLI under the three harness names, and a sink that keeps events.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "engine/agents/harness.h"
#include "engine/agents/runner.h"

namespace bottega::agents::testing {

namespace fs = std::filesystem;

class CollectingSink final : public EventSink {
 public:
  void on_event(const Event& event) override {
    std::lock_guard lock(mutex_);
    events_.push_back(event);
  }
  std::vector<Event> events() const {
    std::lock_guard lock(mutex_);
    return events_;
  }
  std::size_t count(EventKind kind) const {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const auto& e : events_) n += e.kind == kind;
    return n;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Event> events_;
};

class AgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::path(BOTTEGA_TEST_SCRATCH) /
            ("agents-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "bin");
    fs::create_directories(worktree());
    fs::create_directories(run_dir());
    for (const char* name : {"claude", "codex", "opencode"})
      fs::create_symlink(BOTTEGA_FAKE_AGENT, root_ / "bin" / name);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  std::string worktree() const { return (root_ / "data/worktrees/task-1").string(); }
  std::string run_dir() const { return (root_ / "data/runs/run-1").string(); }

  // Writes the scenario into the run directory (visible inside the sandbox).
  std::string scenario(const std::string& text) {
    std::string path = run_dir() + "/scenario.txt";
    std::ofstream(path) << text;
    return path;
  }

  AgentRunner::Turn turn(const std::string& harness, const std::string& scenario_text) {
    AgentRunner::Turn t;
    t.harness = find_harness(harness);
    t.request.model = harness == "opencode" ? "anthropic/claude-sonnet-4-5"
                      : harness == "codex"  ? "gpt-5"
                                            : "sonnet";
    t.request.prompt = "do the thing";
    t.request.worktree = worktree();
    t.request.run_dir = run_dir();
    t.settings.binary = (root_ / "bin" / harness).string();
    t.settings.extra_env["FAKE_AGENT_SCENARIO"] = scenario(scenario_text);
    return t;
  }

  RunnerOptions options(bool sandbox = false) {
    RunnerOptions o;
    o.sandbox = sandbox;
    o.path_prepend = {fs::path(BOTTEGA_BINARY).parent_path().string()};
    o.limits.wall = std::chrono::seconds(30);
    o.limits.idle = std::chrono::seconds(30);
    o.limits.grace = std::chrono::seconds(2);
    return o;
  }

  static std::string read(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  fs::path root_;
};

}  // namespace bottega::agents::testing
