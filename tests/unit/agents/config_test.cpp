// The harness and role keys of the server configuration.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include "config/server_config.h"
#include "engine/agents/agent_config.h"

namespace bottega {
namespace {

class AgentConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("bottega-agent-config-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  Result<ServerConfig> load(const std::string& yaml) {
    std::string file;
    if (!yaml.empty()) {
      file = (dir_ / "bottega.yml").string();
      std::ofstream(file) << yaml;
    }
    return load_server_config(file, [this](const std::string& k) -> std::optional<std::string> {
      auto it = env_.find(k);
      if (it == env_.end()) return std::nullopt;
      return it->second;
    });
  }

  std::filesystem::path dir_;
  std::map<std::string, std::string> env_;
};

TEST_F(AgentConfigTest, HarnessesHaveDefaultsAndTheSandboxIsOn) {
  auto c = load("");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->harnesses.at("claude").binary, "claude");
  EXPECT_EQ(c->harnesses.at("codex").binary, "codex");
  EXPECT_EQ(c->harnesses.at("opencode").binary, "opencode");
  EXPECT_TRUE(c->agent_sandbox);
  EXPECT_TRUE(c->roles.empty());
}

TEST_F(AgentConfigTest, ReadsHarnessKeysFromTheFileAndTheEnvironmentWins) {
  env_["BOTTEGA_HARNESS_CLAUDE_BASE_URL"] = "http://127.0.0.1:8080/";
  env_["BOTTEGA_HARNESS_CODEX_API_KEY"] = "env:MY_OPENAI_KEY";
  env_["MY_OPENAI_KEY"] = "sk-from-env";
  auto c = load(
      "harnesses:\n"
      "  claude:\n"
      "    binary: /opt/claude/bin/claude\n"
      "    base_url: https://gateway.example.com\n"
      "    api_key: sk-ant-file\n"
      "    extra_env: CLAUDE_CODE_MAX_RETRIES=1\n"
      "  codex:\n"
      "    prices: gpt-5=1.25/0.125/10\n"
      "agents:\n"
      "  sandbox: off\n"
      "  timeout_minutes: 30\n"
      "  idle_timeout_minutes: 5\n");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->harnesses.at("claude").binary, "/opt/claude/bin/claude");
  EXPECT_EQ(c->harnesses.at("claude").base_url, "http://127.0.0.1:8080");
  EXPECT_EQ(c->harnesses.at("claude").api_key, "sk-ant-file");
  EXPECT_EQ(c->harnesses.at("claude").extra_env, "CLAUDE_CODE_MAX_RETRIES=1");
  EXPECT_EQ(c->harnesses.at("codex").api_key, "sk-from-env");
  EXPECT_EQ(c->harnesses.at("codex").prices, "gpt-5=1.25/0.125/10");
  EXPECT_FALSE(c->agent_sandbox);
  EXPECT_EQ(c->agent_timeout, std::chrono::minutes(30));
  EXPECT_EQ(c->agent_idle_timeout, std::chrono::minutes(5));
}

TEST_F(AgentConfigTest, AcceptsRolesWhoseHarnessCanTakeTheirModel) {
  env_["BOTTEGA_ROLE_REVIEW_HARNESS"] = "codex";
  env_["BOTTEGA_ROLE_REVIEW_MODEL"] = "gpt-5-codex";
  env_["BOTTEGA_ROLE_REVIEW_EFFORT"] = "high";
  auto c = load(
      "roles:\n  implement:\n    harness: claude\n    model: claude-sonnet-4-5\n    effort: max\n"
      "  plan:\n    harness: opencode\n    model: anthropic/claude-opus-4-1\n");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->roles.at("implement").model, "claude-sonnet-4-5");
  EXPECT_EQ(c->roles.at("review").harness, "codex");
  EXPECT_EQ(c->roles.at("plan").harness, "opencode");
}

TEST_F(AgentConfigTest, RejectsAnUnknownHarnessAModelItsHarnessCannotTakeOrNoModel) {
  env_["BOTTEGA_ROLE_FIX_HARNESS"] = "gemini";
  env_["BOTTEGA_ROLE_FIX_MODEL"] = "gemini-2.5-pro";
  auto c = load(
      "roles:\n  implement:\n    harness: claude\n    model: gpt-5\n"
      "  review:\n    harness: codex\n    model: gpt-5\n    effort: max\n"
      "  plan:\n    harness: codex\n");
  ASSERT_FALSE(c);
  const std::string& m = c.error().message;
  EXPECT_NE(m.find("`roles.fix.harness` at environment variable BOTTEGA_ROLE_FIX_HARNESS: unknown "
                   "harness 'gemini'"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("`roles.implement.model` at "), std::string::npos) << m;
  EXPECT_NE(m.find("harness claude cannot run model 'gpt-5'"), std::string::npos) << m;
  EXPECT_NE(m.find("`roles.review.effort`"), std::string::npos) << m;
  EXPECT_NE(m.find("`roles.plan.model` (not set; set roles.plan.model or BOTTEGA_ROLE_PLAN_MODEL): "
                   "no model given"),
            std::string::npos)
      << m;
}

TEST_F(AgentConfigTest, RejectsBadHarnessValues) {
  env_["BOTTEGA_HARNESS_OPENCODE_API_KEY"] = "env:NOT_SET_ANYWHERE";
  auto c = load(
      "harnesses:\n  claude:\n    base_url: ftp://x\n    extra_env: 9X=1\n  codex:\n    prices: "
      "gpt-5=1/2\n"
      "agents:\n  sandbox: maybe\n  nope: 1\n");
  ASSERT_FALSE(c);
  const std::string& m = c.error().message;
  for (const char* key :
       {"`harnesses.claude.base_url`", "`harnesses.claude.extra_env`", "`harnesses.codex.prices`",
        "`harnesses.opencode.api_key` at environment variable BOTTEGA_HARNESS_OPENCODE_API_KEY",
        "'NOT_SET_ANYWHERE' is not set", "`agents.sandbox`", "unknown key `agents.nope`"})
    EXPECT_NE(m.find(key), std::string::npos) << key << " in\n" << m;
}

TEST_F(AgentConfigTest, GivesTheRuntimeItsSettingsAndHidesTheAppsFiles) {
  std::ofstream(dir_ / "app.pem")
      << "-----BEGIN RSA PRIVATE KEY-----\nkey\n-----END RSA PRIVATE KEY-----\n";
  env_["BOTTEGA_DATA_DIR"] = (dir_ / "data").string();
  env_["BOTTEGA_APP_ID"] = "4242";
  env_["BOTTEGA_PRIVATE_KEY_FILE"] = (dir_ / "app.pem").string();
  env_["BOTTEGA_HARNESS_CODEX_PRICES"] = "gpt-5=1/0.1/8";
  env_["BOTTEGA_HARNESS_CODEX_EXTRA_ENV"] = "A=1;B=2";
  env_["BOTTEGA_HARNESS_CODEX_API_KEY"] = "sk-x";
  env_["BOTTEGA_AGENTS_TIMEOUT_MINUTES"] = "7";
  auto c = load("log:\n  level: warn\n");
  ASSERT_TRUE(c) << c.error().message;
  auto s = agents::harness_settings(*c, "codex");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->binary, "codex");
  EXPECT_EQ(s->api_key, "sk-x");
  EXPECT_EQ(s->extra_env.at("B"), "2");
  EXPECT_DOUBLE_EQ(s->prices.at("gpt-5").output, 8);
  EXPECT_FALSE(agents::harness_settings(*c, "gemini").ok());

  auto o = agents::runner_options(*c, "/opt/bottega/bin");
  EXPECT_TRUE(o.sandbox);
  EXPECT_EQ(o.limits.wall, std::chrono::minutes(7));
  EXPECT_EQ(o.limits.idle, std::chrono::minutes(10));
  EXPECT_EQ(o.path_prepend, std::vector<std::string>{"/opt/bottega/bin"});
  EXPECT_EQ(o.bottega_binary, "/opt/bottega/bin/bottega");  // runs the sandbox's bridge
}

}  // namespace
}  // namespace bottega
