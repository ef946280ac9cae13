// The transcript store: agent runs (one row per turn: harness, model,
// effort, session id, status, exit code, tokens, cost, start and end) and
// every unified event of each run (run id, sequence, kind, JSON), in
// PostgreSQL (sql/0003_agent_runs.sql).
//
// TranscriptStore is the narrow, synchronous interface; TranscriptWriter
// is the EventSink a run streams into: it batches events and writes them
// from its own thread at most `flush_interval` after they arrive.
// Thread-safety: TranscriptStore is safe from any thread (it borrows pooled
// connections). A TranscriptWriter takes events from one thread at a time.
// Ownership: both borrow the Database and the Clock, which must outlive them.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "config/base/clock.h"
#include "config/base/result.h"
#include "engine/agents/harness.h"
#include "engine/agents/runner.h"

namespace bottega {
class Database;
}

namespace bottega::agents {

struct RunStart {
  std::optional<int64_t> task_id;
  std::string role;
  std::string harness;
  std::string model;
  std::string effort;
};

struct StoredEvent {
  int32_t seq = 0;
  EventKind kind = EventKind::system;
  std::string json;  // to_json(event)
};

struct RunRow {
  int64_t id = 0;
  std::string harness, model, effort, session_id, status, message, stderr_tail;
  std::optional<int> exit_code;
  Usage usage;
  bool ended = false;
};

class TranscriptStore {
 public:
  TranscriptStore(Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  // Inserts a run in status `running`, started now; returns its id.
  [[nodiscard]] Result<int64_t> begin_run(const RunStart& run);
  // Records the end: status, message, exit code, session id, usage, cost, ended now.
  [[nodiscard]] Result<void> finish_run(int64_t run_id, const Outcome& outcome);
  // Appends events in one COPY; a sequence already stored fails the batch.
  [[nodiscard]] Result<void> append(int64_t run_id, const std::vector<StoredEvent>& events);

  [[nodiscard]] Result<RunRow> run(int64_t run_id);
  [[nodiscard]] Result<std::vector<StoredEvent>> events(int64_t run_id);
  // The last session id and Codex thread total for resuming `session_id`:
  // the thread usage is the sum of the stored per-turn deltas.
  [[nodiscard]] Result<Usage> session_usage(const std::string& harness,
                                            const std::string& session_id);

 private:
  Database& db_;
  const Clock& clock_;
};

struct TranscriptWriterOptions {
  std::chrono::milliseconds flush_interval{100};
  std::size_t max_batch = 5000;  // events per COPY
  // on_event blocks while this many events, or bytes of JSON, wait
  // (backpressure from a slow database instead of unbounded memory).
  std::size_t max_pending = 100000;
  std::size_t max_pending_bytes = 64 * 1024 * 1024;
};

class TranscriptWriter final : public EventSink {
 public:
  TranscriptWriter(TranscriptStore& store, int64_t run_id, TranscriptWriterOptions options = {});
  ~TranscriptWriter() override;  // close()s if needed
  TranscriptWriter(const TranscriptWriter&) = delete;
  TranscriptWriter& operator=(const TranscriptWriter&) = delete;

  void on_event(const Event& event) override;

  // Writes everything still pending and stops the writer thread. Returns the
  // first write error (events of a failed batch are retried once, then dropped).
  [[nodiscard]] Result<void> close();

  std::size_t written() const;

 private:
  void loop();

  TranscriptStore& store_;
  int64_t run_id_;
  TranscriptWriterOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_, space_;
  std::vector<StoredEvent> pending_;
  std::size_t pending_bytes_ = 0;
  int32_t next_seq_ = 0;
  std::size_t written_ = 0;
  bool closing_ = false;
  std::optional<Error> error_;
  std::thread thread_;
};

}  // namespace bottega::agents
