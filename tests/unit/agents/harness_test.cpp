// Command lines, model rules, settings parsing, the child environment and
// signal files (the sandbox's bwrap arguments: sandbox_test.cpp).
#include "engine/agents/harness.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "engine/agents/model_rules.h"
#include "engine/agents/runner.h"
#include "engine/agents/signal_file.h"

namespace bottega::agents {
namespace {

using Args = std::vector<std::string>;

bool contains_seq(const Args& argv, const Args& seq) {
  return std::search(argv.begin(), argv.end(), seq.begin(), seq.end()) != argv.end();
}
bool contains(const Args& argv, const std::string& a) {
  return std::find(argv.begin(), argv.end(), a) != argv.end();
}

TurnRequest turn(std::string model) {
  TurnRequest t;
  t.model = std::move(model);
  t.prompt = "fix the bug";
  t.worktree = "/w/task-1";
  t.run_dir = "/r/run-1";
  return t;
}

HarnessSettings settings(std::string binary) {
  HarnessSettings s;
  s.binary = std::move(binary);
  s.base_url = "http://127.0.0.1:9999";
  s.api_key = "sk-test";
  return s;
}

TEST(ClaudeHarness, BuildsAHeadlessBypassCommandWithAnExplicitModel) {
  auto t = turn("claude-sonnet-4-5");
  t.effort = "high";
  t.system_prompt = "Be brief.";
  t.disallowed_tools = {"WebFetch", "WebSearch"};
  auto p = find_harness("claude")->plan(t, settings("/opt/claude"));
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->argv[0], "/opt/claude");
  EXPECT_TRUE(contains(p->argv, "-p"));
  EXPECT_EQ(p->argv.back(), "fix the bug");
  EXPECT_EQ(p->argv[p->argv.size() - 2], "--");
  EXPECT_TRUE(contains_seq(p->argv, {"--output-format", "stream-json", "--verbose"}));
  EXPECT_TRUE(contains_seq(p->argv, {"--model", "claude-sonnet-4-5"}));
  EXPECT_TRUE(contains_seq(p->argv, {"--effort", "high"}));
  EXPECT_TRUE(contains_seq(p->argv, {"--permission-mode", "bypassPermissions"}));
  EXPECT_TRUE(contains_seq(p->argv, {"--append-system-prompt", "Be brief."}));
  EXPECT_TRUE(contains_seq(p->argv, {"--disallowed-tools", "WebFetch,WebSearch"}));
  EXPECT_FALSE(contains(p->argv, "--resume"));
  EXPECT_EQ(p->cwd, "/w/task-1");  // no directory flag: it starts there
  EXPECT_EQ(p->env["ANTHROPIC_BASE_URL"], "http://127.0.0.1:9999");
  EXPECT_EQ(p->env["ANTHROPIC_API_KEY"], "sk-test");
  EXPECT_EQ(p->env["IS_SANDBOX"], "1");
  EXPECT_EQ(p->env["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"], "1");
  EXPECT_EQ(p->env.count("OPENAI_API_KEY"), 0u);

  t.resume_session = "sess-1";
  t.prompt = "-starts with a dash";
  p = find_harness("claude")->plan(t, settings("/opt/claude"));
  EXPECT_TRUE(contains_seq(p->argv, {"--resume", "sess-1", "--", "-starts with a dash"}));
}

TEST(CodexHarness, UsesACustomProviderForTheEndpointAndPassesThePromptLast) {
  auto t = turn("gpt-5-codex");
  t.effort = "xhigh";
  t.system_prompt = "Say \"hi\"\nthen stop.";
  auto p = find_harness("codex")->plan(t, settings("codex"));
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_TRUE(contains_seq(
      p->argv, {"codex", "exec", "--json", "--skip-git-repo-check", "-C", "/w/task-1"}));
  EXPECT_TRUE(contains_seq(p->argv, {"-m", "gpt-5-codex"}));
  EXPECT_TRUE(contains(p->argv, "--dangerously-bypass-approvals-and-sandbox"));
  EXPECT_FALSE(contains(p->argv, "--full-auto"));
  EXPECT_TRUE(contains_seq(p->argv, {"-c", "model_reasoning_effort=\"xhigh\""}));
  EXPECT_TRUE(
      contains_seq(p->argv, {"-c", "developer_instructions=\"Say \\\"hi\\\"\\nthen stop.\""}));
  EXPECT_TRUE(contains_seq(p->argv, {"-c", "model_provider=\"bottega\""}));
  EXPECT_TRUE(
      contains_seq(p->argv, {"-c", "model_providers.bottega.base_url=\"http://127.0.0.1:9999\""}));
  EXPECT_TRUE(contains_seq(p->argv, {"-c", "model_providers.bottega.env_key=\"OPENAI_API_KEY\""}));
  EXPECT_EQ(p->argv.back(), "fix the bug");
  EXPECT_EQ(p->argv[p->argv.size() - 2], "--");
  EXPECT_EQ(p->env["OPENAI_API_KEY"], "sk-test");
  EXPECT_EQ(p->env.count("ANTHROPIC_API_KEY"), 0u);
  EXPECT_FALSE(find_harness("codex")->capabilities().disallowed_tools);
}

// Each CLI switches sub-agents off its own way; asked for nothing, it keeps them.
TEST(Harnesses, ForbidSubAgentsEachInTheirOwnWay) {
  auto t = turn("claude-sonnet-4-5");
  t.disallowed_tools = {"WebFetch"};
  auto claude = find_harness("claude")->plan(t, settings("claude"));
  ASSERT_TRUE(claude);
  EXPECT_TRUE(contains_seq(claude->argv, {"--disallowed-tools", "WebFetch"}));
  t.forbid_subagents = true;
  claude = find_harness("claude")->plan(t, settings("claude"));
  ASSERT_TRUE(claude);
  EXPECT_TRUE(contains_seq(claude->argv, {"--disallowed-tools", "WebFetch,Agent,Task"}));

  t = turn("gpt-5");
  auto codex = find_harness("codex")->plan(t, settings("codex"));
  ASSERT_TRUE(codex);
  EXPECT_FALSE(contains(codex->argv, "features.multi_agent=false"));
  t.forbid_subagents = true;
  codex = find_harness("codex")->plan(t, settings("codex"));
  ASSERT_TRUE(codex);
  EXPECT_TRUE(contains_seq(codex->argv, {"-c", "features.multi_agent=false"}));
  EXPECT_EQ(codex->argv.back(), "fix the bug");  // config flags stay before the prompt

  t = turn("anthropic/claude-sonnet-4-5");
  auto opencode = find_harness("opencode")->plan(t, settings("opencode"));
  ASSERT_TRUE(opencode);
  EXPECT_EQ(opencode->env["OPENCODE_CONFIG_CONTENT"].find("\"tools\""), std::string::npos);
  t.forbid_subagents = true;
  opencode = find_harness("opencode")->plan(t, settings("opencode"));
  ASSERT_TRUE(opencode);
  EXPECT_NE(opencode->env["OPENCODE_CONFIG_CONTENT"].find(R"("tools":{"task":false})"),
            std::string::npos)
      << opencode->env["OPENCODE_CONFIG_CONTENT"];
}

TEST(CodexHarness, ResumesWithoutTheDirectoryFlagAndStartsInTheWorktree) {
  auto t = turn("gpt-5");
  t.resume_session = "thread-9";
  auto p = find_harness("codex")->plan(t, settings("codex"));
  ASSERT_TRUE(p);
  EXPECT_TRUE(contains_seq(p->argv, {"codex", "exec", "resume", "thread-9", "--json"}));
  EXPECT_FALSE(contains(p->argv, "-C"));
  EXPECT_FALSE(contains(p->argv, "-s"));
  EXPECT_EQ(p->cwd, "/w/task-1");
}

TEST(OpenCodeHarness, ConfiguresTheProviderInlineAndAutoApproves) {
  auto t = turn("anthropic/claude-sonnet-4-5");
  t.effort = "high";
  t.system_prompt = "Be brief.";
  t.disallowed_tools = {"webfetch"};
  t.resume_session = "ses_1";
  auto p = find_harness("opencode")->plan(t, settings("/opt/opencode"));
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_TRUE(contains_seq(
      p->argv, {"/opt/opencode", "run", "--format", "json", "-m", "anthropic/claude-sonnet-4-5"}));
  EXPECT_TRUE(contains_seq(p->argv, {"--variant", "high"}));
  EXPECT_TRUE(contains_seq(p->argv, {"--dir", "/w/task-1"}));
  EXPECT_TRUE(contains_seq(p->argv, {"--session", "ses_1"}));
  EXPECT_TRUE(contains(p->argv, "--auto"));
  const std::string& config = p->env["OPENCODE_CONFIG_CONTENT"];
  EXPECT_NE(
      config.find(
          R"("provider":{"anthropic":{"options":{"baseURL":"http://127.0.0.1:9999","apiKey":"sk-test"}}})"),
      std::string::npos)
      << config;
  EXPECT_NE(config.find(R"("instructions":["/r/run-1/instructions.md"])"), std::string::npos)
      << config;
  EXPECT_NE(config.find(R"("tools":{"webfetch":false})"), std::string::npos) << config;
  ASSERT_EQ(p->files.size(), 1u);
  EXPECT_EQ(p->files[0].second, "Be brief.");
  EXPECT_EQ(p->env["OPENCODE_DISABLE_AUTOUPDATE"], "1");
  EXPECT_EQ(p->env["OPENCODE_DISABLE_MODELS_FETCH"], "1");
}

TEST(Harnesses, RefuseAModelTheyCannotTakeAndNeverDefaultOne) {
  struct Case {
    const char* harness;
    const char* model;
    bool ok;
  } cases[] = {
      {"claude", "claude-opus-4-1", true},
      {"claude", "sonnet", true},
      {"claude", "gpt-5", false},
      {"claude", "anthropic/claude-x", false},
      {"claude", "", false},
      {"codex", "gpt-5-codex", true},
      {"codex", "o3", true},
      {"codex", "claude-sonnet-4-5", false},
      {"codex", "openai/gpt-5", false},
      {"opencode", "anthropic/claude-sonnet-4-5", true},
      {"opencode", "gpt-5", false},
      {"opencode", "/x", false},
      {"opencode", "", false},
      {"gemini", "gemini-2.5-pro", false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(!check_model(c.harness, c.model).has_value(), c.ok) << c.harness << " " << c.model;
    if (const Harness* h = find_harness(c.harness)) {
      auto p = h->plan(turn(c.model), settings("x"));
      EXPECT_EQ(p.ok(), c.ok) << c.harness << " " << c.model;
    }
  }
  EXPECT_EQ(find_harness("gemini"), nullptr);
  EXPECT_TRUE(check_effort("claude", "max") == std::nullopt);
  EXPECT_TRUE(check_effort("claude", "xhigh").has_value());
  EXPECT_TRUE(check_effort("codex", "minimal") == std::nullopt);
  EXPECT_TRUE(check_effort("codex", "max").has_value());
  EXPECT_FALSE(find_harness("claude")->plan(turn("sonnet"), settings("")).ok());  // no binary
}

TEST(Settings, ParsesPriceTablesAndEnvironmentLists) {
  auto prices = parse_price_table("gpt-5=1.25/0.125/10; o3 = 2/0.5/8 ;");
  ASSERT_TRUE(prices) << prices.error().message;
  EXPECT_DOUBLE_EQ((*prices)["gpt-5"].cached_input, 0.125);
  EXPECT_DOUBLE_EQ((*prices)["o3"].output, 8);
  EXPECT_FALSE(parse_price_table("gpt-5=1/2").ok());
  EXPECT_FALSE(parse_price_table("gpt-5=a/b/c").ok());
  EXPECT_FALSE(parse_price_table("=1/2/3").ok());
  EXPECT_FALSE(parse_price_table("gpt-5=-1/2/3").ok());
  auto env = parse_env_list("CLAUDE_CODE_MAX_RETRIES=1;X=a=b");
  ASSERT_TRUE(env);
  EXPECT_EQ((*env)["CLAUDE_CODE_MAX_RETRIES"], "1");
  EXPECT_EQ((*env)["X"], "a=b");
  EXPECT_FALSE(parse_env_list("1X=2").ok());
  EXPECT_FALSE(parse_env_list("NOEQUALS").ok());
  EXPECT_FALSE(parse_env_list("BAD-NAME=1").ok());
  Usage u;
  u.input_tokens = 2'000'000;
  u.output_tokens = 1'000'000;
  EXPECT_DOUBLE_EQ(price_usage(u, Price{1, 0, 10}), 12.0);
}

TEST(Environment, KeepsOnlyTheAllowListThePrivateHomeAndTheHarnessCredentials) {
  RunSpec spec;
  spec.run_dir = "/r/run-1";
  spec.plan.env = {{"ANTHROPIC_API_KEY", "sk-ant"}};
  spec.extra_env = {{"CLAUDE_CODE_MAX_RETRIES", "1"}};
  spec.path_prepend = {"/opt/bottega/bin"};
  std::map<std::string, std::string> parent = {{"PATH", "/usr/bin:/bin"},
                                               {"LANG", "C.UTF-8"},
                                               {"DATABASE_URL", "postgresql://u:p@h/db"},
                                               {"BOTTEGA_WEBHOOK_SECRET", "whsec"},
                                               {"BOTTEGA_PRIVATE_KEY_FILE", "/etc/key.pem"},
                                               {"OPENAI_API_KEY", "sk-other-harness"},
                                               {"HTTPS_PROXY", "http://proxy.corp:3128"},
                                               {"no_proxy", "localhost"},
                                               {"USER", "root"},
                                               {"HOME", "/root"}};
  auto env = build_environment(spec, [&](const std::string& n) -> std::optional<std::string> {
    auto it = parent.find(n);
    return it == parent.end() ? std::nullopt : std::optional<std::string>(it->second);
  });
  EXPECT_EQ(env["PATH"], "/opt/bottega/bin:/usr/bin:/bin");
  EXPECT_EQ(env["LANG"], "C.UTF-8");
  EXPECT_EQ(env["HOME"], "/r/run-1/home");
  EXPECT_EQ(env["CODEX_HOME"], "/r/run-1/home/.codex");
  EXPECT_EQ(env["XDG_CONFIG_HOME"], "/r/run-1/home/.config");
  EXPECT_EQ(env["XDG_CACHE_HOME"], "/r/run-1/home/.cache");
  EXPECT_EQ(env["BOTTEGA_RUN_DIR"], "/r/run-1");
  EXPECT_EQ(env["ANTHROPIC_API_KEY"], "sk-ant");
  EXPECT_EQ(env["CLAUDE_CODE_MAX_RETRIES"], "1");
  EXPECT_EQ(env["USER"], "root");  // unsandboxed: who we are
  // The app gives each turn its own proxy: the server's never leaks in.
  for (const char* leaked : {"DATABASE_URL", "BOTTEGA_WEBHOOK_SECRET", "BOTTEGA_PRIVATE_KEY_FILE",
                             "OPENAI_API_KEY", "HTTPS_PROXY", "no_proxy"})
    EXPECT_EQ(env.count(leaked), 0u) << leaked;

  spec.sandbox = SandboxSpec{};
  auto sandboxed = build_environment(spec, [&](const std::string& n) -> std::optional<std::string> {
    auto it = parent.find(n);
    return it == parent.end() ? std::nullopt : std::optional<std::string>(it->second);
  });
  EXPECT_EQ(sandboxed["USER"], "agent");
  EXPECT_EQ(sandboxed["LOGNAME"], "agent");
  EXPECT_EQ(sandboxed["TMPDIR"], "/tmp");
}

TEST(SignalFile, WritesAndReadsBackEachSignal) {
  auto dir = std::filesystem::temp_directory_path() / ("signal-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto none = read_signal(dir.string());
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  for (const char* kind : {"plan-ready", "ready", "needs-work", "blocked"}) {
    ASSERT_TRUE(write_signal(dir.string(), {kind, "because \"x\"\n"}));
    auto s = read_signal(dir.string());
    ASSERT_TRUE(s && *s);
    EXPECT_EQ((*s)->kind, kind);
    EXPECT_EQ((*s)->reason, "because \"x\"\n");
  }
  EXPECT_FALSE(write_signal(dir.string(), {"done", ""}).ok());
  EXPECT_FALSE(write_signal(dir.string(), {"ready", std::string(5000, 'x')}).ok());
  EXPECT_FALSE(write_signal((dir / "missing").string(), {"ready", ""}).ok());
  std::ofstream(dir / "signal.json") << "{\"signal\":\"finished\"}";
  EXPECT_FALSE(read_signal(dir.string()).ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace bottega::agents
