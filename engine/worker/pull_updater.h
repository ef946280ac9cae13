// Keeps a task's pull request mergeable with its base (spec/shepherd.md,
// "Merge conflicts"): a push to the repository's default branch queues an
// update_pull job for each task PR open there; the job asks GitHub whether
// the PR is mergeable (null: still computing; asked again later as a
// delayed job, a bounded number of times: never a sleeping worker), then
// merges the base into the task branch in the worktree. A clean merge is
// pushed without an agent; conflicts become a resolve-conflicts turn (the
// workflow decides, within its cap).
// Thread-safety: any number of threads; tasks are serialized by their row lock.
#pragma once

#include <cstdint>
#include <string>

#include "config/base/result.h"
#include "engine/queue/queue.h"

namespace bottega {

class Database;
class GitHubPort;
class TaskApplier;
class TurnRunner;
class Workspace;

class PullUpdater {
 public:
  PullUpdater(Database& db, GitHubPort& gh, Workspace& workspace, TurnRunner& turns,
              TaskApplier& applier);

  // A push to `repo`'s default branch: an update_pull job per open task PR.
  [[nodiscard]] Result<void> base_moved(int64_t installation_id, const std::string& repo);
  // One update_pull job. Fails on trouble worth retrying (GitHub, git).
  [[nodiscard]] Result<void> update(const Job& job);

  // How many times a PR whose mergeability GitHub is still computing is
  // asked again, and the delay before the first (doubling each time).
  static constexpr int kMaxAsks = 6;
  static constexpr std::chrono::milliseconds kFirstDelay{1'500};

 private:
  Result<void> enqueue(int64_t installation_id, const std::string& repo, int64_t task_id, int asks,
                       std::chrono::milliseconds delay);

  Database& db_;
  GitHubPort& gh_;
  Workspace& workspace_;
  TurnRunner& turns_;
  TaskApplier& applier_;
};

}  // namespace bottega
