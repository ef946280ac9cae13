// `bottega doctor` through the real binary: everything in order passes;
// then each check fails once, alone, with its message and exit status 1.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "engine/db/migrations.h"
#include "tests/support/child_process.h"
#include "tests/support/fake_github/fake_github.h"
#include "tests/support/postgres_fixture.h"
#include "tests/support/tls_fixture.h"

namespace bottega {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;
namespace fs = std::filesystem;

class DoctorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::make_temp_dir("bottega-doctor-");
    {
      pqxx::connection conn(db_.connection_string());
      ASSERT_TRUE(apply_migrations(conn, builtin_migrations()).ok());
    }
    auto certs = testing::make_test_certificates(dir_ + "/tls");
    ASSERT_FALSE(certs.ca_cert.empty());
    keys_ = fake_github::generate_rsa_key_pair();
    fake_github::FakeGitHubOptions o;
    o.tls_cert_file = certs.server_cert;
    o.tls_key_file = certs.server_key;
    o.state_dir = dir_ + "/github";
    o.app_public_key_pem = keys_.public_pem;
    github_ = std::make_unique<fake_github::FakeGitHub>(o);
    ASSERT_TRUE(github_->start().ok());
    auto installation = github_->add_installation("acme");
    ASSERT_TRUE(
        github_->add_repository(installation, "acme", "widgets", {{"README.md", "hi\n"}}).ok());
    std::ofstream(dir_ + "/app.pem") << keys_.private_pem;

    // A harness CLI that answers --version, and a PATH with git and bwrap.
    fs::create_directories(dir_ + "/bin");
    std::ofstream(dir_ + "/bin/claude") << "#!/bin/sh\necho '2.0.1 (Claude Code)'\n";
    fs::permissions(dir_ + "/bin/claude", fs::perms::owner_all);
    fs::create_directories(dir_ + "/path");
    for (const char* tool : {"git", "bwrap", "true", "timeout"})
      fs::create_symlink(find(tool), dir_ + "/path/" + tool);

    env_ = {{"DATABASE_URL", db_.connection_string()},
            {"BOTTEGA_DATA_DIR", dir_ + "/var"},
            {"BOTTEGA_LOG_LEVEL", "error"},
            {"BOTTEGA_WEBHOOK_SECRET", "doctor-secret-value"},
            {"BOTTEGA_APP_ID", "4242"},
            {"BOTTEGA_PRIVATE_KEY_FILE", dir_ + "/app.pem"},
            {"BOTTEGA_GITHUB_API_URL", github_->base_url()},
            {"BOTTEGA_GITHUB_CA_FILE", certs.ca_cert},
            {"BOTTEGA_PUBLIC_URL", "https://bottega.example.com"},
            {"BOTTEGA_ROLE_PLAN_HARNESS", "claude"},
            {"BOTTEGA_ROLE_PLAN_MODEL", "claude-sonnet-4-5"},
            {"BOTTEGA_HARNESS_CLAUDE_BINARY", dir_ + "/bin/claude"},
            {"BOTTEGA_HARNESS_CLAUDE_API_KEY", "sk-ant-doctor-key"},
            {"PATH", dir_ + "/path"}};
  }
  void TearDown() override {
    if (github_) github_->stop();
    fs::remove_all(dir_);
  }

  static std::string find(const std::string& tool) {
    for (const char* d : {"/usr/bin/", "/bin/", "/usr/local/bin/"})
      if (fs::exists(std::string(d) + tool)) return std::string(d) + tool;
    ADD_FAILURE() << tool << " is not installed";
    return "/nonexistent";
  }

  std::pair<int, std::string> doctor(const std::map<std::string, std::string>& changes = {},
                                     std::vector<std::string> args = {}) {
    auto env = env_;
    for (const auto& [k, v] : changes) env[k] = v;
    args.insert(args.begin(), "doctor");
    ChildProcess p(testing::bottega_binary(), args, env, dir_ + "/out-" + std::to_string(n_++));
    auto status = p.wait(60s);
    EXPECT_TRUE(status.has_value()) << "doctor did not finish";
    std::string out = p.output();
    for (const char* secret : {"doctor-secret-value", "sk-ant-doctor-key", "PRIVATE KEY"})
      EXPECT_EQ(out.find(secret), std::string::npos) << "a secret reached the output:\n" << out;
    return {status.value_or(-1), out};
  }

  // The FAIL lines of an output.
  static std::vector<std::string> failures(const std::string& out) {
    std::vector<std::string> lines;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);)
      if (line.rfind("FAIL", 0) == 0) lines.push_back(line);
    return lines;
  }

  // Exactly one check failed, and it says `expected`.
  void expect_one_failure(const std::pair<int, std::string>& result, const std::string& expected) {
    EXPECT_EQ(result.first, 1) << result.second;
    auto failed = failures(result.second);
    ASSERT_EQ(failed.size(), 1u) << result.second;
    EXPECT_NE(failed[0].find(expected), std::string::npos) << failed[0];
    EXPECT_NE(failed[0].find("; fix: "), std::string::npos) << "says how to fix it: " << failed[0];
  }

  testing::TestDatabase db_;
  std::string dir_;
  fake_github::KeyPair keys_;
  std::unique_ptr<fake_github::FakeGitHub> github_;
  std::map<std::string, std::string> env_;
  int n_ = 0;
};

TEST_F(DoctorTest, EverythingInOrderPasses) {
  auto [status, out] = doctor();
  EXPECT_EQ(status, 0) << out;
  EXPECT_TRUE(failures(out).empty()) << out;
  for (const char* line :
       {"ok    configuration: environment and defaults", "ok    database: PostgreSQL ",
        "ok    webhook secret: set", "ok    App credentials: GitHub accepts the JWT of App bottega",
        "ok    installation acme: 1 repositories: acme/widgets",
        "ok    public URL: https://bottega.example.com",
        "ok    role plan (claude): ", "2.0.1 (Claude Code), model claude-sonnet-4-5, API key set",
        "ok    sandbox: ", "ok    git: git version ", "ok    disk: ", "all checks passed"})
    EXPECT_NE(out.find(line), std::string::npos) << line << " in:\n" << out;
}

TEST_F(DoctorTest, EachCheckFailsAloneWithItsFix) {
  expect_one_failure(doctor({{"BOTTEGA_LOG_LEVEL", "loud"}}), "FAIL  configuration: ");

  expect_one_failure(doctor({{"DATABASE_URL", "host=" + dir_ + "/no-server user=x dbname=x"}}),
                     "FAIL  database: ");
  {
    testing::TestDatabase fresh;  // reachable, never migrated
    expect_one_failure(doctor({{"DATABASE_URL", fresh.connection_string()}}),
                       "migration(s) not applied; fix: run `bottega migrate`");
  }

  expect_one_failure(doctor({{"BOTTEGA_WEBHOOK_SECRET", ""}}), "FAIL  webhook secret: not set");

  std::ofstream(dir_ + "/other.pem") << fake_github::generate_rsa_key_pair().private_pem;
  expect_one_failure(doctor({{"BOTTEGA_PRIVATE_KEY_FILE", dir_ + "/other.pem"}}),
                     "FAIL  App credentials: GitHub refuses the App's JWT");

  expect_one_failure(doctor({{"BOTTEGA_PUBLIC_URL", ""}}), "FAIL  public URL: not set");

  expect_one_failure(doctor({{"BOTTEGA_HARNESS_CLAUDE_BINARY", dir_ + "/bin/none"}}),
                     "FAIL  role plan (claude): the CLI '" + dir_ + "/bin/none' is not found");
  expect_one_failure(doctor({{"BOTTEGA_HARNESS_CLAUDE_API_KEY", ""}}),
                     "FAIL  role plan (claude): no API key for claude");

  fs::remove(dir_ + "/path/bwrap");
  expect_one_failure(doctor(), "FAIL  sandbox: bubblewrap (bwrap) is not installed");
  fs::create_symlink(find("bwrap"), dir_ + "/path/bwrap");

  fs::remove(dir_ + "/path/git");
  expect_one_failure(doctor(), "FAIL  git: git is not installed");
  fs::create_symlink(find("git"), dir_ + "/path/git");

  expect_one_failure(doctor({}, {"--min-free-mb", "1000000000000"}), "FAIL  disk: ");
}

TEST_F(DoctorTest, AnAppInstalledNowhereSaysWhereToInstallIt) {
  github_->stop();
  auto certs_dir = dir_ + "/tls2";
  auto certs = testing::make_test_certificates(certs_dir);
  fake_github::FakeGitHubOptions o;
  o.tls_cert_file = certs.server_cert;
  o.tls_key_file = certs.server_key;
  o.state_dir = dir_ + "/github2";
  o.app_public_key_pem = keys_.public_pem;
  fake_github::FakeGitHub empty(o);
  ASSERT_TRUE(empty.start().ok());
  expect_one_failure(doctor({{"BOTTEGA_GITHUB_API_URL", empty.base_url()},
                             {"BOTTEGA_GITHUB_CA_FILE", certs.ca_cert}}),
                     "FAIL  installations: the App is installed nowhere");
  empty.stop();
}

}  // namespace
}  // namespace bottega
