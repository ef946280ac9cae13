#include "tests/integration/worker/engine_fixture.h"

#include <condition_variable>
#include <fstream>
#include <mutex>

#include "app/github_port.h"
#include "app/jobs.h"
#include "app/runtime.h"
#include "config/base/log.h"
#include "engine/agents/agent_config.h"
#include "engine/agents/runner.h"
#include "engine/db/database.h"
#include "engine/intake/intake.h"
#include "engine/intake/routing.h"
#include "engine/worker/task_engine.h"
#include "engine/workspace/workspace.h"

namespace bottega::testing {

EngineTest::EngineTest() { send_webhooks_ = false; }
EngineTest::~EngineTest() = default;

void EngineTest::start_engine() {
  const std::string file = tree() + "/bottega.yml";
  std::ofstream(file) << config_yaml();
  auto loaded = load_server_config(file, process_environment());
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  config_ = std::move(*loaded);
  // The engine's own log would drown the test's output: warnings and up.
  setup_logging("warn", LogFormat::text);
  ASSERT_TRUE(migrate_database(database_url()).ok());

  db_ = std::make_unique<Database>(database_url(), 8);
  auto client = make_github_client(config_);
  ASSERT_TRUE(client.ok()) << client.error().message;
  client_ = std::move(*client);
  ASSERT_TRUE(client_);
  port_ = std::make_unique<GitHubClientPort>(*client_, config_.app_slug);
  WorkspaceOptions ws;
  ws.root = tree() + "/data/workspaces";
  ws.ca_file = config_.github_ca_file;
  workspace_ = std::make_unique<Workspace>(ws);
  runner_ = std::make_unique<agents::ProcessAgentRunner>(
      agents::runner_options(config_, BOTTEGA_BINARY_DIR));
  TaskEngineOptions options = engine_options(config_);
  options.runs_dir = tree() + "/data/runs";
  options.bottega_dir = BOTTEGA_BINARY_DIR;
  options.host = local_host_name();
  options.cancel_poll = std::chrono::milliseconds(100);
  engine_ = std::make_unique<TaskEngine>(options, *db_, *port_, *workspace_, *runner_);

  intake_ = std::make_unique<Intake>(database_url(), IntakeOptions{});
  ASSERT_TRUE(intake_->start().ok());
  QueueLimits limits;
  limits.backoff_base = std::chrono::milliseconds(1);  // a failed job is ready again at once
  limits.backoff_cap = std::chrono::milliseconds(1);
  queue_ = std::make_unique<JobQueue>(limits);
  queue_conn_ = std::make_unique<pqxx::connection>(database_url());
}

void EngineTest::TearDown() {
  if (engine_) engine_->stop();
  if (intake_) intake_->stop();
  engine_.reset();
  intake_.reset();
  queue_conn_.reset();
  runner_.reset();
  workspace_.reset();
  port_.reset();
  client_.reset();
  db_.reset();
  WorkflowFixture::TearDown();
}

int EngineTest::deliver() {
  auto hooks = github().webhooks();
  int accepted = 0;
  for (; delivered_ < hooks.size(); ++delivered_) {
    const auto& hook = hooks[delivered_];
    std::mutex m;
    std::condition_variable cv;
    std::optional<IntakeResult> result;
    intake_->submit(IncomingDelivery{hook.guid, hook.event, hook.body}, [&](IntakeResult r) {
      std::lock_guard lock(m);
      result = std::move(r);
      cv.notify_all();
    });
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return result.has_value(); });
    EXPECT_NE(result->outcome, IntakeOutcome::failed) << result->message;
    accepted += result->outcome == IntakeOutcome::accepted;
  }
  return accepted;
}

bool EngineTest::run_next(const std::function<bool(const std::string&)>& wanted) {
  // Claim through the real queue (its caps, host affinity and one running
  // job per task key), looking past jobs of other kinds.
  std::vector<Job> skipped;
  bool ran = false;
  for (;;) {
    auto claimed = queue_->claim(*queue_conn_, "engine-test");
    EXPECT_TRUE(claimed.ok()) << (claimed.ok() ? "" : claimed.error().message);
    if (!claimed.ok() || !*claimed) break;
    Job job = std::move(**claimed);
    if (!wanted(job.kind)) {
      skipped.push_back(job);
      continue;
    }
    Result<void> r;
    if (job.kind == kGitHubEventJob)
      r = engine_->handle_event(job);
    else if (job.kind == kAgentTurnJob)
      r = engine_->handle_turn(job);
    else if (job.kind == kTaskEffectsJob)
      r = engine_->handle_effects(job);
    else if (job.kind == kOpenPullJob)
      r = engine_->handle_open_pull(job);
    else if (job.kind == kCleanupJob)
      r = engine_->handle_cleanup(job);
    else
      ADD_FAILURE() << "a job of unknown kind " << job.kind;
    if (r)
      EXPECT_TRUE(queue_->complete(*queue_conn_, job).ok());
    else
      EXPECT_TRUE(queue_->fail(*queue_conn_, job, r.error().message).ok());
    ran = true;
    break;
  }
  // Back to the queue, untouched: not this call's kind.
  pqxx::nontransaction tx(*queue_conn_);
  for (const auto& job : skipped)
    tx.exec_params(
        "UPDATE jobs SET state = 'queued', attempts = attempts - 1, lease_owner = NULL,"
        " lease_expires_at = NULL, started_at = NULL WHERE id = $1",
        job.id);
  return ran;
}

bool EngineTest::run_one(const std::string& kind) {
  return run_next([&](const std::string& k) { return k == kind; });
}

int EngineTest::run_jobs() {
  int ran = 0;
  while (run_next([](const std::string&) { return true; })) ++ran;
  return ran;
}

void EngineTest::drain() {
  for (int round = 0; round < 100; ++round)
    if (deliver() == 0 && run_jobs() == 0) return;
  ADD_FAILURE() << "the engine did not settle in 100 rounds";
}

std::map<std::string, int> EngineTest::jobs() {
  std::map<std::string, int> out;
  for (const auto& row : query("SELECT state || ' ' || kind, count(*) FROM jobs GROUP BY 1"))
    out[row[0].as<std::string>()] = row[1].as<int>();
  return out;
}

}  // namespace bottega::testing
