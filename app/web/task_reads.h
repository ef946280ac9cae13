// What the web pages read from the database: the tasks, one task's state,
// its agent runs and their transcript events. Read-only, each call on a
// pooled connection of its own (a plain read, no transaction).
// Thread-safety: free functions; the Database is safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/base/result.h"
#include "engine/db/database.h"
#include "engine/workflow/workflow.h"

namespace bottega::web {

struct TaskSummary {
  int64_t id = 0;
  int64_t installation_id = 0;
  std::string repo;
  int64_t issue = 0;
  std::string title;
  std::string phase;
  int64_t pr_number = 0;
  std::string pr_url;
  int64_t updated_at = 0;  // unix seconds
};

struct TaskDetail {
  int64_t installation_id = 0;
  workflow::Task task;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

struct RunView {
  int64_t id = 0;
  std::string role, harness, model, effort, status, message, verdict;
  std::optional<int> exit_code;
  int64_t input_tokens = 0, cached_input_tokens = 0, output_tokens = 0;
  std::optional<double> cost_usd;
  double started_at = 0;           // unix seconds
  std::optional<double> ended_at;  // nullopt: still running
};

struct EventRow {
  int32_t seq = 0;
  std::string kind;
  std::string json;
};

// Every task, newest first (at most `limit`).
[[nodiscard]] Result<std::vector<TaskSummary>> list_tasks(Database& db, int limit = 500);
// The task, or nullopt when there is none.
[[nodiscard]] Result<std::optional<TaskDetail>> load_task(Database& db, int64_t id);
// The task's runs, oldest first; the verdict is the last `bottega signal`
// the run's agent gave ("" when none).
[[nodiscard]] Result<std::vector<RunView>> task_runs(Database& db, int64_t task_id);
// Events of a run with seq > after, in order, at most `limit`.
[[nodiscard]] Result<std::vector<EventRow>> run_events(Database& db, int64_t run_id, int32_t after,
                                                       int limit);

}  // namespace bottega::web
