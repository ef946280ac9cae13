// EngineTest: the task engine in the test's own process, with nothing
// faked but GitHub and the model: a fresh PostgreSQL database (migrated),
// the in-process fake GitHub behind the real REST client and the engine's
// GitHub port, real git worktrees, and the fake agent CLI run by the real
// runner in the sandbox. No server and no worker pool: webhooks the fake
// recorded are handed to the real intake by deliver(), and queued jobs run
// one at a time on the test's thread by run_jobs(), so a test steps the
// engine exactly and ends in seconds. The GitHub side (issues, labels,
// comments, scenarios) is the workflow fixture's (tests/e2e).
// Thread-safety: a gtest fixture, used from the test's thread only.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "config/server_config.h"
#include "engine/queue/queue.h"
#include "tests/e2e/workflow_fixture.h"

namespace bottega {
class Database;
class GitHubClientPort;
class Intake;
class TaskEngine;
class Workspace;
namespace agents {
class ProcessAgentRunner;
}
namespace github {
class GitHubClient;
}
}  // namespace bottega

namespace bottega::testing {

class EngineTest : public WorkflowFixture {
 protected:
  EngineTest();
  ~EngineTest() override;
  void TearDown() override;

  // Builds the engine from the fixture's configuration (set_config applies
  // before this call) and migrates the database.
  void start_engine();
  TaskEngine& engine() { return *engine_; }

  // Hands every webhook the fake recorded since the last call to the intake
  // (as GitHub would POST them); returns how many were accepted.
  int deliver();
  // Claims and runs ready jobs on this thread until none is ready (jobs
  // waiting out a retry delay stay queued); returns how many ran. A job's
  // failure is recorded in the queue, as a worker would.
  int run_jobs();
  // deliver() and run_jobs() until neither does anything.
  void drain();
  // Runs one job of `kind` if one is ready; false when none is.
  bool run_one(const std::string& kind);

  // Jobs by state and kind, for assertions ("queued agent_turn" → count).
  std::map<std::string, int> jobs();

 private:
  bool run_next(const std::function<bool(const std::string& kind)>& wanted);

  ServerConfig config_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<github::GitHubClient> client_;
  std::unique_ptr<GitHubClientPort> port_;
  std::unique_ptr<Workspace> workspace_;
  std::unique_ptr<agents::ProcessAgentRunner> runner_;
  std::unique_ptr<TaskEngine> engine_;
  std::unique_ptr<Intake> intake_;
  std::unique_ptr<JobQueue> queue_;
  std::unique_ptr<pqxx::connection> queue_conn_;
  std::size_t delivered_ = 0;
};

}  // namespace bottega::testing
