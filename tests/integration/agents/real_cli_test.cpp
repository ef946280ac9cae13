// The real agent CLIs (npm, pinned in tests/support/npm-packages.txt and
// installed by deploy/test.sh into $BOTTEGA_NPM_DIR), each run through
// `bottega agent` in the sandbox against the fake model API: one tool call
// that writes a file, then a final text; then a resumed turn.
// Nothing is skipped: a missing CLI fails the test, saying why.
#include <simdjson.h>

#include <cstdlib>
#include <memory>
#include <set>

#include "tests/integration/agents/agent_fixture.h"
#include "tests/support/fake_model_api/fake_model_api.h"
#include "tests/support/shell.h"

namespace bottega::agents::testing {
namespace {

using bottega::testing::shell_quote;

struct TurnResult {
  int status = -1;
  std::vector<std::string> lines;
  std::string outcome, session_id;
  int64_t input_tokens = 0, output_tokens = 0;
  std::string output;
};

TurnResult run_turn(const std::string& command) {
  TurnResult r;
  auto ran = bottega::testing::run_shell(command);
  r.status = ran.status;
  r.output = std::move(ran.out);
  std::size_t start = 0;
  while (start < r.output.size()) {
    auto nl = r.output.find('\n', start);
    if (nl == std::string::npos) nl = r.output.size();
    r.lines.push_back(r.output.substr(start, nl - start));
    start = nl + 1;
  }
  if (r.lines.empty()) return r;
  simdjson::dom::parser parser;
  simdjson::dom::object o;
  if (parser.parse(r.lines.back()).get(o)) return r;
  std::string_view v;
  if (!o["outcome"].get(v)) r.outcome = v;
  if (!o["session_id"].get(v)) r.session_id = v;
  simdjson::dom::object usage;
  if (!o["usage"].get(usage)) {
    if (usage["input_tokens"].get(r.input_tokens)) r.input_tokens = -1;
    if (usage["output_tokens"].get(r.output_tokens)) r.output_tokens = -1;
  }
  return r;
}

struct Cli {
  const char* harness;
  const char* model;
  const char* endpoint_suffix;  // appended to the fake API's base URL
  // The sub-agent tool a headless turn offers unless told not to (measured;
  // null: none is offered in this mode).
  const char* subagent_tool;
};

void PrintTo(const Cli& cli, std::ostream* os) { *os << cli.harness; }

class RealCliTest : public AgentTest, public ::testing::WithParamInterface<Cli> {
 protected:
  std::string cli_binary() {
    const char* npm = std::getenv("BOTTEGA_NPM_DIR");
    if (!npm || !*npm) {
      ADD_FAILURE() << "BOTTEGA_NPM_DIR is not set: run the tests through ./deploy/test.sh, which "
                       "installs the "
                       "pinned agent CLIs from npm (tests/support/npm-packages.txt)";
      return {};
    }
    std::string path =
        std::string(npm) + "/" + GetParam().harness + "/node_modules/.bin/" + GetParam().harness;
    if (::access(path.c_str(), X_OK) != 0) {
      ADD_FAILURE()
          << path
          << " is missing: deploy/test.sh installs it with npm (is the npm registry reachable?)";
      return {};
    }
    return path;
  }

  std::string command(const std::string& binary, const std::string& base_url,
                      const std::string& extra) {
    std::string h = GetParam().harness;
    std::string upper = h == "claude" ? "CLAUDE" : h == "codex" ? "CODEX" : "OPENCODE";
    std::string prefix = "BOTTEGA_HARNESS_" + upper + "_";
    return "env -i PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 BOTTEGA_LOG_LEVEL=warn "
           "BOTTEGA_DATA_DIR=" +
           shell_quote((root_ / "data").string()) +
           " BOTTEGA_AGENTS_TIMEOUT_MINUTES=2 BOTTEGA_AGENTS_IDLE_TIMEOUT_MINUTES=1 " + prefix +
           "BINARY=" + shell_quote(binary) + " " + prefix + "BASE_URL=" + shell_quote(base_url) +
           " " + prefix + "API_KEY=sk-fake-" + h + " " + prefix +
           "EXTRA_ENV=" + shell_quote("CLAUDE_CODE_MAX_RETRIES=1") + " " + prefix +
           "PRICES=" + shell_quote(std::string(GetParam().model) + "=3/0.3/15") +
           // OpenCode fetches its provider package from the npm registry.
           " BOTTEGA_AGENTS_EGRESS_ALLOW=registry.npmjs.org " + shell_quote(BOTTEGA_BINARY) +
           " agent --harness " + h + " --model " + GetParam().model + " --cwd " +
           shell_quote(worktree()) + " --run-dir " + shell_quote(run_dir()) + " --sandbox on " +
           extra;
  }

  // The CLI, a git worktree, and the fake model API asking for `shell_command`.
  void prepare(const std::string& shell_command) {
    binary_ = cli_binary();
    ASSERT_FALSE(binary_.empty());
    ASSERT_EQ(std::system(("git init -q " + shell_quote(worktree())).c_str()), 0);
    api_ = std::make_unique<bottega::testing::FakeModelApi>(shell_command);
    auto started = api_->start();
    ASSERT_TRUE(started) << started.error().message;
    base_ = api_->base_url() + GetParam().endpoint_suffix;
  }

  // One turn through `bottega agent`; `args` are its last arguments.
  TurnResult turn(const std::string& args) { return run_turn(command(binary_, base_, args)); }

  std::string binary_, base_;
  std::unique_ptr<bottega::testing::FakeModelApi> api_;
};

TEST_P(RealCliTest, WritesTheFileCapturesTheSessionRecordsUsageAndResumes) {
  ASSERT_NO_FATAL_FAILURE(prepare("echo written-by-the-agent > agent.txt"));

  auto first = turn(shell_quote("Write the file agent.txt."));
  EXPECT_EQ(first.status, 0) << first.output;
  EXPECT_EQ(first.outcome, "succeeded") << first.output;
  EXPECT_EQ(read(fs::path(worktree()) / "agent.txt"), "written-by-the-agent\n") << first.output;
  EXPECT_FALSE(first.session_id.empty()) << first.output;
  EXPECT_GT(first.input_tokens, 0) << first.output;
  EXPECT_GT(first.output_tokens, 0) << first.output;
  bool saw_tool_use = false, saw_result = false, saw_final_text = false;
  for (const auto& l : first.lines) {
    saw_tool_use = saw_tool_use || l.find("\"kind\":\"tool_use\"") != std::string::npos;
    saw_result = saw_result || l.find("\"kind\":\"result\"") != std::string::npos;
    saw_final_text = saw_final_text || l.find("Done: the file is written.") != std::string::npos;
  }
  EXPECT_TRUE(saw_tool_use && saw_result && saw_final_text) << first.output;
  auto requests = api_->requests();
  ASSERT_FALSE(requests.empty());
  // Every request came through the turn's gateway, which put the real key on it.
  for (const auto& r : requests)
    EXPECT_NE(r.authorization.find("sk-fake-"), std::string::npos)
        << r.path << ": " << r.authorization;
  // The gateway meters every request of the turn from the API's own usage:
  // the fake answers each with 20 output tokens.
  EXPECT_EQ(first.output_tokens, 20 * static_cast<int64_t>(requests.size())) << first.output;

  fs::remove(fs::path(worktree()) / "agent.txt");
  auto second = turn("--resume " + shell_quote(first.session_id) + " " + shell_quote("Once more."));
  EXPECT_EQ(second.status, 0) << second.output;
  EXPECT_EQ(second.outcome, "succeeded") << second.output;
  EXPECT_EQ(second.session_id, first.session_id) << second.output;
  EXPECT_TRUE(fs::exists(fs::path(worktree()) / "agent.txt")) << second.output;
  // The resumed turn's usage is its own requests' (not the thread's).
  auto later = api_->requests();
  EXPECT_EQ(second.output_tokens, 20 * static_cast<int64_t>(later.size() - requests.size()))
      << second.output;
  // The resumed conversation carried the first turn's history to the model.
  bool history = false;
  for (std::size_t i = requests.size(); i < later.size(); ++i)
    history = history || later[i].body.find("Write the file agent.txt.") != std::string::npos;
  EXPECT_TRUE(history) << "the resumed turn did not send the earlier conversation";
}

// Contained: the CLI runs as an unprivileged user whose environment holds
// only the turn's gateway token (never the key) and the egress proxy.
TEST_P(RealCliTest, RunsUnprivilegedWithoutTheKeyThroughTheGatewayAndTheProxy) {
  ASSERT_NO_FATAL_FAILURE(prepare("{ id -u; env; } > agent.txt"));
  auto ran = turn(shell_quote("Write the file agent.txt."));
  ASSERT_EQ(ran.outcome, "succeeded") << ran.output;
  const std::string seen = read(fs::path(worktree()) / "agent.txt");
  ASSERT_FALSE(seen.empty()) << ran.output;
  EXPECT_NE(seen.substr(0, seen.find('\n')), "0") << "not root inside the sandbox:\n" << seen;
  EXPECT_EQ(seen.find("sk-fake-"), std::string::npos) << "the key is in the agent's environment";
  EXPECT_NE(seen.find("HTTPS_PROXY=http://127.0.0.1:9402"), std::string::npos) << seen;
  for (const auto& r : api_->requests())
    EXPECT_NE(r.authorization.find("sk-fake-"), std::string::npos) << r.authorization;
}

// A budget smaller than one answer: the gateway ends the turn as budget_reached.
TEST_P(RealCliTest, TheGatewayEndsTheTurnWhenTheBudgetIsSpent) {
  ASSERT_NO_FATAL_FAILURE(prepare("echo written > agent.txt"));
  auto ran = turn("--budget-usd 0.000001 " + shell_quote("Write the file agent.txt."));
  EXPECT_EQ(ran.outcome, "budget_reached") << ran.output;
  EXPECT_NE(ran.status, 0);
  // The answer that spent the budget was the last: the tool's result never
  // went back to the model.
  auto requests = api_->requests();
  for (const auto& r : requests)
    EXPECT_EQ(r.body.find("echo written"), std::string::npos)
        << "a request after the budget was spent";
}

// The names of the tools the model was offered, over all the requests.
std::set<std::string> offered_tools(
    const std::vector<bottega::testing::RecordedRequest>& requests) {
  std::set<std::string> names;
  simdjson::dom::parser parser;
  for (const auto& r : requests) {
    simdjson::dom::array tools;
    if (parser.parse(r.body).at_key("tools").get(tools)) continue;
    for (auto tool : tools) {
      std::string_view name;
      if (!tool["name"].get(name) || !tool["function"]["name"].get(name)) names.emplace(name);
    }
  }
  return names;
}

// Every name the three CLIs have given a tool that starts sub-agents.
bool starts_subagents(const std::string& tool) {
  static const std::set<std::string> kNames = {"Agent",          "Task",           "task",
                                               "multi_agent_v1", "multi_agent_v2", "spawn_agent"};
  return kNames.count(tool) != 0;
}

// A workflow turn forbids sub-agents: the model is offered no tool that
// starts one, and every other tool as before.
TEST_P(RealCliTest, NoSubagentsTakesAwayOnlyTheSubAgentTools) {
  ASSERT_NO_FATAL_FAILURE(prepare("echo written > agent.txt"));

  auto plain = turn(shell_quote("Write the file agent.txt."));
  ASSERT_EQ(plain.outcome, "succeeded") << plain.output;
  auto before = api_->requests();
  auto with_subagents = offered_tools(before);
  ASSERT_FALSE(with_subagents.empty()) << "no tools were offered: the test would prove nothing";
  if (GetParam().subagent_tool) {
    EXPECT_EQ(with_subagents.count(GetParam().subagent_tool), 1u)
        << GetParam().subagent_tool << " is no longer offered: has the CLI renamed it?";
  }

  auto denied = turn("--no-subagents " + shell_quote("Write the file agent.txt."));
  ASSERT_EQ(denied.outcome, "succeeded") << denied.output;
  auto after = api_->requests();
  auto without = offered_tools({after.begin() + before.size(), after.end()});
  std::set<std::string> expected;
  for (const auto& t : with_subagents)
    if (!starts_subagents(t)) expected.insert(t);
  EXPECT_EQ(without, expected);
}

INSTANTIATE_TEST_SUITE_P(Clis, RealCliTest,
                         ::testing::Values(Cli{"claude", "claude-sonnet-4-5", "", nullptr},
                                           Cli{"codex", "gpt-5", "/v1", "multi_agent_v1"},
                                           Cli{"opencode", "fake/fake-model", "/v1", nullptr}),
                         [](const auto& info) { return std::string(info.param.harness); });

}  // namespace
}  // namespace bottega::agents::testing
