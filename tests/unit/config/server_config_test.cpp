#include "config/server_config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

namespace bottega {
namespace {

class ServerConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("bottega-config-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    auto path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }

  Result<ServerConfig> load(const std::string& file) {
    return load_server_config(file, [this](const std::string& k) -> std::optional<std::string> {
      auto it = env_.find(k);
      if (it == env_.end()) return std::nullopt;
      return it->second;
    });
  }

  std::filesystem::path dir_;
  std::map<std::string, std::string> env_;
};

TEST_F(ServerConfigTest, DefaultsWithNoFileAndNoEnvironment) {
  auto config = load("");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->listen_host, "127.0.0.1");
  EXPECT_EQ(config->listen_port, 3000);
  EXPECT_EQ(config->data_dir, "./var");
  EXPECT_EQ(config->github_api_url, "https://api.github.com");
  EXPECT_EQ(config->github_web_url, "https://github.com");
  EXPECT_TRUE(config->database_url.empty());
  EXPECT_FALSE(config->tls_enabled());
}

TEST_F(ServerConfigTest, ReadsGroupedKeysFromTheFile) {
  auto file = write("c.yml",
                    "listen: 0.0.0.0:8080\n"
                    "data_dir: /srv/bottega\n"
                    "database:\n  url: postgresql://u@db/bottega\n"
                    "log:\n  level: debug\n  format: json\n"
                    "github:\n  api_url: https://ghe.example.com/api/v3/\n");
  auto config = load(file);
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->listen_host, "0.0.0.0");
  EXPECT_EQ(config->listen_port, 8080);
  EXPECT_EQ(config->data_dir, "/srv/bottega");
  EXPECT_EQ(config->database_url, "postgresql://u@db/bottega");
  EXPECT_EQ(config->log_level, "debug");
  EXPECT_EQ(config->log_format, LogFormatSetting::json);
  EXPECT_EQ(config->github_api_url, "https://ghe.example.com/api/v3");  // trailing / dropped
}

TEST_F(ServerConfigTest, EnvironmentWinsOverTheFile) {
  auto file = write("c.yml", "listen: 127.0.0.1:4000\nlog:\n  level: warn\n");
  env_["BOTTEGA_LISTEN"] = "[::1]:5000";
  env_["BOTTEGA_LOG_LEVEL"] = "error";
  auto config = load(file);
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->listen_host, "::1");
  EXPECT_EQ(config->listen_port, 5000);
  EXPECT_EQ(config->log_level, "error");
}

TEST_F(ServerConfigTest, BadValueInFileNamesKeyFileLineAndExpectedForm) {
  auto file = write("c.yml", "# comment\nlisten: 127.0.0.1:3000\nlog:\n  level: loud\n");
  auto config = load(file);
  ASSERT_FALSE(config.ok());
  const auto& m = config.error().message;
  EXPECT_NE(m.find("`log.level`"), std::string::npos) << m;
  EXPECT_NE(m.find(file + ":4"), std::string::npos) << m;
  EXPECT_NE(m.find("one of trace, debug, info, warn, error"), std::string::npos) << m;
}

TEST_F(ServerConfigTest, BadValueInEnvironmentNamesTheVariable) {
  env_["BOTTEGA_LISTEN"] = "localhost";
  auto config = load("");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().message.find("environment variable BOTTEGA_LISTEN"), std::string::npos)
      << config.error().message;
  EXPECT_NE(config.error().message.find("host:port"), std::string::npos);
}

TEST_F(ServerConfigTest, PortOutOfRangeIsRejected) {
  env_["BOTTEGA_LISTEN"] = "127.0.0.1:70000";
  auto config = load("");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().message.find("out of range"), std::string::npos)
      << config.error().message;
}

TEST_F(ServerConfigTest, UnknownKeyIsRejectedWithItsLine) {
  auto file = write("c.yml", "listen: 127.0.0.1:3000\nlistne: 1\n");
  auto config = load(file);
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().message.find("unknown key `listne` at " + file + ":2"),
            std::string::npos)
      << config.error().message;
}

TEST_F(ServerConfigTest, InvalidYamlNamesTheLine) {
  auto file = write("c.yml", "listen: 127.0.0.1:3000\nlog: [unclosed\n");
  auto config = load(file);
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().message.find("not valid YAML"), std::string::npos)
      << config.error().message;
  EXPECT_NE(config.error().message.find(file + ":"), std::string::npos);
}

TEST_F(ServerConfigTest, MissingFileIsReported) {
  auto config = load((dir_ / "nope.yml").string());
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().message.find("cannot be read"), std::string::npos);
}

TEST_F(ServerConfigTest, ListWhereAValueBelongsIsRejected) {
  auto file = write("c.yml", "data_dir:\n  - a\n  - b\n");
  auto config = load(file);
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().message.find("`data_dir` at " + file + ":1"), std::string::npos)
      << config.error().message;
}

TEST_F(ServerConfigTest, TopLevelMustBeAMapping) {
  auto file = write("c.yml", "- a\n- b\n");
  auto config = load(file);
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().message.find("mapping"), std::string::npos);
}

TEST_F(ServerConfigTest, TlsCertWithoutKeyNamesTheMissingKey) {
  auto cert = write("cert.pem", "x");
  env_["BOTTEGA_TLS_CERT"] = cert;
  auto config = load("");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().message.find("`tls.key`"), std::string::npos) << config.error().message;
  EXPECT_NE(config.error().message.find("BOTTEGA_TLS_KEY"), std::string::npos);
}

TEST_F(ServerConfigTest, TlsFilesMustExist) {
  env_["BOTTEGA_TLS_CERT"] = (dir_ / "missing.pem").string();
  env_["BOTTEGA_TLS_KEY"] = (dir_ / "missing.key").string();
  auto config = load("");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().message.find("does not exist"), std::string::npos);
}

TEST_F(ServerConfigTest, BadUrlsAndNumbersAreRejected) {
  env_["BOTTEGA_GITHUB_API_URL"] = "api.github.com";
  env_["BOTTEGA_APP_ID"] = "12a";
  env_["DATABASE_URL"] = "mysql://x";
  env_["BOTTEGA_LOG_FORMAT"] = "xml";
  env_["BOTTEGA_MAX_BODY_BYTES"] = "10";
  auto config = load("");
  ASSERT_FALSE(config.ok());
  const auto& m = config.error().message;
  for (const char* key :
       {"`github.api_url`", "`app.id`", "`database.url`", "`log.format`", "`max_body_bytes`"})
    EXPECT_NE(m.find(key), std::string::npos) << key << " missing from: " << m;
}

TEST_F(ServerConfigTest, PublicUrlMustBeHttpsWithoutAPath) {
  for (const char* bad : {"http://bottega.example.com", "https://", "https://x.example/bottega",
                          "https://x.example?a=1", "ftp://x"}) {
    env_["BOTTEGA_PUBLIC_URL"] = bad;
    auto config = load("");
    ASSERT_FALSE(config.ok()) << bad;
    EXPECT_NE(
        config.error().message.find("`public_url` at environment variable BOTTEGA_PUBLIC_URL"),
        std::string::npos)
        << config.error().message;
  }
  env_["BOTTEGA_PUBLIC_URL"] = "http://bottega.example.com";
  EXPECT_NE(load("").error().message.find("GitHub needs https"), std::string::npos);
  env_["BOTTEGA_PUBLIC_URL"] = "https://bottega.example.com:8443/";
  auto config = load("");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->public_url, "https://bottega.example.com:8443");
}

TEST_F(ServerConfigTest, AppIdNeedsAKeyAndAKeyNeedsAnId) {
  env_["BOTTEGA_APP_ID"] = "123";
  auto no_key = load("");
  ASSERT_FALSE(no_key.ok());
  EXPECT_NE(no_key.error().message.find("`app.private_key_file` (not set; set "
                                        "app.private_key_file or BOTTEGA_PRIVATE_KEY_FILE): "
                                        "required when `app.id` is set"),
            std::string::npos)
      << no_key.error().message;

  env_.erase("BOTTEGA_APP_ID");
  env_["BOTTEGA_PRIVATE_KEY_FILE"] =
      write("app.pem", "-----BEGIN RSA PRIVATE KEY-----\nMII\n-----END RSA PRIVATE KEY-----\n");
  auto no_id = load("");
  ASSERT_FALSE(no_id.ok());
  EXPECT_NE(no_id.error().message.find("`app.id` (not set"), std::string::npos)
      << no_id.error().message;

  env_["BOTTEGA_APP_CLIENT_ID"] = "Iv1.abc";
  EXPECT_TRUE(load("").ok());
}

TEST_F(ServerConfigTest, PrivateKeyFileMustBePem) {
  env_["BOTTEGA_APP_ID"] = "123";
  env_["BOTTEGA_PRIVATE_KEY_FILE"] = write("app.pem", "ssh-rsa AAAAB3NzaC1yc2E me@host\n");
  auto config = load("");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().message.find("is not a PEM private key"), std::string::npos)
      << config.error().message;
  // A certificate is PEM but not a key.
  write("app.pem", "-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----\n");
  EXPECT_FALSE(load("").ok());
}

TEST_F(ServerConfigTest, DefaultDataDirIsReachableByTheDatabaseUserForRoot) {
  EXPECT_EQ(default_data_dir(false), "./var");
  EXPECT_EQ(default_data_dir(true), "/var/lib/bottega");
  auto config = load("");
  ASSERT_TRUE(config.ok());
  EXPECT_FALSE(config->data_dir_configured);
  env_["BOTTEGA_DATA_DIR"] = "./var";
  EXPECT_TRUE(load("")->data_dir_configured);
}

TEST_F(ServerConfigTest, TaskAgentAndGitHubKeysHaveDefaults) {
  auto config = load("");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->task_trigger_label, "bottega");
  EXPECT_EQ(config->task_trigger, "label");
  EXPECT_EQ(config->task_max_iterations, 5);
  EXPECT_EQ(config->task_max_cost_usd, 10.0);
  EXPECT_EQ(config->task_command_permission, "write");
  EXPECT_EQ(config->task_approve_permission, "write");
  EXPECT_EQ(config->task_port_range_start, 41000);
  EXPECT_EQ(config->task_ports_per_task, 20);
  EXPECT_EQ(config->agent_max_running, 2);
  EXPECT_EQ(config->github_mutation_spacing, std::chrono::milliseconds(1000));
  EXPECT_EQ(config->app_slug, "");
  EXPECT_EQ(config->agent_timeout, std::chrono::minutes(60));
  EXPECT_EQ(config->agent_idle_timeout, std::chrono::minutes(10));
}

TEST_F(ServerConfigTest, ReadsTaskAgentAndGitHubKeys) {
  auto file = write("c.yml",
                    "tasks:\n"
                    "  trigger_label: ai task\n"
                    "  trigger: on_open\n"
                    "  max_iterations: 12\n"
                    "  max_cost_usd: 0\n"
                    "  command_permission: triage\n"
                    "  approve_permission: maintain\n"
                    "  port_range_start: 50000\n"
                    "  ports_per_task: 10\n"
                    "agents:\n  max_running: 3\n  timeout_minutes: 0.05\n"
                    "github:\n  mutation_spacing_ms: 0\n"
                    "app:\n  slug: my-bottega\n");
  env_["BOTTEGA_AGENTS_IDLE_TIMEOUT_MINUTES"] = "1.5";
  env_["BOTTEGA_TASKS_APPROVE_PERMISSION"] = "admin";
  auto config = load(file);
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->task_trigger_label, "ai task");
  EXPECT_EQ(config->task_trigger, "on_open");
  EXPECT_EQ(config->task_max_iterations, 12);
  EXPECT_EQ(config->task_max_cost_usd, 0.0);
  EXPECT_EQ(config->task_command_permission, "triage");
  EXPECT_EQ(config->task_approve_permission, "admin");  // the environment wins
  EXPECT_EQ(config->task_port_range_start, 50000);
  EXPECT_EQ(config->task_ports_per_task, 10);
  EXPECT_EQ(config->agent_max_running, 3);
  EXPECT_EQ(config->agent_timeout, std::chrono::seconds(3));
  EXPECT_EQ(config->agent_idle_timeout, std::chrono::seconds(90));
  EXPECT_EQ(config->github_mutation_spacing, std::chrono::milliseconds(0));
  EXPECT_EQ(config->app_slug, "my-bottega");
}

TEST_F(ServerConfigTest, TaskAgentAndGitHubKeysRejectBadValues) {
  struct Case {
    const char* env;
    const char* value;
    const char* key;
    const char* reason;
  };
  const Case cases[] = {
      {"BOTTEGA_TASKS_TRIGGER_LABEL", "", "`tasks.trigger_label`", "empty"},
      {"BOTTEGA_TASKS_TRIGGER_LABEL", "a,b", "`tasks.trigger_label`", "comma"},
      {"BOTTEGA_TASKS_TRIGGER_LABEL", "x123456789x123456789x123456789x123456789x123456789x",
       "`tasks.trigger_label`", "longer than 50"},
      {"BOTTEGA_TASKS_TRIGGER", "always", "`tasks.trigger`", "neither label nor on_open"},
      {"BOTTEGA_TASKS_MAX_ITERATIONS", "0", "`tasks.max_iterations`", "out of range 1..50"},
      {"BOTTEGA_TASKS_MAX_ITERATIONS", "51", "`tasks.max_iterations`", "out of range 1..50"},
      {"BOTTEGA_TASKS_MAX_COST_USD", "-1", "`tasks.max_cost_usd`", "not a decimal number"},
      {"BOTTEGA_TASKS_MAX_COST_USD", "1e3", "`tasks.max_cost_usd`", "not a decimal number"},
      {"BOTTEGA_TASKS_MAX_COST_USD", "inf", "`tasks.max_cost_usd`", "not a decimal number"},
      {"BOTTEGA_TASKS_MAX_COST_USD", "2000000", "`tasks.max_cost_usd`", "out of range"},
      {"BOTTEGA_TASKS_COMMAND_PERMISSION", "push", "`tasks.command_permission`",
       "not a permission level"},
      {"BOTTEGA_TASKS_APPROVE_PERMISSION", "none", "`tasks.approve_permission`",
       "not a permission level"},
      {"BOTTEGA_TASKS_PORT_RANGE_START", "80", "`tasks.port_range_start`", "out of range"},
      {"BOTTEGA_TASKS_PORTS_PER_TASK", "0", "`tasks.ports_per_task`", "out of range"},
      {"BOTTEGA_AGENTS_MAX_RUNNING", "0", "`agents.max_running`", "out of range 1..1000"},
      {"BOTTEGA_AGENTS_TIMEOUT_MINUTES", "0", "`agents.timeout_minutes`", "not more than 0"},
      {"BOTTEGA_AGENTS_TIMEOUT_MINUTES", "0.0000001", "`agents.timeout_minutes`",
       "shorter than a millisecond"},
      {"BOTTEGA_AGENTS_TIMEOUT_MINUTES", "10081", "`agents.timeout_minutes`", "out of range"},
      {"BOTTEGA_AGENTS_IDLE_TIMEOUT_MINUTES", "1.2.3", "`agents.idle_timeout_minutes`",
       "not a decimal number"},
      {"BOTTEGA_AGENTS_IDLE_TIMEOUT_MINUTES", ".", "`agents.idle_timeout_minutes`",
       "not a decimal number"},
      {"BOTTEGA_GITHUB_MUTATION_SPACING_MS", "60001", "`github.mutation_spacing_ms`",
       "out of range"},
      {"BOTTEGA_GITHUB_MUTATION_SPACING_MS", "-5", "`github.mutation_spacing_ms`", "out of range"},
      {"BOTTEGA_APP_SLUG", "my app", "`app.slug`", "not a slug"},
  };
  for (const Case& c : cases) {
    env_.clear();
    env_[c.env] = c.value;
    auto config = load("");
    ASSERT_FALSE(config.ok()) << c.env << "=" << c.value;
    const auto& m = config.error().message;
    EXPECT_NE(m.find(c.key), std::string::npos) << c.env << "=" << c.value << ": " << m;
    EXPECT_NE(m.find(c.reason), std::string::npos) << c.env << "=" << c.value << ": " << m;
    EXPECT_NE(m.find(std::string("environment variable ") + c.env), std::string::npos) << m;
  }
}

TEST_F(ServerConfigTest, TaskPortBlockMustFitBelow65536) {
  env_["BOTTEGA_TASKS_PORT_RANGE_START"] = "65530";
  auto config = load("");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().message.find("`tasks.port_range_start` at environment variable "
                                        "BOTTEGA_TASKS_PORT_RANGE_START: a block of 20 ports"),
            std::string::npos)
      << config.error().message;

  env_["BOTTEGA_TASKS_PORTS_PER_TASK"] = "6";  // 65530..65535 fits exactly
  ASSERT_TRUE(load("").ok());
  env_["BOTTEGA_TASKS_PORTS_PER_TASK"] = "7";
  config = load("");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().message.find("`tasks.ports_per_task`"), std::string::npos)
      << config.error().message;
}

TEST_F(ServerConfigTest, EveryKeyIsDocumentedInTheSpec) {
  std::ifstream in(std::string(BOTTEGA_SOURCE_DIR) + "/spec/configuration.md");
  ASSERT_TRUE(in) << "spec/configuration.md is missing";
  std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const auto& key : config_keys()) {
    EXPECT_NE(doc.find(std::string("`") + key.path + "`"), std::string::npos)
        << key.path << " is not documented";
    EXPECT_NE(doc.find(std::string("`") + key.env + "`"), std::string::npos)
        << key.env << " is not documented";
  }
}

// deploy/bottega.example.yml: every key with its environment variable, and
// the file as shipped loads (its active lines are the defaults).
TEST_F(ServerConfigTest, TheExampleFileHasEveryKeyAndLoadsToTheDefaults) {
  const std::string file = std::string(BOTTEGA_SOURCE_DIR) + "/deploy/bottega.example.yml";
  std::ifstream in(file);
  ASSERT_TRUE(in) << file << " is missing";
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const auto& key : config_keys()) {
    const std::string path = key.path;
    const std::string leaf = path.substr(path.rfind('.') + 1);
    EXPECT_TRUE(text.find("\n" + leaf + ":") != std::string::npos ||
                text.find(" " + leaf + ":") != std::string::npos)
        << path << " is not in the example";
    EXPECT_NE(text.find(std::string(key.env) + "."), std::string::npos)
        << key.env << " is not in the example";
  }
  auto loaded = load(file);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  auto defaults = load("");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(loaded->listen_port, defaults->listen_port);
  EXPECT_EQ(loaded->workers, defaults->workers);
  EXPECT_EQ(loaded->task_trigger_label, defaults->task_trigger_label);
  EXPECT_EQ(loaded->harnesses.at("codex").binary, "codex");
  EXPECT_TRUE(loaded->agent_sandbox);
}

TEST_F(ServerConfigTest, EgressListsTakeAYamlListOrCommaSeparatedText) {
  auto file = write("c.yml",
                    "agents:\n"
                    "  egress_allow:\n"
                    "    - registry.npmjs.org\n"
                    "    - \"*.pythonhosted.org:443\"\n"
                    "  egress_allow_private: mirror.lan:8080\n"
                    "  sandbox_read_paths: /opt/toolchain, /srv/cache\n");
  auto config = load(file);
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->agent_egress_allow,
            (std::vector<std::string>{"registry.npmjs.org", "*.pythonhosted.org:443"}));
  EXPECT_EQ(config->agent_egress_allow_private, std::vector<std::string>{"mirror.lan:8080"});
  EXPECT_EQ(config->agent_sandbox_read_paths,
            (std::vector<std::string>{"/opt/toolchain", "/srv/cache"}));
}

TEST_F(ServerConfigTest, BadEgressEntriesAreNamed) {
  env_["BOTTEGA_AGENTS_EGRESS_ALLOW"] = "ok.example.com, bad host";
  env_["BOTTEGA_AGENTS_EGRESS_ALLOW_PRIVATE"] = "mirror.lan";
  env_["BOTTEGA_AGENTS_SANDBOX_READ_PATHS"] = "relative/path";
  auto config = load("");
  ASSERT_FALSE(config);
  const auto& m = config.error().message;
  EXPECT_NE(m.find("'bad host'"), std::string::npos) << m;
  EXPECT_NE(m.find("'mirror.lan': needs a :port"), std::string::npos) << m;
  EXPECT_NE(m.find("'relative/path': not an absolute path"), std::string::npos) << m;
}

TEST_F(ServerConfigTest, HttpLimitsHaveDefaultsAndAreRead) {
  auto defaults = load("");
  ASSERT_TRUE(defaults.ok()) << defaults.error().message;
  EXPECT_EQ(defaults->http_max_connections, 1024);
  EXPECT_EQ(defaults->http_max_body_memory_mb, 256);
  auto file = write("http.yml", "http:\n  max_connections: 50\n  max_body_memory_mb: 64\n");
  env_["BOTTEGA_HTTP_MAX_BODY_MEMORY_MB"] = "32";
  auto config = load(file);
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->http_max_connections, 50);
  EXPECT_EQ(config->http_max_body_memory_mb, 32);  // the environment wins
  env_.clear();
  env_["BOTTEGA_HTTP_MAX_CONNECTIONS"] = "0";
  env_["BOTTEGA_HTTP_MAX_BODY_MEMORY_MB"] = "many";
  auto bad = load("");
  ASSERT_FALSE(bad.ok());
  const auto& m = bad.error().message;
  EXPECT_NE(m.find("`http.max_connections`"), std::string::npos) << m;
  EXPECT_NE(m.find("`http.max_body_memory_mb`"), std::string::npos) << m;
}

TEST_F(ServerConfigTest, MalformedDatabaseUrlErrorNeverShowsThePassword) {
  env_["DATABASE_URL"] = "mysql://bottega:hunter2-secret-pw@db/bottega";
  auto config = load("");
  ASSERT_FALSE(config.ok());
  const auto& m = config.error().message;
  EXPECT_NE(m.find("`database.url`"), std::string::npos) << m;
  EXPECT_EQ(m.find("hunter2-secret-pw"), std::string::npos) << m;
}

TEST_F(ServerConfigTest, IntakeKeysHaveDefaultsAndBounds) {
  auto config = load("");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->intake_commit_timeout, std::chrono::milliseconds(5000));
  EXPECT_EQ(config->intake_max_pending, 4096);
  EXPECT_EQ(config->intake_max_pending_bytes, 64LL * 1024 * 1024);
  env_["BOTTEGA_INTAKE_COMMIT_TIMEOUT_MS"] = "2500";
  env_["BOTTEGA_INTAKE_MAX_PENDING"] = "100";
  env_["BOTTEGA_INTAKE_MAX_PENDING_BYTES"] = "8388608";
  config = load("");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->intake_commit_timeout, std::chrono::milliseconds(2500));
  EXPECT_EQ(config->intake_max_pending, 100);
  EXPECT_EQ(config->intake_max_pending_bytes, 8388608);
  env_["BOTTEGA_INTAKE_COMMIT_TIMEOUT_MS"] = "0";
  auto bad = load("");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("`intake.commit_timeout_ms`"), std::string::npos)
      << bad.error().message;
}

}  // namespace
}  // namespace bottega
