// The runner on real processes (the fake agent CLI): results, limits,
// cancellation, crashes, large output, and what the child can see.
#include <signal.h>

#include <chrono>
#include <thread>

#include "engine/agents/signal_file.h"
#include "tests/integration/agents/agent_fixture.h"

namespace bottega::agents::testing {
namespace {

using std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;

// True when `pid` is gone or a zombie waiting for a reaper.
bool process_gone(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return true;
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  auto close = text.rfind(')');
  return close != std::string::npos && close + 2 < text.size() && text[close + 2] == 'Z';
}

bool eventually_gone(pid_t pid) {
  for (int i = 0; i < 100; ++i) {
    if (process_gone(pid)) return true;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return false;
}

class RunnerTest : public AgentTest {};

TEST_F(RunnerTest, RunsATurnEditsTheWorktreeAndSignals) {
  for (const char* h : {"claude", "codex", "opencode"}) {
    SCOPED_TRACE(h);
    fs::remove(run_dir() + "/signal.json");
    ProcessAgentRunner runner(options());
    CollectingSink sink;
    auto out = runner.run(turn(h,
                               "text starting\n"
                               "tool echo made-by-tool > tool.txt\n"
                               "write edited.txt hello\n"
                               "signal ready --reason \"tests pass\"\n"
                               "usage 100 20 30 5 0.25\n"
                               "result ok all done\n"),
                          sink);
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_EQ(out->kind, OutcomeKind::succeeded) << out->message << "\n" << out->stderr_tail;
    EXPECT_EQ(out->exit_code, 0);
    EXPECT_EQ(out->session_id.rfind("fake-session-", 0), 0u) << out->session_id;
    EXPECT_EQ(out->usage.output_tokens, 30);
    EXPECT_EQ(read(fs::path(worktree()) / "tool.txt"), "made-by-tool\n");
    EXPECT_EQ(read(fs::path(worktree()) / "edited.txt"), "hello\n");
    auto signal = read_signal(run_dir());
    ASSERT_TRUE(signal && *signal) << (signal ? "no signal file" : signal.error().message);
    EXPECT_EQ((*signal)->kind, "ready");
    EXPECT_EQ((*signal)->reason, "tests pass");
    EXPECT_EQ(sink.count(EventKind::assistant), 1u);
    EXPECT_EQ(sink.count(EventKind::tool_use), 1u);
    EXPECT_EQ(sink.count(EventKind::tool_result), 1u);
    EXPECT_EQ(sink.count(EventKind::result), 1u);
  }
}

TEST_F(RunnerTest, TheChildSeesAPrivateHomeAndNoneOfOurSecrets) {
  ::setenv("DATABASE_URL", "postgresql://bottega:hunter2@db/bottega", 1);
  ::setenv("BOTTEGA_WEBHOOK_SECRET", "whsec-123", 1);
  ::setenv("OPENAI_API_KEY", "sk-openai-not-for-claude", 1);
  ProcessAgentRunner runner(options());
  CollectingSink sink;
  auto t = turn(
      "claude",
      "env DATABASE_URL\nenv BOTTEGA_WEBHOOK_SECRET\nenv OPENAI_API_KEY\nenv ANTHROPIC_API_KEY\n"
      "env HOME\nenv CODEX_HOME\nenv XDG_CONFIG_HOME\nenv BOTTEGA_RUN_DIR\nresult ok\n");
  t.settings.api_key = "sk-ant-for-claude";
  auto out = runner.run(t, sink);
  ::unsetenv("DATABASE_URL");
  ::unsetenv("BOTTEGA_WEBHOOK_SECRET");
  ::unsetenv("OPENAI_API_KEY");
  ASSERT_TRUE(out);
  const std::string& err = out->stderr_tail;
  EXPECT_NE(err.find("env DATABASE_URL unset"), std::string::npos) << err;
  EXPECT_NE(err.find("env BOTTEGA_WEBHOOK_SECRET unset"), std::string::npos) << err;
  EXPECT_NE(err.find("env OPENAI_API_KEY unset"), std::string::npos) << err;
  EXPECT_NE(err.find("env ANTHROPIC_API_KEY=sk-ant-for-claude"), std::string::npos) << err;
  EXPECT_NE(err.find("env HOME=" + run_dir() + "/home\n"), std::string::npos) << err;
  EXPECT_NE(err.find("env CODEX_HOME=" + run_dir() + "/home/.codex\n"), std::string::npos) << err;
  EXPECT_NE(err.find("env XDG_CONFIG_HOME=" + run_dir() + "/home/.config\n"), std::string::npos)
      << err;
  EXPECT_NE(err.find("env BOTTEGA_RUN_DIR=" + run_dir() + "\n"), std::string::npos) << err;
}

TEST_F(RunnerTest, StopsATurnPastItsWallClockLimit) {
  auto o = options();
  o.limits.wall = milliseconds(700);
  ProcessAgentRunner runner(o);
  CollectingSink sink;
  auto start = Steady::now();
  auto out = runner.run(turn("claude", "text working\nhang\n"), sink);
  auto took = Steady::now() - start;
  ASSERT_TRUE(out);
  EXPECT_EQ(out->kind, OutcomeKind::timed_out);
  EXPECT_NE(out->message.find("time limit"), std::string::npos);
  EXPECT_LT(took, std::chrono::seconds(5));
  EXPECT_EQ(sink.count(EventKind::assistant), 1u);  // what came before the limit is kept
}

TEST_F(RunnerTest, StopsATurnThatGoesQuietButNotOneThatKeepsTalking) {
  auto o = options();
  o.limits.idle = milliseconds(800);
  {
    ProcessAgentRunner runner(o);
    CollectingSink sink;
    auto out = runner.run(turn("codex",
                               "text one\nsleep 300\ntext two\nsleep 300\ntext three\nsleep 300\n"
                               "text four\nsleep 300\ntext five\nresult ok\n"),
                          sink);
    ASSERT_TRUE(out);
    EXPECT_EQ(out->kind, OutcomeKind::succeeded)
        << out->message;  // 1.5 s in all, never 0.8 s quiet
  }
  {
    ProcessAgentRunner runner(o);
    CollectingSink sink;
    auto start = Steady::now();
    auto out = runner.run(turn("codex", "text one\nsleep 100000\n"), sink);
    ASSERT_TRUE(out);
    EXPECT_EQ(out->kind, OutcomeKind::timed_out);
    EXPECT_NE(out->message.find("idle"), std::string::npos) << out->message;
    EXPECT_LT(Steady::now() - start, std::chrono::seconds(5));
  }
}

TEST_F(RunnerTest, CancelTerminatesTheWholeProcessGroupAndLeavesNoOrphan) {
  ProcessAgentRunner runner(options());
  CollectingSink sink;
  std::string pidfile = run_dir() + "/child.pid";
  AgentProcess* process = nullptr;
  std::thread canceller;
  auto start = Steady::now();
  int group = 0;
  auto out = runner.run(turn("opencode", "spawn-child " + pidfile + "\ntext started\nhang\n"), sink,
                        [&](AgentProcess* p) {
                          if (!p) return;
                          process = p;
                          canceller = std::thread([&] {
                            while (sink.count(EventKind::assistant) == 0)
                              std::this_thread::sleep_for(milliseconds(10));
                            group = process->process_group();
                            process->cancel();
                          });
                        });
  canceller.join();
  ASSERT_TRUE(out);
  EXPECT_EQ(out->kind, OutcomeKind::cancelled);
  EXPECT_LT(Steady::now() - start, std::chrono::seconds(5));
  pid_t child = std::stoi(read(pidfile));
  EXPECT_TRUE(eventually_gone(child)) << "the agent's child " << child << " outlived the cancel";
  ASSERT_GT(group, 0);
  bool any_live = false;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    pid_t pid = std::stoi(name);
    if (::getpgid(pid) == group && !process_gone(pid)) any_live = true;
  }
  EXPECT_FALSE(any_live) << "a live process is left in group " << group;
}

TEST_F(RunnerTest, CancelBeforeTheStartStillCancels) {
  ProcessAgentRunner runner(options());
  CollectingSink sink;
  auto out = runner.run(turn("claude", "hang\n"), sink, [](AgentProcess* p) {
    if (p) p->cancel();
  });
  ASSERT_TRUE(out);
  EXPECT_EQ(out->kind, OutcomeKind::cancelled);
}

TEST_F(RunnerTest, KillsAProcessThatIgnoresSigtermAfterTheGracePeriod) {
  auto o = options();
  o.limits.wall = milliseconds(500);
  o.limits.grace = milliseconds(500);
  ProcessAgentRunner runner(o);
  CollectingSink sink;
  auto start = Steady::now();
  auto out = runner.run(turn("claude", "ignore-sigterm\ntext stubborn\nhang\n"), sink);
  auto took = Steady::now() - start;
  ASSERT_TRUE(out);
  EXPECT_EQ(out->kind, OutcomeKind::timed_out);
  EXPECT_FALSE(out->exit_code.has_value());  // it took SIGKILL
  EXPECT_GE(took, milliseconds(900));        // SIGTERM did not end it...
  EXPECT_LT(took, std::chrono::seconds(5));  // ...SIGKILL did
}

TEST_F(RunnerTest, ReportsACrashWithItsSignalOrExitCodeAndTheStderrTail) {
  {
    ProcessAgentRunner runner(options());
    CollectingSink sink;
    auto out = runner.run(turn("claude", "text about to crash\ncrash\n"), sink);
    ASSERT_TRUE(out);
    EXPECT_EQ(out->kind, OutcomeKind::crashed);
    EXPECT_FALSE(out->exit_code.has_value());
    EXPECT_EQ(out->message, "killed by signal 11");
  }
  {
    ProcessAgentRunner runner(options());
    CollectingSink sink;
    auto out = runner.run(
        turn("codex", "stderr error: unexpected argument '--full-auto' found\nexit 2\n"), sink);
    ASSERT_TRUE(out);
    EXPECT_EQ(out->kind, OutcomeKind::crashed);
    EXPECT_EQ(out->exit_code, 2);
    EXPECT_NE(out->stderr_tail.find("--full-auto"), std::string::npos);
  }
}

TEST_F(RunnerTest, AnAgentErrorIsNotACrash) {
  ProcessAgentRunner runner(options());
  CollectingSink sink;
  auto out = runner.run(turn("claude", "result error API Error: 401 invalid x-api-key\n"), sink);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->kind, OutcomeKind::agent_error);
  EXPECT_EQ(out->message, "API Error: 401 invalid x-api-key");
  EXPECT_EQ(out->exit_code, 1);
}

TEST_F(RunnerTest, RecordsGarbageAndKeepsGoing) {
  ProcessAgentRunner runner(options());
  CollectingSink sink;
  auto out = runner.run(
      turn("claude", "garbage one\ntext fine\nemit {\"type\":\"assistant\"\nresult ok\n"), sink);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->kind, OutcomeKind::succeeded);
  auto events = sink.events();
  std::size_t malformed = 0;
  for (const auto& e : events) malformed += e.subtype == "malformed";
  EXPECT_EQ(malformed, 2u);
  EXPECT_EQ(sink.count(EventKind::assistant), 1u);
}

TEST_F(RunnerTest, HandlesVeryLargeOutputAndDropsOverlongLines) {
  auto o = options();
  o.limits.max_line_bytes = 1 << 20;
  o.limits.stderr_tail_bytes = 1024;
  ProcessAgentRunner runner(o);
  CollectingSink sink;
  std::string text(400, 'x');
  std::string line =
      R"({"type":"assistant","session_id":"s","message":{"content":[{"type":"text","text":")" +
      text + "\"}]}}";
  std::string huge =
      R"({"type":"assistant","session_id":"s","message":{"content":[{"type":"text","text":")" +
      std::string(3 << 20, 'y') + "\"}]}}";
  std::string noisy(300, 'e');
  auto out =
      runner.run(turn("claude", "repeat 100000 " + line + "\nemit " + huge + "\ntext after\n" +
                                    "stderr " + noisy + "\nstderr " + noisy + "\nstderr " + noisy +
                                    "\nstderr " + noisy + "\nstderr last line\nresult ok\n"),
                 sink);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->kind, OutcomeKind::succeeded) << out->message;
  EXPECT_EQ(sink.count(EventKind::assistant), 100001u);  // ~45 MB of stream, every line
  auto events = sink.events();
  std::size_t malformed = 0;
  for (const auto& e : events) malformed += e.subtype == "malformed";
  EXPECT_EQ(malformed, 1u);  // the 3 MB line, over the 1 MB cap
  EXPECT_LE(out->stderr_tail.size(), 1024u);
  EXPECT_NE(out->stderr_tail.find("last line"), std::string::npos);
}

TEST_F(RunnerTest, ASinkThatFailsEndsTheRunAndLeavesNothingRunning) {
  struct ThrowingSink final : EventSink {
    void on_event(const Event&) override { throw std::runtime_error("disk full"); }
  } sink;
  ProcessAgentRunner runner(options());
  std::string pidfile = run_dir() + "/child.pid";
  auto start = Steady::now();
  auto out = runner.run(turn("claude", "spawn-child " + pidfile + "\ntext hello\nhang\n"), sink);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->kind, OutcomeKind::crashed);
  EXPECT_NE(out->message.find("disk full"), std::string::npos) << out->message;
  EXPECT_LT(Steady::now() - start, std::chrono::seconds(5));
  EXPECT_TRUE(eventually_gone(std::stoi(read(pidfile))));
}

TEST_F(RunnerTest, AProgramThatCannotStartIsACrashWithTheReason) {
  ProcessAgentRunner runner(options());
  CollectingSink sink;
  auto t = turn("claude", "result ok\n");
  t.settings.binary = "no-such-agent-cli";
  auto out = runner.run(t, sink);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->kind, OutcomeKind::crashed);
  EXPECT_NE(out->message.find("no-such-agent-cli"), std::string::npos);
}

TEST_F(RunnerTest, RefusesToPlanAModelTheHarnessCannotTake) {
  ProcessAgentRunner runner(options());
  CollectingSink sink;
  auto t = turn("codex", "result ok\n");
  t.request.model = "claude-sonnet-4-5";
  auto out = runner.run(t, sink);
  ASSERT_FALSE(out);
  EXPECT_NE(out.error().message.find("cannot run model"), std::string::npos);
}

}  // namespace
}  // namespace bottega::agents::testing
