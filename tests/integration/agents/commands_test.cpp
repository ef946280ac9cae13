// `bottega signal` and `bottega agent` as a user runs them (the built
// binary), with the fake agent as the harness CLI.
#include "tests/integration/agents/agent_fixture.h"
#include "tests/support/shell.h"

namespace bottega::agents::testing {
namespace {

using bottega::testing::run_shell;
using bottega::testing::shell_quote;

class CommandsTest : public AgentTest {
 protected:
  std::string bottega() const { return shell_quote(BOTTEGA_BINARY); }
  // An environment with only what `bottega agent` needs, for the fake claude.
  std::string agent_env(const std::string& scenario_path) const {
    return "env -i PATH=/usr/bin:/bin BOTTEGA_DATA_DIR=" + shell_quote((root_ / "data").string()) +
           " BOTTEGA_LOG_LEVEL=warn BOTTEGA_HARNESS_CLAUDE_BINARY=" +
           shell_quote((root_ / "bin/claude").string()) +
           " BOTTEGA_HARNESS_CODEX_BINARY=" + shell_quote((root_ / "bin/codex").string()) +
           " BOTTEGA_HARNESS_CLAUDE_EXTRA_ENV=" +
           shell_quote("FAKE_AGENT_SCENARIO=" + scenario_path) +
           " BOTTEGA_HARNESS_CODEX_EXTRA_ENV=" +
           shell_quote("FAKE_AGENT_SCENARIO=" + scenario_path) + " ";
  }
};

TEST_F(CommandsTest, SignalWritesItsFileIntoTheRunDirectory) {
  auto r = run_shell("BOTTEGA_RUN_DIR=" + shell_quote(run_dir()) + " " + bottega() +
                     " signal needs-work --reason 'tests fail'");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(read(fs::path(run_dir()) / "signal.json"),
            "{\"signal\":\"needs-work\",\"reason\":\"tests fail\"}\n");
}

TEST_F(CommandsTest, SignalValidatesItsArguments) {
  std::string env = "BOTTEGA_RUN_DIR=" + shell_quote(run_dir()) + " ";
  EXPECT_EQ(run_shell(env + bottega() + " signal finished 2>/dev/null").status, 2);
  EXPECT_EQ(run_shell(env + bottega() + " signal 2>/dev/null").status, 2);
  EXPECT_EQ(run_shell(env + bottega() + " signal ready extra 2>/dev/null").status, 2);
  EXPECT_EQ(run_shell(env + bottega() + " signal ready --colour red 2>/dev/null").status, 2);
  EXPECT_EQ(run_shell("env -u BOTTEGA_RUN_DIR " + bottega() + " signal ready 2>/dev/null").status,
            2);
  EXPECT_EQ(
      run_shell("BOTTEGA_RUN_DIR=/nonexistent/x " + bottega() + " signal ready 2>/dev/null").status,
      2);
  EXPECT_FALSE(fs::exists(fs::path(run_dir()) / "signal.json"));
}

TEST_F(CommandsTest, AgentPrintsEventsThenTheOutcomeAndExitsZeroOnSuccess) {
  std::string sc = scenario("text hello\ntool echo hi > hi.txt\nusage 7 0 3\nresult ok done\n");
  auto r = run_shell(
      agent_env(sc) + bottega() + " agent --harness claude --model sonnet --sandbox off --cwd " +
      shell_quote(worktree()) + " --run-dir " + shell_quote(run_dir()) + " 'say hello'");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("{\"kind\":\"assistant\",\"text\":\"hello\"}\n"), std::string::npos)
      << r.out;
  auto last = r.out.substr(r.out.rfind('\n', r.out.size() - 2) + 1);
  EXPECT_EQ(last.rfind("{\"outcome\":\"succeeded\"", 0), 0u) << last;
  EXPECT_NE(last.find("\"session_id\":\"fake-session-"), std::string::npos) << last;
  EXPECT_NE(last.find("\"output_tokens\":3"), std::string::npos) << last;
  EXPECT_EQ(read(fs::path(worktree()) / "hi.txt"), "hi\n");
}

TEST_F(CommandsTest, AgentResumesTheSessionItIsGiven) {
  std::string sc = scenario("text again\nresult ok\n");
  auto r = run_shell(agent_env(sc) + bottega() +
                     " agent --harness codex --model gpt-5 --sandbox off --cwd " +
                     shell_quote(worktree()) + " --run-dir " + shell_quote(run_dir()) +
                     " --resume thread-42 'continue'");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("\"session_id\":\"thread-42\""), std::string::npos) << r.out;
}

TEST_F(CommandsTest, AgentExitsNonZeroOnAnAgentError) {
  std::string sc = scenario("result error API Error: 401\n");
  auto r = run_shell(agent_env(sc) + bottega() +
                     " agent --harness claude --model sonnet --sandbox off --cwd " +
                     shell_quote(worktree()) + " --run-dir " + shell_quote(run_dir()) + " 'x'");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("{\"outcome\":\"agent_error\",\"message\":\"API Error: 401\""),
            std::string::npos)
      << r.out;
}

TEST_F(CommandsTest, AgentRejectsAnUnknownHarnessOrAModelItsHarnessCannotTake) {
  std::string env = agent_env(scenario("result ok\n"));
  std::string cwd = " --cwd " + shell_quote(worktree());
  EXPECT_EQ(
      run_shell(env + bottega() + " agent --harness gemini --model g" + cwd + " x 2>/dev/null")
          .status,
      2);
  EXPECT_EQ(
      run_shell(env + bottega() + " agent --harness claude --model gpt-5" + cwd + " x 2>/dev/null")
          .status,
      2);
  EXPECT_EQ(run_shell(env + bottega() + " agent --harness codex --model claude-opus-4-1" + cwd +
                      " x 2>/dev/null")
                .status,
            2);
  EXPECT_EQ(run_shell(env + bottega() + " agent --harness claude" + cwd + " x 2>/dev/null").status,
            2);  // no model
  EXPECT_EQ(run_shell(env + bottega() + " agent --harness claude --model sonnet --effort huge" +
                      cwd + " x 2>/dev/null")
                .status,
            2);
  EXPECT_EQ(run_shell(env + bottega() +
                      " agent --harness claude --model sonnet --cwd /nonexistent x 2>/dev/null")
                .status,
            2);
  EXPECT_EQ(run_shell(env + bottega() + " agent --harness claude --model sonnet --sandbox maybe" +
                      cwd + " x 2>/dev/null")
                .status,
            2);
}

}  // namespace
}  // namespace bottega::agents::testing
