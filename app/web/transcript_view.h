// The task page's live parts as HTML fragments: a run's row in the run
// table, one transcript event, and the stream of both in order.
//
// The stream's order is a cursor (run id, seq): a run's start is (run, -1),
// its events (run, 0..n), its end (run, kEnd) once the run has ended and
// every event of it is out. An SSE client resumes after the cursor it saw
// last (Last-Event-ID "run:seq"), so a reconnection neither skips nor
// repeats anything.
// Thread-safety: pure functions, but for collect() (reads the database).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/web/task_reads.h"
#include "config/base/result.h"

namespace bottega::web {

struct Cursor {
  int64_t run = 0;
  int32_t seq = 0;
  static constexpr int32_t kStart = -1;
  static constexpr int32_t kEnd = 2147483647;
  std::string str() const { return std::to_string(run) + ":" + std::to_string(seq); }
  auto operator<=>(const Cursor&) const = default;
};
// "12:5" → {12, 5}; nullopt for anything else.
std::optional<Cursor> parse_cursor(std::string_view text);

struct StreamItem {
  Cursor id;
  bool is_run = false;  // a run row (start or end) rather than an event
  std::string html;
};

// The run's row of the run table (<tr id="run-N">…</tr>).
std::string run_row(const RunView& run);
// The header of the run table.
std::string run_table_head();
// One stored event (its JSON) as an escaped, redacted fragment; long tool
// output and thinking are folded (<details>).
std::string event_html(std::string_view kind, std::string_view json);

// Everything after `after`, in stream order, at most `limit` items (a run
// row counts as one).
[[nodiscard]] Result<std::vector<StreamItem>> collect(Database& db, int64_t task_id, Cursor after,
                                                      int limit);

// The items as text/event-stream: "id: …\nevent: run|event\ndata: …\n\n"
// (each line of the fragment on its own data: line).
std::string sse(const std::vector<StreamItem>& items);

}  // namespace bottega::web
