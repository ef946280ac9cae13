// The one place decide() runs: applies a workflow event to its task under
// the task's row lock, commits the new state together with the jobs it
// implies (agent turns, the PR, cleanup) and the GitHub effects it leaves
// in the outbox, then has the outbox performed. A delivery and a comment's
// command are applied once (task_deliveries).
// Thread-safety: apply() may run on any number of threads and processes at
// once; tasks are serialized by their row lock.
#pragma once

#include <cstdint>
#include <string>

#include "config/base/result.h"
#include "engine/worker/event_translator.h"

namespace bottega {

class Database;
class Outbox;
class RepoLookups;

class TaskApplier {
 public:
  TaskApplier(Database& db, RepoLookups& lookups, Outbox& outbox);

  // Runs decide() for `task_id` (or the task) and commits it.
  // delivery_id: applied once (empty: the engine's own event, a turn's end
  // or the PR). Only a webhook's acknowledgements (reactions) are sent at
  // once; the rest of the effects go to a task_effects job, so neither the
  // next command's 👀 nor the task's next turn waits out GitHub's write
  // spacing behind them.
  [[nodiscard]] Result<void> apply(const Incoming& in, const std::string& delivery_id,
                                   int64_t task_id = 0);

 private:
  Database& db_;
  RepoLookups& lookups_;
  Outbox& outbox_;
};

}  // namespace bottega
