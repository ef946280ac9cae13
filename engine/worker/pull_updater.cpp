#include "engine/worker/pull_updater.h"

#include <pqxx/pqxx>

#include "config/base/log.h"
#include "engine/db/database.h"
#include "engine/queue/job_kinds.h"
#include "engine/worker/github_port.h"
#include "engine/worker/job_payloads.h"
#include "engine/worker/secret_scan.h"
#include "engine/worker/task_applier.h"
#include "engine/worker/task_store.h"
#include "engine/worker/turn_runner.h"
#include "engine/workspace/workspace.h"

namespace bottega {

PullUpdater::PullUpdater(Database& db, GitHubPort& gh, Workspace& workspace, TurnRunner& turns,
                         TaskApplier& applier)
    : db_(db), gh_(gh), workspace_(workspace), turns_(turns), applier_(applier) {}

Result<void> PullUpdater::enqueue(int64_t installation_id, const std::string& repo, int64_t task_id,
                                  int asks, std::chrono::milliseconds delay) {
  try {
    auto conn = db_.acquire();
    if (!conn) return conn.error();
    pqxx::work tx(**conn);
    JobSpec job;
    job.kind = kUpdatePullJob;
    job.task_key = repo + "/task-" + std::to_string(task_id) + "/update";
    job.installation_id = installation_id;
    job.payload = encode_task_job({task_id, asks});
    job.delay = delay;
    // The worktree's host, when there is one: a merge happens where it is.
    auto row = task_store::select(tx, task_id, /*for_update=*/false);
    if (row && *row) job.host = (*row)->worktree_host;
    JobQueue::enqueue(tx, job);
    tx.commit();
  } catch (const std::exception& e) {
    return make_error("queueing the update of task " + std::to_string(task_id) + ": " + e.what());
  }
  return {};
}

Result<void> PullUpdater::base_moved(int64_t installation_id, const std::string& repo) {
  std::vector<int64_t> tasks;
  auto found = task_store::on_own_connection(db_, "finding a repository's open pull requests",
                                             [&](pqxx::nontransaction& tx) {
                                               tasks = task_store::open_pull_tasks(tx, repo);
                                               return true;
                                             });
  if (!found) return found.error();
  for (int64_t id : tasks)
    if (auto r = enqueue(installation_id, repo, id, 1, kFirstDelay); !r) return r;
  return {};
}

Result<void> PullUpdater::update(const Job& job) {
  auto payload = decode_task_job(job.payload);
  if (!payload) return payload.error();
  auto loaded = task_store::load(db_, payload->task_id);
  if (!loaded) return loaded.error();
  if (!*loaded) return {};
  const TaskRow& row = **loaded;
  const workflow::Task& t = row.task;
  if (t.pr_number == 0) return {};
  if (t.phase != workflow::Phase::pr_open) {
    // Busy (a fix turn, or blocked): the update is owed, queued again by
    // the workflow when the task is idle on its PR (a task blocked before
    // its PR, or over, ignores it).
    if (t.phase != workflow::Phase::fixing && t.phase != workflow::Phase::blocked) return {};
    Incoming in;
    in.installation_id = row.installation_id;
    in.repo = t.repo;
    in.issue = t.issue;
    in.event = workflow::BaseMoved{};
    return applier_.apply(in, "", t.id);
  }
  const auto repo = repo_of(row.installation_id, t.repo);
  auto pull = gh_.get_pull(repo, static_cast<int>(t.pr_number));
  if (!pull) return make_error("pull request: " + pull.error().describe());
  if (pull->state != "open" || pull->merged) return {};
  auto& log = component_log("workflow");
  if (!pull->mergeable) {
    const int asks = payload->turn;
    if (asks >= kMaxAsks) {
      log.warn("task {}: GitHub did not compute the mergeability of #{} after {} asks",
               task_key(t.repo, t.issue), t.pr_number, asks);
      return {};
    }
    return enqueue(row.installation_id, t.repo, t.id, asks + 1, kFirstDelay * (1 << asks));
  }
  // Mergeable or not, the branch is brought up to its base: a change that
  // does not conflict is merged in (and pushed) too, so the PR is tested
  // with what it will be merged into.

  auto checkout = turns_.check_out(row);
  if (!checkout) return checkout.error();
  const std::string& worktree = checkout->worktree;
  workflow::MergeabilityKnown event;
  event.base_sha = pull->base_sha;
  event.mergeable = false;
  auto decided = [&]() {
    Incoming in;
    in.installation_id = row.installation_id;
    in.repo = t.repo;
    in.issue = t.issue;
    in.event = std::move(event);
    return applier_.apply(in, "", t.id);
  };
  // GitHub refuses the App's push of a merge or rebase that brings in a
  // workflow change: a person updates the branch ("Update branch" on the
  // pull request pushes as them).
  if (auto caught = workspace_.catch_up(worktree, t.branch); !caught) return caught.error();
  auto base_changed = workspace_.base_changes(worktree, row.base_branch);
  if (!base_changed) return base_changed.error();
  for (const auto& path : *base_changed)
    if (is_workflow_file(path)) {
      event.workflow_change = path;
      log.info("task {}: {} changed {}; the App may not push it into {}", task_key(t.repo, t.issue),
               row.base_branch, path, t.branch);
      return decided();
    }
  if (t.pull.rebase) {
    // From the pushed head (a rewrite whose push lost its lease is
    // dropped; a person's commits are rebased with ours), pushed with the
    // lease of the head fetched just now: a push since then fails it and
    // this job runs again from the new head.
    if (auto reset = workspace_.reset_to_remote(worktree, t.branch); !reset) return reset.error();
    auto rebased = workspace_.rebase_onto_base(worktree, row.base_branch);
    if (!rebased) return rebased.error();
    if (rebased->clean) {
      if (!rebased->sha) return {};  // already on the base: GitHub's answer was stale
      if (auto pushed = workspace_.push(worktree, checkout->remote, t.branch); !pushed)
        return pushed.error();
      event.merged_cleanly = true;
      event.rebased = true;
      event.pushed_sha = *rebased->sha;
      log.info("task {}: rebased {} onto {}", task_key(t.repo, t.issue), t.branch, row.base_branch);
      return decided();
    }
    // The simpler of the two ways the issue allows: a merge (and, on its
    // conflicts, a resolve-conflicts turn), the status saying why.
    event.rebase_fallback = "rebasing it conflicts in `" + rebased->conflicts.front() + "`";
  }
  auto merged = workspace_.merge_base(worktree, row.base_branch,
                                      "Merge branch '" + row.base_branch + "' into " + t.branch);
  if (!merged) return merged.error();
  if (merged->clean) {
    if (!merged->sha) return {};  // nothing to merge here: GitHub's answer was stale
    if (auto pushed = workspace_.push(worktree, checkout->remote, t.branch); !pushed)
      return pushed.error();
    event.merged_cleanly = true;
    event.pushed_sha = *merged->sha;
    log.info("task {}: merged {} into {} cleanly", task_key(t.repo, t.issue), row.base_branch,
             t.branch);
  } else {
    // The resolve turn merges again in its own worktree (on whatever host).
    if (auto aborted = workspace_.abort_merge(worktree); !aborted) return aborted.error();
    event.conflicted_files = merged->conflicts;
  }
  return decided();
}

}  // namespace bottega
