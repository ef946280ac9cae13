#include "engine/worker/task_store.h"

#include <algorithm>

#include "engine/worker/task_codec.h"

namespace bottega {
namespace {

// The advisory lock class of "one flusher per task" (the task id is the
// other key); two-key locks never meet the queue's one-key claim lock.
constexpr int kFlushLockClass = 0x626f74;  // "bot"

const char* kTaskColumns =
    "id, installation_id, repo, issue, base_branch, state::text, coalesce(plan_comment_id, 0),"
    " coalesce(status_comment_id, 0), applied_label, outbox::text, coalesce(worktree_host, ''),"
    " check_run_id, check_run_head, check_run_said";

Result<TaskRow> row_from(const pqxx::row& r) {
  TaskRow row;
  row.installation_id = r[1].as<int64_t>();
  row.base_branch = r[4].as<std::string>();
  auto task = task_from_json(r[5].as<std::string>());
  if (!task) return make_error("task " + r[0].as<std::string>() + ": " + task.error().message);
  row.task = std::move(*task);
  row.task.id = r[0].as<int64_t>();
  row.plan_comment_id = r[6].as<int64_t>();
  row.status_comment_id = r[7].as<int64_t>();
  row.applied_label = r[8].as<std::string>();
  row.outbox = r[9].as<std::string>();
  row.worktree_host = r[10].as<std::string>();
  row.check_run_id = r[11].as<int64_t>();
  row.check_run_head = r[12].as<std::string>();
  row.check_run_said = r[13].as<std::string>();
  return row;
}

// Each statement is prepared under its name on first use on a connection
// (the server parses and plans it once per connection), then executed.
template <class... Args>
pqxx::result run(pqxx::transaction_base& tx, const char* name, const std::string& sql,
                 Args&&... args) {
  tx.conn().prepare(name, sql);  // kept as is when the connection knows it already
  return tx.exec_prepared(name, std::forward<Args>(args)...);
}

Result<std::optional<TaskRow>> first_row(const pqxx::result& r) {
  if (r.empty()) return std::optional<TaskRow>{};
  auto row = row_from(r[0]);
  if (!row) return row.error();
  return std::optional<TaskRow>(std::move(*row));
}

}  // namespace

std::string task_key(const std::string& repo, int64_t issue) {
  return repo + "#" + std::to_string(issue);
}

github::Repo repo_of(int64_t installation_id, const std::string& full_name) {
  github::Repo r;
  r.installation_id = installation_id;
  auto slash = full_name.find('/');
  r.owner = full_name.substr(0, slash);
  r.name = slash == std::string::npos ? "" : full_name.substr(slash + 1);
  return r;
}

std::string task_dir(const workflow::Task& t) {
  std::string dir = t.repo;
  std::replace(dir.begin(), dir.end(), '/', '-');
  return dir + "-" + std::to_string(t.issue);
}

namespace task_store {

Result<std::optional<TaskRow>> lock(pqxx::transaction_base& tx, const std::string& repo,
                                    int64_t issue) {
  static const std::string sql = std::string("SELECT ") + kTaskColumns +
                                 " FROM tasks WHERE repo = $1 AND issue = $2 FOR UPDATE";
  return first_row(run(tx, "task_lock_by_issue", sql, repo, issue));
}

Result<std::optional<TaskRow>> select(pqxx::transaction_base& tx, int64_t id, bool for_update) {
  static const std::string sql =
      std::string("SELECT ") + kTaskColumns + " FROM tasks WHERE id = $1";
  static const std::string sql_for_update = sql + " FOR UPDATE";
  return for_update ? first_row(run(tx, "task_lock_by_id", sql_for_update, id))
                    : first_row(run(tx, "task_by_id", sql, id));
}

Result<std::optional<TaskRow>> load(Database& db, int64_t id) {
  auto loaded = on_own_connection(db, "loading task", [&](pqxx::nontransaction& tx) {
    return select(tx, id, /*for_update=*/false);
  });
  if (!loaded) return loaded.error();
  return std::move(*loaded);
}

int64_t insert(pqxx::transaction_base& tx, const TaskRow& row) {
  return run(tx, "task_insert",
             "INSERT INTO tasks (installation_id, repo, issue, base_branch, phase, state)"
             " VALUES ($1, $2, $3, $4, 'idle', $5::jsonb) RETURNING id",
             row.installation_id, row.task.repo, row.task.issue, row.base_branch,
             task_to_json(row.task))[0][0]
      .as<int64_t>();
}

bool record_applied(pqxx::transaction_base& tx, const std::string& key, int64_t task_id) {
  return run(tx, "task_applied",
             "INSERT INTO task_deliveries (delivery_id, task_id) VALUES ($1, $2) ON CONFLICT DO "
             "NOTHING",
             key, task_id)
             .affected_rows() != 0;
}

void save_decision(pqxx::transaction_base& tx, const workflow::Task& t,
                   const std::string& new_effects_json) {
  run(tx, "task_save_decision",
      "UPDATE tasks SET state = $2::jsonb, phase = $3, pr_number = NULLIF($4, 0),"
      " outbox = outbox || $5::jsonb, updated_at = now() WHERE id = $1",
      t.id, task_to_json(t), std::string(workflow::to_string(t.phase)), t.pr_number,
      new_effects_json);
}

void drop_outbox(pqxx::transaction_base& tx, int64_t task_id) {
  run(tx, "task_drop_outbox", "UPDATE tasks SET outbox = '[]' WHERE id = $1", task_id);
}

void save_outbox(pqxx::transaction_base& tx, int64_t task_id, const std::string& outbox_json) {
  run(tx, "task_save_outbox", "UPDATE tasks SET outbox = $2::jsonb WHERE id = $1", task_id,
      outbox_json);
}

void save_flushed(pqxx::transaction_base& tx, const TaskRow& row, const std::string& outbox_json) {
  run(tx, "task_save_flushed",
      "UPDATE tasks SET outbox = $2::jsonb, plan_comment_id = NULLIF($3, 0),"
      " status_comment_id = NULLIF($4, 0), applied_label = $5, check_run_id = $6,"
      " check_run_head = $7, check_run_said = $8 WHERE id = $1",
      row.task.id, outbox_json, row.plan_comment_id, row.status_comment_id, row.applied_label,
      row.check_run_id, row.check_run_head, row.check_run_said);
}

void lock_flusher(pqxx::transaction_base& tx, int64_t task_id) {
  run(tx, "task_lock_flusher",
      "SELECT pg_advisory_xact_lock($1::int4, ($2::bigint % 2147483647)::int4)", kFlushLockClass,
      task_id);
}

bool effects_wanted(pqxx::transaction_base& tx, int64_t task_id, const std::string& effects_key) {
  return !run(tx, "task_effects_wanted",
              "SELECT 1 FROM tasks t WHERE t.id = $1"
              " AND EXISTS (SELECT 1 FROM jsonb_array_elements(t.outbox) e WHERE e->>'kind' <> "
              "'react')"
              " AND NOT EXISTS (SELECT 1 FROM jobs WHERE task_key = $2 AND state = 'queued')",
              task_id, effects_key)
              .empty();
}

Result<void> note_posting(Database& db, int64_t task_id, MarkedComment which) {
  return on_own_connection(db, "recording a comment being posted", [&](pqxx::nontransaction& tx) {
    if (which == MarkedComment::plan)
      run(tx, "task_posting_plan", "UPDATE tasks SET plan_comment_id = -1 WHERE id = $1", task_id);
    else
      run(tx, "task_posting_status", "UPDATE tasks SET status_comment_id = -1 WHERE id = $1",
          task_id);
  });
}

Result<void> note_check_run_posting(Database& db, int64_t task_id, const std::string& head) {
  return on_own_connection(db, "recording a check run being made", [&](pqxx::nontransaction& tx) {
    run(tx, "task_posting_check_run",
        "UPDATE tasks SET check_run_id = -1, check_run_head = $2 WHERE id = $1", task_id, head);
  });
}

Result<void> note_labels(Database& db, int64_t task_id, const std::string& labels) {
  return on_own_connection(db, "recording the labels being set", [&](pqxx::nontransaction& tx) {
    run(tx, "task_note_labels", "UPDATE tasks SET applied_label = $2 WHERE id = $1", task_id,
        labels);
  });
}

Result<void> hold_worktree(Database& db, int64_t task_id, const std::string& host) {
  return on_own_connection(db, "recording the worktree's host", [&](pqxx::nontransaction& tx) {
    run(tx, "task_hold_worktree", "UPDATE tasks SET worktree_host = $2 WHERE id = $1", task_id,
        host);
  });
}

std::optional<int64_t> issue_of_pull(pqxx::transaction_base& tx, const std::string& repo,
                                     int64_t number) {
  auto r = run(tx, "task_issue_of_pull",
               "SELECT issue FROM tasks WHERE repo = $1 AND pr_number = $2", repo, number);
  if (r.empty()) return std::nullopt;
  return r[0][0].as<int64_t>();
}

bool awaits_answers(pqxx::transaction_base& tx, const std::string& repo, int64_t issue) {
  return !run(tx, "task_awaits_answers",
              "SELECT 1 FROM tasks WHERE repo = $1 AND issue = $2 AND phase = 'awaiting_answers'",
              repo, issue)
              .empty();
}

std::vector<std::pair<int64_t, std::string>> live_tasks(pqxx::transaction_base& tx,
                                                        int64_t installation) {
  std::vector<std::pair<int64_t, std::string>> out;
  auto r = run(tx, "task_live_of_installation",
               "SELECT id, repo FROM tasks WHERE installation_id = $1"
               " AND phase NOT IN ('idle', 'cancelled', 'done') ORDER BY id",
               installation);
  for (const auto& row : r) out.emplace_back(row[0].as<int64_t>(), row[1].as<std::string>());
  return out;
}

std::vector<int64_t> open_pull_tasks(pqxx::transaction_base& tx, const std::string& repo) {
  std::vector<int64_t> out;
  auto r = run(tx, "task_open_pulls_of_repo",
               "SELECT id FROM tasks WHERE repo = $1 AND phase IN ('pr_open', 'fixing', 'blocked')"
               " AND pr_number IS NOT NULL ORDER BY id",
               repo);
  for (const auto& row : r) out.push_back(row[0].as<int64_t>());
  return out;
}

std::vector<std::pair<int64_t, std::string>> lost_tasks(pqxx::transaction_base& tx) {
  std::vector<std::pair<int64_t, std::string>> lost;
  // A task waits for its /agent job; when the newest such job is dead
  // and none is queued or running, nothing will ever move the task.
  auto r = run(tx, "task_lost",
               "SELECT t.id, d.attempts, d.last_error FROM tasks t"
               " JOIN LATERAL (SELECT id, state, attempts, last_error FROM jobs j"
               "   WHERE j.task_key = t.repo || '#' || t.issue || '/agent'"
               "   ORDER BY j.id DESC LIMIT 1) d ON d.state = 'dead'"
               " WHERE t.phase IN ('planning', 'implementing', 'reviewing', 'opening_pr')");
  for (const auto& row : r)
    lost.emplace_back(row[0].as<int64_t>(),
                      "its job failed " + row[1].as<std::string>() +
                          " times; the last error: " + row[2].as<std::string>());
  return lost;
}

bool is_suspended(pqxx::transaction_base& tx, int64_t installation) {
  return !run(tx, "installation_suspended",
              "SELECT 1 FROM suspended_installations WHERE installation_id = $1", installation)
              .empty();
}

void set_suspended(pqxx::transaction_base& tx, int64_t installation, bool suspended) {
  if (suspended)
    run(tx, "installation_suspend",
        "INSERT INTO suspended_installations (installation_id) VALUES ($1) ON CONFLICT DO NOTHING",
        installation);
  else
    run(tx, "installation_unsuspend",
        "DELETE FROM suspended_installations WHERE installation_id = $1", installation);
}

}  // namespace task_store
}  // namespace bottega
