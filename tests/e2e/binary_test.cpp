// The real `bottega` binary: its command line, its configuration errors,
// and a webhook taken by `serve` and worked by a separate `worker`.
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>
#include <thread>

#include "engine/db/migrations.h"
#include "github/webhook/signature.h"
#include "tests/support/child_process.h"
#include "tests/support/postgres_fixture.h"
#include "tests/support/shell.h"
#include "tests/support/tls_fixture.h"

namespace bottega {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;

class BinaryTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::make_temp_dir("bottega-e2e-"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Runs bottega to completion; returns (status, output).
  std::pair<int, std::string> run(const std::vector<std::string>& args,
                                  const std::map<std::string, std::string>& env = {}) {
    ChildProcess p(testing::bottega_binary(), args, env, dir_ + "/out-" + std::to_string(n_++));
    auto status = p.wait(30s);
    EXPECT_TRUE(status.has_value()) << "bottega did not finish";
    return {status.value_or(-1), p.output()};
  }

  // curl, for a status code and body.
  std::pair<int, std::string> curl(const std::string& args) {
    auto a = testing::curl(args);
    return {a.status, a.body};
  }

  std::string dir_;
  int n_ = 0;
};

TEST_F(BinaryTest, VersionAndHelp) {
  auto [status, out] = run({"version"});
  EXPECT_EQ(status, 0);
  EXPECT_EQ(out.rfind("bottega ", 0), 0u) << out;
  auto [dash_status, dash_out] = run({"--version"});
  EXPECT_EQ(dash_status, 0);
  EXPECT_EQ(dash_out, out);
  auto [hs, help] = run({"--help"});
  EXPECT_EQ(hs, 0);
  for (const char* c : {"serve", "worker", "migrate", "version"})
    EXPECT_NE(help.find(c), std::string::npos) << c;
  auto [ss, serve_help] = run({"serve", "--help"});
  EXPECT_EQ(ss, 0);
  EXPECT_NE(serve_help.find("--config FILE"), std::string::npos);
}

TEST_F(BinaryTest, UnknownFlagIsOneLineAndExit2) {
  auto [status, out] = run({"serve", "--bogus"});
  EXPECT_EQ(status, 2);
  EXPECT_EQ(out, "bottega: bottega serve: unknown flag '--bogus' (see bottega serve --help)\n");
  auto [s2, o2] = run({"serve", "--config"});
  EXPECT_EQ(s2, 2);
  EXPECT_NE(o2.find("'--config' needs a value"), std::string::npos);
}

TEST_F(BinaryTest, BadConfigurationStopsWithKeyFileLineAndExit78) {
  const std::string file = dir_ + "/bottega.yml";
  std::ofstream(file) << "listen: 127.0.0.1:3000\nlog:\n  format: xml\n";
  auto [status, out] = run({"serve", "--config", file}, {{"BOTTEGA_LOG_LEVEL", "loud"}});
  EXPECT_EQ(status, 78);
  EXPECT_NE(out.find("`log.format` at " + file + ":3"), std::string::npos) << out;
  EXPECT_NE(out.find("`log.level` at environment variable BOTTEGA_LOG_LEVEL"), std::string::npos)
      << out;
}

TEST_F(BinaryTest, ServeTakesAWebhookAWorkerRunsItsJobAndBothStopOnSigterm) {
  testing::TestDatabase db;
  const std::string secret = "e2e-secret-value";
  const int port = testing::free_port();
  std::map<std::string, std::string> env = {{"DATABASE_URL", db.connection_string()},
                                            {"BOTTEGA_LISTEN", "127.0.0.1:" + std::to_string(port)},
                                            {"BOTTEGA_WEBHOOK_SECRET", secret},
                                            {"BOTTEGA_WORKERS", "0"},
                                            {"BOTTEGA_DATA_DIR", dir_ + "/var"},
                                            {"BOTTEGA_LOG_FORMAT", "json"}};
  ChildProcess serve(testing::bottega_binary(), {"serve"}, env, dir_ + "/serve.log");
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  int ready = 0;
  for (int i = 0; i < 150 && ready != 200; ++i) {
    std::this_thread::sleep_for(100ms);
    ready = curl(base + "/readyz").first;
  }
  ASSERT_EQ(ready, 200) << serve.output();

  const std::string body =
      R"({"action":"opened","issue":{"number":9,"title":"t"},"repository":{"id":1,"full_name":"octo/e2e"},"installation":{"id":3}})";
  std::ofstream(dir_ + "/payload.json") << body;
  auto post = [&](const std::string& delivery, const std::string& signature) {
    return curl("-X POST -H 'X-GitHub-Event: issues' -H 'X-GitHub-Delivery: " + delivery +
                "' -H 'X-Hub-Signature-256: " + signature +
                "' -H 'Content-Type: application/json' --data-binary @" + dir_ + "/payload.json " +
                base + "/webhooks/github");
  };
  EXPECT_EQ(post("e2e-1", sign_body(secret, body)).first, 202);
  EXPECT_EQ(post("e2e-1", sign_body(secret, body)).first, 200);  // redelivered
  EXPECT_EQ(post("e2e-2", sign_body("not the secret", body)).first, 401);

  pqxx::connection conn(db.connection_string());
  auto job_state = [&] {
    return pqxx::nontransaction(conn)
        .exec1("SELECT coalesce(string_agg(state, ','), '') FROM jobs")[0]
        .as<std::string>();
  };
  EXPECT_EQ(job_state(), "queued");  // serve runs no workers here

  const int metrics_port = testing::free_port();
  ChildProcess worker(testing::bottega_binary(), {"worker"},
                      {{"DATABASE_URL", db.connection_string()},
                       {"BOTTEGA_WORKERS", "1"},
                       {"BOTTEGA_DATA_DIR", dir_ + "/var"},
                       {"BOTTEGA_METRICS_LISTEN", "127.0.0.1:" + std::to_string(metrics_port)}},
                      dir_ + "/worker.log");
  std::string state;
  for (int i = 0; i < 150 && state != "done"; ++i) {
    std::this_thread::sleep_for(100ms);
    state = job_state();
  }
  EXPECT_EQ(state, "done") << worker.output();
  // The worker's own metrics: the job it ran, the queue it sees.
  auto [metrics_status, metrics] =
      curl("http://127.0.0.1:" + std::to_string(metrics_port) + "/metrics");
  EXPECT_EQ(metrics_status, 200);
  EXPECT_NE(metrics.find("bottega_jobs_total{kind=\"github_event\",outcome=\"done\"} 1\n"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("bottega_queue_depth{kind=\"github_event\"} 0\n"), std::string::npos)
      << metrics;
  EXPECT_EQ(
      curl("-X POST http://127.0.0.1:" + std::to_string(metrics_port) + "/webhooks/github").first,
      404)
      << "a worker takes no webhooks";

  serve.signal(SIGTERM);
  worker.signal(SIGTERM);
  EXPECT_EQ(serve.wait(15s), std::optional<int>(0)) << serve.output();
  EXPECT_EQ(worker.wait(15s), std::optional<int>(0)) << worker.output();
  EXPECT_EQ(serve.output().find(secret), std::string::npos) << "the webhook secret reached the log";
}

}  // namespace
}  // namespace bottega
