// TaskEngine: the imperative shell around the pure workflow, and its
// façade: each job handler decodes its job and calls the collaborator that
// owns the step (engine/worker/, one file each):
//   event_translator  a webhook event → a workflow event for a task
//   task_applier      decide() under the task's row lock; the new state,
//                     its jobs and its GitHub effects in one transaction
//   outbox            performs the effects (reactions, replies, the plan
//                     and status comments, the phase label)
//   turn_runner       one agent turn in the task's worktree
//   pull_opener       commit, push, open (or find) the PR
//   task_store        every SQL statement on tasks, in the caller's transaction
//   repo_lookups      the bot login, permissions, the repository's files
//   github_port       the GitHub operations all of them use
//
// Five job kinds run through it (spec/workflow.md):
//   github_event  a stored delivery → an event for its task
//   task_effects  the outbox a webhook's event left
//   agent_turn    one agent turn in the task's worktree → TurnFinished
//   open_pr       commit, push, open (or find) the PR → PullRequestOpened
//   cleanup_task  an ended task's worktree and run directories removed
// Every step can be run again after a crash: deliveries are applied to a
// task once (task_deliveries), comments are found again by their hidden
// markers, the PR by its head branch, labels are sets.
//
// Thread-safety: the handlers may run on any number of worker threads and
// processes at once; tasks are serialized by their row lock. Ownership:
// borrows everything passed to the constructor, which must outlive it.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/base/clock.h"
#include "config/base/result.h"
#include "config/repo_config.h"
#include "config/server_config.h"
#include "engine/agents/harness.h"
#include "engine/queue/job_kinds.h"
#include "engine/queue/queue.h"

namespace bottega {

class Database;
class Workspace;
class GitHubPort;
namespace agents {
class AgentRunner;
}

struct TaskEngineOptions {
  std::string runs_dir;     // run directories: <runs_dir>/<task>/turn-<n>-<attempt>
  std::string bottega_dir;  // the directory of the bottega binary (agents' PATH)
  std::chrono::milliseconds cancel_poll{1'000};  // how often a running turn checks for /cancel
  std::chrono::seconds permission_ttl{60};       // collaborator permissions are cached this long
  std::string host;  // this machine, as the queue knows it (the task's jobs come back here)
  std::string github_web_url = "https://github.com";  // branch links, the clone URL
  // this server's https address ("" = unknown): evidence links, the task page link
  std::string public_url;
  RepoConfig repo_defaults;  // what a repository without .github/bottega.yml gets
  // The agents' turns: the sandbox, the egress allow-list and each task's
  // ports (agents.md), and a harness's settings by name.
  bool agent_sandbox = true;
  std::vector<std::string> egress_allow;
  std::vector<std::string>
      egress_allow_private;  // "host:port" the proxy may reach at a private address
  int task_port_range_start = 41000;
  int task_ports_per_task = 20;
  std::function<Result<agents::HarnessSettings>(const std::string& harness)> harness_settings;
};

// The engine's options as the server configuration sets them (runs_dir,
// bottega_dir and host are the caller's).
TaskEngineOptions engine_options(const ServerConfig& config);

class TaskEngine {
 public:
  TaskEngine(TaskEngineOptions options, Database& db, GitHubPort& github, Workspace& workspace,
             agents::AgentRunner& runner, const Clock& clock = SystemClock::instance());
  ~TaskEngine();
  TaskEngine(const TaskEngine&) = delete;
  TaskEngine& operator=(const TaskEngine&) = delete;

  // Job handlers. A failure is retried by the queue; everything that is the
  // task's own trouble (an agent crash, an invalid config) is not a failure
  // of the job but a blocked task, reported on GitHub.
  [[nodiscard]] Result<void> handle_event(const Job& job);
  [[nodiscard]] Result<void> handle_turn(const Job& job);
  // Performs what a webhook's event left in the task's outbox (replies,
  // the plan and status comments, labels), spaced as GitHub asks.
  [[nodiscard]] Result<void> handle_effects(const Job& job);
  [[nodiscard]] Result<void> handle_open_pull(const Job& job);
  // A task that ended (done, cancelled): its worktree and run directories go.
  [[nodiscard]] Result<void> handle_cleanup(const Job& job);
  // A task PR's mergeability after its base moved (pull_updater.h).
  [[nodiscard]] Result<void> handle_update_pull(const Job& job);

  // Tasks whose turn or PR job is dead (it failed or lost its worker on
  // every attempt) and that nothing else will move: blocked with the job's
  // last error, so the status says so and /retry resumes them. Returns how
  // many. Run at start and periodically.
  [[nodiscard]] Result<int> block_lost_tasks();

  // Shutdown: cancels the running turns; their jobs fail and run again
  // later (here or on another host) instead of blocking their tasks.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bottega
