// Every SQL statement of the engine on tasks, the deliveries applied to
// them, suspended installations and the tasks' holds. Each function runs in
// the caller's transaction and never opens one behind its back (load() and
// hold_worktree(), which take the database, are the stated exceptions: a
// read or write of their own). Lock rules (spec/workflow.md): a task's row
// lock (lock_*, select(for_update)) serializes its events; the flusher's
// advisory lock (lock_flusher) lets one flusher of a task perform effects.
#pragma once

#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "config/base/result.h"
#include "engine/db/database.h"
#include "engine/worker/task_row.h"

namespace bottega {
namespace task_store {

// Runs f(tx) on a connection of its own, each statement committed at once,
// outside any transaction of the caller; `what` names it in errors.
template <class F>
auto on_own_connection(Database& db, const std::string& what, F f)
    -> Result<std::invoke_result_t<F, pqxx::nontransaction&>> {
  try {
    auto conn = db.acquire();
    if (!conn) return conn.error();
    pqxx::nontransaction tx(**conn);
    if constexpr (std::is_void_v<std::invoke_result_t<F, pqxx::nontransaction&>>) {
      f(tx);
      return {};
    } else {
      return f(tx);
    }
  } catch (const std::exception& e) {
    return make_error(what + ": " + e.what());
  }
}

// The task of an issue, or of an id, locked FOR UPDATE; nullopt when none.
[[nodiscard]] Result<std::optional<TaskRow>> lock(pqxx::transaction_base& tx,
                                                  const std::string& repo, int64_t issue);
[[nodiscard]] Result<std::optional<TaskRow>> select(pqxx::transaction_base& tx, int64_t id,
                                                    bool for_update);
// A read of its own, outside any transaction of the caller.
[[nodiscard]] Result<std::optional<TaskRow>> load(Database& db, int64_t id);

// Inserts the task (phase idle) and returns its id; throws
// pqxx::unique_violation when another delivery made the issue's task first.
int64_t insert(pqxx::transaction_base& tx, const TaskRow& row);

// Records that `key` (a delivery id, or "comment:<id>") was applied to the
// task; false when it was already.
bool record_applied(pqxx::transaction_base& tx, const std::string& key, int64_t task_id);

// The decided state, the phase copy, the PR number and the new effects
// appended to the outbox.
void save_decision(pqxx::transaction_base& tx, const workflow::Task& t,
                   const std::string& new_effects_json);
void drop_outbox(pqxx::transaction_base& tx, int64_t task_id);
// What a flush leaves: the outbox minus what was sent, and (unless only
// acknowledgements were sent) the comment ids and the label now applied.
void save_outbox(pqxx::transaction_base& tx, int64_t task_id, const std::string& outbox_json);
void save_flushed(pqxx::transaction_base& tx, const TaskRow& row, const std::string& outbox_json);
// One flusher per task: held until the transaction ends.
void lock_flusher(pqxx::transaction_base& tx, int64_t task_id);
// Whether the task's outbox holds more than reactions and no task_effects
// job (`effects_key`) is queued yet.
bool effects_wanted(pqxx::transaction_base& tx, int64_t task_id, const std::string& effects_key);

// Intent recorded before a GitHub write whose result a crash could lose,
// committed at once (a transaction of its own): the plan or status comment
// being posted (its id becomes -1: look for it by its marker before posting
// again), and the phase labels the issue may carry ("a,b").
enum class MarkedComment { plan, status };
[[nodiscard]] Result<void> note_posting(Database& db, int64_t task_id, MarkedComment which);
// Before the App's check run is made on `head`: if the answer is lost, the
// next sync looks for it instead of making a second one.
[[nodiscard]] Result<void> note_check_run_posting(Database& db, int64_t task_id,
                                                  const std::string& head);
[[nodiscard]] Result<void> note_labels(Database& db, int64_t task_id, const std::string& labels);

// This host holds the task's worktree: the task's next jobs come here.
[[nodiscard]] Result<void> hold_worktree(Database& db, int64_t task_id, const std::string& host);

// The issue whose task opened pull request `number`; nullopt when none.
std::optional<int64_t> issue_of_pull(pqxx::transaction_base& tx, const std::string& repo,
                                     int64_t number);
// Whether the issue's task waits for answers to its plan's questions.
bool awaits_answers(pqxx::transaction_base& tx, const std::string& repo, int64_t issue);
// Tasks of the installation that are not idle, done or cancelled: id, repository.
std::vector<std::pair<int64_t, std::string>> live_tasks(pqxx::transaction_base& tx,
                                                        int64_t installation);
// The repository's tasks with a pull request that is open: idle (pr_open),
// under a fix turn or blocked: ids.
std::vector<int64_t> open_pull_tasks(pqxx::transaction_base& tx, const std::string& repo);
// Tasks waiting for a job that is dead: id, why ("its job failed N times; ...").
std::vector<std::pair<int64_t, std::string>> lost_tasks(pqxx::transaction_base& tx);

bool is_suspended(pqxx::transaction_base& tx, int64_t installation);
void set_suspended(pqxx::transaction_base& tx, int64_t installation, bool suspended);

}  // namespace task_store
}  // namespace bottega
