// Start-up that tells the truth: through the real `bottega serve`, each
// problem a new user meets at start is said at start, plainly (issue 14).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/support/child_process.h"
#include "tests/support/fake_github/fake_github.h"
#include "tests/support/postgres_fixture.h"
#include "tests/support/shell.h"
#include "tests/support/tls_fixture.h"

namespace bottega {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;

class StartupTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::make_temp_dir("bottega-startup-"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::pair<int, std::string> run(const std::vector<std::string>& args,
                                  const std::map<std::string, std::string>& env) {
    ChildProcess p(testing::bottega_binary(), args, env, dir_ + "/out-" + std::to_string(n_++));
    auto status = p.wait(60s);
    EXPECT_TRUE(status.has_value()) << "bottega did not finish:\n" << p.output();
    return {status.value_or(-1), p.output()};
  }

  // The status of GET url and its body.
  std::pair<int, std::string> get(const std::string& url) {
    auto a = testing::curl(url);
    return {a.status, a.body};
  }

  // Polls /readyz until it answers `want` (or 20 s pass); the last answer.
  std::pair<int, std::string> readyz(int port, int want) {
    std::pair<int, std::string> last;
    for (int i = 0; i < 200; ++i) {
      last = get("http://127.0.0.1:" + std::to_string(port) + "/readyz");
      if (last.first == want) break;
      std::this_thread::sleep_for(100ms);
    }
    return last;
  }

  std::string write(const std::string& name, const std::string& text) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }

  std::string dir_;
  int n_ = 0;
};

TEST_F(StartupTest, PortInUseIsOnePlainLineBeforeTheDatabaseStarts) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);

  // No database is configured: were it started first, an embedded
  // PostgreSQL would be initialised under the data dir.
  auto [status, out] = run({"serve"}, {{"BOTTEGA_LISTEN", "127.0.0.1:" + std::to_string(port)},
                                       {"BOTTEGA_DATA_DIR", dir_ + "/var"},
                                       {"BOTTEGA_WEBHOOK_SECRET", "s"},
                                       {"BOTTEGA_LOG_LEVEL", "error"}});
  ::close(fd);
  EXPECT_EQ(status, 1) << out;
  EXPECT_EQ(out, "bottega serve: cannot listen on 127.0.0.1:" + std::to_string(port) +
                     ": the port is in use (another program listens there; choose another with "
                     "`listen` or BOTTEGA_LISTEN)\n");
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/var/postgres")) << "the database started first";
}

TEST_F(StartupTest, CredentialsThatCannotWorkStopTheServerAtStart) {
  const std::string base_env_port = "127.0.0.1:" + std::to_string(testing::free_port());
  std::map<std::string, std::string> env = {{"BOTTEGA_LISTEN", base_env_port},
                                            {"BOTTEGA_DATA_DIR", dir_ + "/var"}};

  auto e = env;
  e["BOTTEGA_APP_ID"] = "12345";
  auto [no_key, no_key_out] = run({"serve"}, e);
  EXPECT_EQ(no_key, 78);
  EXPECT_NE(no_key_out.find("`app.private_key_file` (not set; set app.private_key_file or "
                            "BOTTEGA_PRIVATE_KEY_FILE): required when `app.id` is set"),
            std::string::npos)
      << no_key_out;

  e["BOTTEGA_PRIVATE_KEY_FILE"] = write("not-pem.pem", "this is not a key\n");
  auto [not_pem, not_pem_out] = run({"serve"}, e);
  EXPECT_EQ(not_pem, 78);
  EXPECT_NE(not_pem_out.find("is not a PEM private key"), std::string::npos) << not_pem_out;

  // PEM armour around something that is no RSA key: only signing tells.
  e["BOTTEGA_PRIVATE_KEY_FILE"] =
      write("broken.pem",
            "-----BEGIN RSA PRIVATE KEY-----\nbm90IGEga2V5\n-----END RSA PRIVATE KEY-----\n");
  auto [broken, broken_out] = run({"serve"}, e);
  EXPECT_EQ(broken, 78);
  EXPECT_NE(broken_out.find("the App cannot authenticate with it"), std::string::npos)
      << broken_out;
  EXPECT_EQ(broken_out.find("bm90IGEga2V5"), std::string::npos) << "the key reached the output";
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/var/postgres")) << "the database started first";

  auto u = env;
  u["BOTTEGA_PUBLIC_URL"] = "http://bottega.example.com";
  auto [http_url, http_url_out] = run({"serve"}, u);
  EXPECT_EQ(http_url, 78);
  EXPECT_NE(http_url_out.find("GitHub needs https"), std::string::npos) << http_url_out;
}

TEST_F(StartupTest, ReadyzIsNotReadyWhileGitHubRefusesTheApp) {
  testing::TestDatabase db;
  auto certs = testing::make_test_certificates(dir_ + "/tls");
  ASSERT_FALSE(certs.ca_cert.empty());
  auto github_keys = fake_github::generate_rsa_key_pair();
  fake_github::FakeGitHubOptions o;
  o.tls_cert_file = certs.server_cert;
  o.tls_key_file = certs.server_key;
  o.state_dir = dir_ + "/github";
  o.app_public_key_pem = github_keys.public_pem;
  fake_github::FakeGitHub github(o);
  ASSERT_TRUE(github.start().ok());

  const int port = testing::free_port();
  std::map<std::string, std::string> env = {{"DATABASE_URL", db.connection_string()},
                                            {"BOTTEGA_LISTEN", "127.0.0.1:" + std::to_string(port)},
                                            {"BOTTEGA_DATA_DIR", dir_ + "/var"},
                                            {"BOTTEGA_WEBHOOK_SECRET", "s"},
                                            {"BOTTEGA_WORKERS", "0"},
                                            {"BOTTEGA_APP_ID", "4242"},
                                            {"BOTTEGA_GITHUB_API_URL", github.base_url()},
                                            {"BOTTEGA_GITHUB_CA_FILE", certs.ca_cert}};

  // A key GitHub does not know (another App's, or one regenerated since).
  env["BOTTEGA_PRIVATE_KEY_FILE"] =
      write("other.pem", fake_github::generate_rsa_key_pair().private_pem);
  {
    ChildProcess serve(testing::bottega_binary(), {"serve"}, env, dir_ + "/serve-1.log");
    auto [status, body] = readyz(port, 503);
    // Give the first check time to end: until then it says it is checking.
    for (int i = 0; i < 100 && body.find("refuses") == std::string::npos; ++i) {
      std::this_thread::sleep_for(100ms);
      std::tie(status, body) = readyz(port, 503);
    }
    EXPECT_EQ(status, 503) << serve.output();
    EXPECT_NE(body.find("not ready: GitHub refuses the App's credentials"), std::string::npos)
        << body;
    EXPECT_NE(body.find("check app.id (or app.client_id) and app.private_key_file"),
              std::string::npos)
        << body;
    serve.signal(SIGTERM);
    EXPECT_EQ(serve.wait(15s), std::optional<int>(0)) << serve.output();
  }

  // The right key; and no webhook secret, which start-up says.
  env["BOTTEGA_PRIVATE_KEY_FILE"] = write("app.pem", github_keys.private_pem);
  env.erase("BOTTEGA_WEBHOOK_SECRET");
  ChildProcess serve(testing::bottega_binary(), {"serve"}, env, dir_ + "/serve-2.log");
  auto [status, body] = readyz(port, 200);
  EXPECT_EQ(status, 200) << body << serve.output();
  EXPECT_NE(serve.output().find("no webhook secret (webhook.secret or BOTTEGA_WEBHOOK_SECRET): "
                                "every webhook delivery is refused with 503"),
            std::string::npos)
      << serve.output();
  serve.signal(SIGTERM);
  EXPECT_EQ(serve.wait(15s), std::optional<int>(0)) << serve.output();
}

TEST_F(StartupTest, WhatTheServerCannotDoIsSaidAtStart) {
  testing::TestDatabase db;
  const int port = testing::free_port();
  ChildProcess serve(testing::bottega_binary(), {"serve"},
                     {{"DATABASE_URL", db.connection_string()},
                      {"BOTTEGA_LISTEN", "127.0.0.1:" + std::to_string(port)},
                      {"BOTTEGA_DATA_DIR", dir_ + "/var"},
                      {"BOTTEGA_WORKERS", "0"},
                      {"BOTTEGA_LOG_FORMAT", "text"},
                      {"BOTTEGA_ROLE_PLAN_HARNESS", "claude"},
                      {"BOTTEGA_ROLE_PLAN_MODEL", "claude-sonnet-4-5"},
                      {"BOTTEGA_HARNESS_CLAUDE_BINARY", dir_ + "/no-such/claude"},
                      {"BOTTEGA_ROLE_REVIEW_HARNESS", "codex"},
                      {"BOTTEGA_ROLE_REVIEW_MODEL", "gpt-5"},
                      {"BOTTEGA_HARNESS_CODEX_BINARY", "no-such-codex-cli"}},
                     dir_ + "/serve.log");
  auto [status, body] = readyz(port, 200);
  ASSERT_EQ(status, 200) << serve.output();
  const std::string log = serve.output();
  // Before any delivery arrived:
  EXPECT_NE(log.find("no GitHub App yet, so every webhook delivery is refused and nothing is "
                     "done on GitHub: register one at http://127.0.0.1:" +
                     std::to_string(port) + "/setup?token="),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("role plan runs harness claude, but its CLI '" + dir_ +
                     "/no-such/claude' is not found: its turns will fail"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("role review runs harness codex, but its CLI 'no-such-codex-cli' is not "
                     "found on PATH"),
            std::string::npos)
      << log;
  serve.signal(SIGTERM);
  EXPECT_EQ(serve.wait(15s), std::optional<int>(0)) << serve.output();
}

// `doctor` and `migrate` adopt the embedded PostgreSQL a running `serve`
// started, and must leave it running when they end.
TEST_F(StartupTest, DoctorAndMigrateLeaveTheEmbeddedDatabaseOfAServeRunning) {
  // The embedded server runs as `postgres` when we are root: let it in.
  std::filesystem::permissions(dir_, std::filesystem::perms::owner_all |
                                         std::filesystem::perms::group_exec |
                                         std::filesystem::perms::others_exec);
  const int port = testing::free_port();
  std::map<std::string, std::string> env = {{"BOTTEGA_LISTEN", "127.0.0.1:" + std::to_string(port)},
                                            {"BOTTEGA_DATA_DIR", dir_ + "/var"},
                                            {"BOTTEGA_WEBHOOK_SECRET", "s"},
                                            {"BOTTEGA_WORKERS", "0"}};
  ChildProcess serve(testing::bottega_binary(), {"serve"}, env, dir_ + "/serve.log");
  ASSERT_EQ(readyz(port, 200).first, 200) << serve.output();
  auto [doctor_status, doctor] = run({"doctor"}, env);
  EXPECT_NE(doctor.find("ok    database: PostgreSQL "), std::string::npos) << doctor;
  EXPECT_EQ(get("http://127.0.0.1:" + std::to_string(port) + "/readyz").first, 200)
      << "doctor stopped serve's database";
  auto [migrate_status, migrate] = run({"migrate"}, env);
  EXPECT_EQ(migrate_status, 0) << migrate;
  EXPECT_EQ(get("http://127.0.0.1:" + std::to_string(port) + "/readyz").first, 200)
      << "migrate stopped serve's database";
  serve.signal(SIGTERM);
  EXPECT_EQ(serve.wait(30s), std::optional<int>(0)) << serve.output();
}

// The common first machine: a fresh VPS, root, the clone under /root (0700),
// no data_dir set. The embedded PostgreSQL runs as `postgres`, which cannot
// enter /root: the default data dir for root is /var/lib/bottega.
TEST_F(StartupTest, AsRootWithoutADataDirTheEmbeddedDatabaseStarts) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  if (std::filesystem::exists("/var/lib/bottega"))
    GTEST_SKIP() << "/var/lib/bottega exists (a real installation?); not touching it";
  const int port = testing::free_port();
  // Started from a 0700 directory, as a clone under /root would be.
  std::filesystem::create_directories(dir_ + "/root/clone");
  std::filesystem::permissions(dir_ + "/root", std::filesystem::perms::owner_all);
  std::string out;
  {
    ChildProcess serve(
        "/bin/sh",
        {"-c", "cd '" + dir_ + "/root/clone' && exec '" + testing::bottega_binary() + "' serve"},
        {{"BOTTEGA_LISTEN", "127.0.0.1:" + std::to_string(port)},
         {"BOTTEGA_WEBHOOK_SECRET", "s"},
         {"BOTTEGA_WORKERS", "0"},
         {"BOTTEGA_LOG_FORMAT", "text"}},
        dir_ + "/serve.log");
    auto [status, body] = readyz(port, 200);
    EXPECT_EQ(status, 200) << body << serve.output();
    serve.signal(SIGTERM);
    EXPECT_EQ(serve.wait(30s), std::optional<int>(0)) << serve.output();
    out = serve.output();
  }
  EXPECT_NE(out.find("running as root: data dir /var/lib/bottega"), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/root/clone/var"));
  std::filesystem::remove_all("/var/lib/bottega");
}

}  // namespace
}  // namespace bottega
