// Runs one agent turn of a task: checks out its worktree (synced with
// GitHub, held by this host), writes the run directory and the task
// document, renders the role's prompt, starts the turn's network (model
// gateway, egress proxy) and the sandboxed agent, records the transcript,
// stops the agent when the task stops waiting for it, and after an
// implementation turn commits and pushes the work (never a secret the app
// holds). The checkout and the secret scan serve the pull request too.
// Thread-safety: run() may be called on any number of threads at once.
#pragma once

#include <atomic>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/base/result.h"
#include "engine/queue/queue.h"
#include "engine/worker/secret_scan.h"
#include "engine/worker/task_engine.h"
#include "engine/worker/task_row.h"
#include "engine/workspace/workspace.h"

namespace bottega {

class Database;
class RepoLookups;
class GitHubPort;
namespace agents {
class AgentRunner;
class AgentProcess;
class TranscriptStore;
struct Outcome;
}  // namespace agents

// A turn that could not run for a reason of the task's own (reported on
// GitHub, not retried).
workflow::TurnFinished setup_failed(std::string why);

class TurnRunner {
 public:
  TurnRunner(const TaskEngineOptions& options, Database& db, GitHubPort& gh, Workspace& workspace,
             agents::AgentRunner& runner, RepoLookups& lookups,
             agents::TranscriptStore& transcripts);

  // Runs the task's current turn. Fails on trouble worth retrying; what the
  // task itself got wrong (a bad config, a crashed agent) is in the result.
  [[nodiscard]] Result<workflow::TurnFinished> run(const TaskRow& row, const Job& job);

  // The task's worktree, synced with GitHub and held by this host, and the
  // remote to push to. Fails on trouble worth retrying (GitHub, git).
  struct Checkout {
    GitRemote remote;
    std::string worktree;
  };
  [[nodiscard]] Result<Checkout> check_out(const TaskRow& row);
  // Why the worktree's changes may not be committed (unpushable_change:
  // a workflow file, a secret the app knows), naming the file; nullopt
  // when they may.
  [[nodiscard]] Result<std::optional<UnpushableChange>> unpushable_change(
      const std::string& worktree);

  // The agent's outcome as the workflow's (turn_runner_work.cpp).
  static workflow::TurnFinished turn_finished_from(const agents::Outcome& outcome);
  // An implementation or fix turn that succeeded: its work checked (no
  // secret the app holds, no conflict marker left in `conflicts`),
  // committed and pushed. True: `f` is final (refused, or the commit or the
  // push failed, said in `f`). Fails on trouble worth retrying.
  [[nodiscard]] Result<bool> keep_work(const workflow::Task& t, workflow::TurnFinished& f,
                                       const Checkout& checkout, const std::string& run_dir,
                                       const std::vector<std::string>& conflicts,
                                       const std::vector<std::string>& test_commands,
                                       const std::vector<std::string>& sandbox_readable);
  // After a resolve-conflicts turn the app runs the repository's test
  // commands itself (commands.test, in the sandbox, no network), one by
  // one: the first that fails, named with its output's tail; "" when all
  // pass (or none is configured).
  [[nodiscard]] Result<std::string> failing_test(const std::vector<std::string>& test_commands,
                                                 const std::string& worktree,
                                                 const std::string& run_dir,
                                                 const std::vector<std::string>& sandbox_readable);
  // The refinement pass's work (refinement.cpp): kept — committed and
  // pushed — only when the turn succeeded, it holds no secret and the
  // repository's tests pass after it; otherwise the worktree goes back to
  // the reviewed commit. Returns why the app reverted it ("" when kept, or
  // when the turn itself failed: the workflow says why).
  [[nodiscard]] Result<std::string> settle_refinement(
      const workflow::Task& t, const workflow::TurnFinished& f, const Checkout& checkout,
      const std::string& run_dir, const std::vector<std::string>& test_commands,
      const std::vector<std::string>& sandbox_readable);
  // Fix turns (turn_runner_fix.cpp). The answers to the inline comments
  // addressed (replies.json); the trailer a fix commit carries
  // ("Bottega-Turn: <task>:<turn>"); and the turn's result when its commit
  // is already there (a run after a crash): pushed (again, a no-op when it
  // was) and reported, the agent not run twice.
  static void take_answers(const workflow::Task& t, const std::string& run_dir,
                           workflow::TurnFinished& f);
  static std::string fix_trailer(const workflow::Task& t);
  [[nodiscard]] Result<std::optional<workflow::TurnFinished>> pushed_before(
      const TaskRow& row, const std::string& worktree, const GitRemote& remote);
  // A resolve-conflicts turn merges the base first: clean, it is pushed and
  // done without an agent; otherwise `conflicts` are left for the agent.
  [[nodiscard]] Result<std::optional<workflow::TurnFinished>> merge_for_resolve(
      const TaskRow& row, const std::string& worktree, const GitRemote& remote,
      std::vector<std::string>& conflicts);
  // Pushes a fix turn's work (fix_trailer names the turn). A person who
  // pushed to the branch meanwhile breaks the lease: their commits are
  // fetched and merged with the fix (never overwritten), and the merge
  // pushed; f.person_pushed says so. Their commits conflicting with the fix:
  // fails naming it, nothing pushed.
  [[nodiscard]] Result<void> push_fix(const workflow::Task& t, const Checkout& checkout,
                                      workflow::TurnFinished& f);
  // A review of a fix that passed it (signal ready): the fix's commits are
  // pushed and f.pushed_sha says the new head; nothing for another verdict.
  [[nodiscard]] Result<void> push_reviewed_fix(const workflow::Task& t, const Checkout& checkout,
                                               workflow::TurnFinished& f);
  // The first of `files` in the worktree still holding a conflict marker.
  static std::optional<std::string> marker_left(const std::string& worktree,
                                                const std::vector<std::string>& files);

  // Shutdown: cancels the running turns and every one started after.
  void stop();
  bool stopping() const { return stopping_; }

 private:
  const TaskEngineOptions& options_;
  Database& db_;
  GitHubPort& gh_;
  Workspace& workspace_;
  agents::AgentRunner& runner_;
  RepoLookups& lookups_;
  agents::TranscriptStore& transcripts_;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::set<agents::AgentProcess*> processes_;  // running turns, under `mutex_`
};

}  // namespace bottega
