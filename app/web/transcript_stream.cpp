// collect(): the stream's items from the database (transcript_view.h).
#include "app/web/transcript_view.h"

namespace bottega::web {

Result<std::vector<StreamItem>> collect(Database& db, int64_t task_id, Cursor after, int limit) {
  auto runs = task_runs(db, task_id);
  if (!runs) return runs.error();
  std::vector<StreamItem> items;
  for (const auto& run : *runs) {
    if (static_cast<int>(items.size()) >= limit) break;
    if (run.id < after.run) continue;
    Cursor start{run.id, Cursor::kStart};
    if (after < start) items.push_back({start, true, run_row(run)});
    const int32_t from = after.run == run.id ? after.seq : Cursor::kStart;
    if (from == Cursor::kEnd) continue;
    const int room = limit - static_cast<int>(items.size());
    auto events = run_events(db, run.id, from, room + 1);
    if (!events) return events.error();
    bool all = static_cast<int>(events->size()) <= room;
    if (!all) events->resize(room);
    for (const auto& ev : *events)
      items.push_back({Cursor{run.id, ev.seq}, false, event_html(ev.kind, ev.json)});
    // The end only once every event is out: the writer flushes before the
    // run is finished, so an ended run has all its events stored.
    if (all && run.ended_at && static_cast<int>(items.size()) < limit)
      items.push_back({Cursor{run.id, Cursor::kEnd}, true, run_row(run)});
    if (!all) break;
  }
  return items;
}

}  // namespace bottega::web
