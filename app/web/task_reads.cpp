#include "app/web/task_reads.h"

#include <pqxx/pqxx>

#include "engine/worker/task_codec.h"

namespace bottega::web {
namespace {

template <class F>
auto read(Database& db, const char* what, F f)
    -> Result<decltype(f(std::declval<pqxx::nontransaction&>()))> {
  try {
    auto conn = db.acquire();
    if (!conn) return conn.error();
    pqxx::nontransaction tx(**conn);
    return f(tx);
  } catch (const std::exception& e) {
    return make_error(std::string(what) + ": " + e.what());
  }
}

}  // namespace

Result<std::vector<TaskSummary>> list_tasks(Database& db, int limit) {
  return read(db, "cannot list the tasks", [&](pqxx::nontransaction& tx) {
    std::vector<TaskSummary> out;
    for (const auto& row : tx.exec_params(
             "SELECT id, installation_id, repo, issue, coalesce(state->>'title', ''), phase, "
             "coalesce(pr_number, 0), coalesce(state->>'pr_url', ''), "
             "extract(epoch from updated_at)::bigint FROM tasks "
             "WHERE phase <> 'idle' ORDER BY created_at DESC, id DESC LIMIT $1",
             limit)) {
      TaskSummary t;
      t.id = row[0].as<int64_t>();
      t.installation_id = row[1].as<int64_t>();
      t.repo = row[2].as<std::string>();
      t.issue = row[3].as<int64_t>();
      t.title = row[4].as<std::string>();
      t.phase = row[5].as<std::string>();
      t.pr_number = row[6].as<int64_t>();
      t.pr_url = row[7].as<std::string>();
      t.updated_at = row[8].as<int64_t>();
      out.push_back(std::move(t));
    }
    return out;
  });
}

Result<std::optional<TaskDetail>> load_task(Database& db, int64_t id) {
  auto row = read(db, "cannot read the task", [&](pqxx::nontransaction& tx) {
    return tx.exec_params(
        "SELECT installation_id, state::text, extract(epoch from created_at)::bigint, "
        "extract(epoch from updated_at)::bigint FROM tasks WHERE id = $1",
        id);
  });
  if (!row) return row.error();
  if (row->empty()) return std::optional<TaskDetail>();
  const auto r = (*row)[0];
  auto task = task_from_json(r[1].as<std::string>());
  if (!task) return make_error("task " + std::to_string(id) + ": " + task.error().message);
  TaskDetail d;
  d.installation_id = r[0].as<int64_t>();
  d.task = std::move(*task);
  d.task.id = id;
  d.created_at = r[2].as<int64_t>();
  d.updated_at = r[3].as<int64_t>();
  return std::optional<TaskDetail>(std::move(d));
}

Result<std::vector<RunView>> task_runs(Database& db, int64_t task_id) {
  return read(db, "cannot read the task's runs", [&](pqxx::nontransaction& tx) {
    std::vector<RunView> out;
    for (const auto& row : tx.exec_params(
             "SELECT r.id, r.role, r.harness, r.model, r.effort, r.status, r.message, r.exit_code, "
             "r.input_tokens, r.cached_input_tokens, r.output_tokens, r.cost_usd::float8, "
             "extract(epoch from r.started_at)::float8, extract(epoch from r.ended_at)::float8, "
             "(SELECT substring(e.data->>'input' from 'bottega signal ([a-z-]+)') "
             "   FROM agent_events e WHERE e.run_id = r.id AND e.kind = 'tool_use' "
             "   AND e.data->>'input' LIKE '%bottega signal %' ORDER BY e.seq DESC LIMIT 1) "
             "FROM agent_runs r WHERE r.task_id = $1 ORDER BY r.id",
             task_id)) {
      RunView v;
      v.id = row[0].as<int64_t>();
      v.role = row[1].as<std::string>();
      v.harness = row[2].as<std::string>();
      v.model = row[3].as<std::string>();
      v.effort = row[4].as<std::string>();
      v.status = row[5].as<std::string>();
      v.message = row[6].as<std::string>();
      if (!row[7].is_null()) v.exit_code = row[7].as<int>();
      v.input_tokens = row[8].as<int64_t>();
      v.cached_input_tokens = row[9].as<int64_t>();
      v.output_tokens = row[10].as<int64_t>();
      if (!row[11].is_null()) v.cost_usd = row[11].as<double>();
      v.started_at = row[12].as<double>();
      if (!row[13].is_null()) v.ended_at = row[13].as<double>();
      if (!row[14].is_null()) v.verdict = row[14].as<std::string>();
      out.push_back(std::move(v));
    }
    return out;
  });
}

Result<std::vector<EventRow>> run_events(Database& db, int64_t run_id, int32_t after, int limit) {
  return read(db, "cannot read the transcript", [&](pqxx::nontransaction& tx) {
    std::vector<EventRow> out;
    for (const auto& row :
         tx.exec_params("SELECT seq, kind, data::text FROM agent_events WHERE run_id = $1 AND "
                        "seq > $2 ORDER BY seq LIMIT $3",
                        run_id, after, limit)) {
      out.push_back({row[0].as<int32_t>(), row[1].as<std::string>(), row[2].as<std::string>()});
    }
    return out;
  });
}

}  // namespace bottega::web
