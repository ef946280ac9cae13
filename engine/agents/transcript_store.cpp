#include "engine/agents/transcript_store.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <pqxx/pqxx>
#include <pqxx/stream_to>

#include "config/base/log.h"
#include "config/base/metrics.h"
#include "config/base/redactor.h"
#include "engine/db/database.h"

namespace bottega::agents {
namespace {

std::string timestamp(Clock::time_point t) {
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(micros / 1000000);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d.%06lld+00", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(micros % 1000000));
  return buf;
}

std::optional<EventKind> kind_from(std::string_view s) {
  for (auto k : {EventKind::user, EventKind::assistant, EventKind::thinking, EventKind::tool_use,
                 EventKind::tool_result, EventKind::system, EventKind::result, EventKind::error})
    if (to_string(k) == s) return k;
  return std::nullopt;
}

// What an agent printed may hold a secret it got hold of (the model key, a
// planted value): each text field is redacted before it is stored. Field by
// field, so the stored JSON stays valid whatever the secret's characters.
// Returns the event to serialize: `event` itself when it holds no secret
// (the common case: one scan per field, no copy), else `scratch`.
const Event& redacted(const Event& event, Event& scratch) {
  auto dirty = [](const std::string& s) { return !s.empty() && find_secret(s).has_value(); };
  if (!dirty(event.text) && !dirty(event.input) && !dirty(event.subtype) && !dirty(event.tool) &&
      !dirty(event.tool_id))
    return event;
  scratch = event;
  for (std::string* field :
       {&scratch.text, &scratch.input, &scratch.subtype, &scratch.tool, &scratch.tool_id})
    redact_in_place(*field);
  return scratch;
}

// PostgreSQL refuses a whole COPY for one field of invalid UTF-8 or one NUL
// (as a byte in text, or as \u0000 in jsonb): the event to store is made
// clean first (`event` itself when it is, the common case).
const Event& cleaned(const Event& event, Event& scratch) {
  if (is_clean_text(event.text) && is_clean_text(event.input) && is_clean_text(event.subtype) &&
      is_clean_text(event.tool) && is_clean_text(event.tool_id))
    return event;
  scratch = event;
  clean_event(scratch);
  return scratch;
}

// JSON built elsewhere, made storable: invalid UTF-8 and NUL become U+FFFD,
// and so does the escape \u0000 (jsonb refuses it).
std::string storable_json(std::string_view json) {
  std::string out = is_clean_text(json) ? std::string(json) : clean_text(json);
  for (std::size_t i = 0; (i = out.find('\\', i)) != std::string::npos; i += 2)
    if (out.compare(i + 1, 5, "u0000") == 0) out.replace(i, 6, "\\ufffd");
  return out;
}

// Stores a batch the database refused in halves, recursively: one row
// PostgreSQL refuses costs only itself. When the database itself is the
// problem every part fails: after as many failures in a row as finding one
// bad row can take, it gives up instead of trying each row.
class Bisection {
 public:
  using It = std::vector<StoredEvent>::const_iterator;
  Bisection(TranscriptStore& store, int64_t run_id, std::size_t n)
      : store_(store), run_id_(run_id), max_failures_(2 * std::bit_width(n) + 4) {}

  // The rows of [begin, end) stored.
  std::size_t append(It begin, It end) {
    if (begin == end || failures_ >= max_failures_) return 0;
    std::vector<StoredEvent> part(begin, end);
    auto r = store_.append(run_id_, part);
    if (r) {
      failures_ = 0;
      return part.size();
    }
    ++failures_;
    if (part.size() == 1) {
      component_log("agents").error("dropping transcript event {} of run {}: {}", part[0].seq,
                                    run_id_, r.error().message);
      if (!error) error = r.error();
      return 0;
    }
    auto middle = begin + (end - begin) / 2;
    return append(begin, middle) + append(middle, end);
  }

  std::optional<Error> error;  // the first row refused

 private:
  TranscriptStore& store_;
  int64_t run_id_;
  std::size_t failures_ = 0;
  std::size_t max_failures_;
};

template <class F>
auto guarded(const char* what, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    return make_error(std::string("transcript store: ") + what + ": " + e.what());
  }
}

}  // namespace

Result<int64_t> TranscriptStore::begin_run(const RunStart& run) {
  return guarded("cannot record the start of a run", [&]() -> Result<int64_t> {
    auto lease = db_.acquire();
    if (!lease) return lease.error();
    pqxx::work tx(**lease);
    auto r = tx.exec_params(
        "INSERT INTO agent_runs (task_id, role, harness, model, effort, started_at) "
        "VALUES (NULLIF($1, '')::bigint, $2, $3, $4, $5, $6::timestamptz) RETURNING id",
        run.task_id ? std::to_string(*run.task_id) : std::string(), run.role, run.harness,
        run.model, run.effort, timestamp(clock_.now()));
    tx.commit();
    return r[0][0].as<int64_t>();
  });
}

namespace {

// The run's metrics (spec/running.md#metrics). Models come from the
// configuration, a bounded set; "" for a run without a role (`bottega agent`).
void count_finished_run(const std::string& role, const std::string& harness,
                        const std::string& model, const Outcome& o, double seconds) {
  const std::string r = role.empty() ? "none" : role;
  metrics::add("bottega_agent_runs_total", {r, harness, model, std::string(to_string(o.kind))});
  metrics::observe("bottega_agent_turn_duration_seconds", {r, harness}, seconds);
  const auto tokens = [&](const char* kind, int64_t n) {
    if (n > 0)
      metrics::add("bottega_agent_tokens_total", {harness, model, kind}, static_cast<double>(n));
  };
  tokens("input", o.usage.input_tokens);
  tokens("cached_input", o.usage.cached_input_tokens);
  tokens("cache_write", o.usage.cache_write_tokens);
  tokens("output", o.usage.output_tokens);
  if (o.usage.cost_usd && std::isfinite(*o.usage.cost_usd) && *o.usage.cost_usd > 0)
    metrics::add("bottega_agent_cost_usd_total", {harness, model}, *o.usage.cost_usd);
}

}  // namespace

Result<void> TranscriptStore::finish_run(int64_t run_id, const Outcome& o) {
  return guarded("cannot record the end of a run", [&]() -> Result<void> {
    auto lease = db_.acquire();
    if (!lease) return lease.error();
    pqxx::work tx(**lease);
    // cost_usd is numeric(14, 6): a cost a stream made absurd is clamped, not
    // a failed update that loses the whole end of the run.
    char cost[64] = "";
    if (o.usage.cost_usd && std::isfinite(*o.usage.cost_usd))
      std::snprintf(cost, sizeof cost, "%.6f",
                    std::clamp(*o.usage.cost_usd, -99999999.0, 99999999.0));
    auto r = tx.exec_params(
        "UPDATE agent_runs SET status = $2, message = $3, exit_code = NULLIF($4, '')::integer, "
        "session_id = NULLIF($5, ''), stderr_tail = $6, input_tokens = $7, cached_input_tokens = "
        "$8, "
        "cache_write_tokens = $9, output_tokens = $10, reasoning_tokens = $11, "
        "cost_usd = NULLIF($12, '')::numeric, ended_at = $13::timestamptz WHERE id = $1 "
        "RETURNING role, harness, model, "
        "greatest(extract(epoch FROM ended_at - started_at), 0)::float8 AS seconds",
        run_id, std::string(to_string(o.kind)), redact(clean_text(o.message)),
        o.exit_code ? std::to_string(*o.exit_code) : std::string(), clean_text(o.session_id),
        redact(clean_text(o.stderr_tail)), o.usage.input_tokens, o.usage.cached_input_tokens,
        o.usage.cache_write_tokens, o.usage.output_tokens, o.usage.reasoning_tokens,
        std::string(cost), timestamp(clock_.now()));
    if (r.size() != 1) return make_error("transcript store: no run " + std::to_string(run_id));
    tx.commit();
    count_finished_run(r[0]["role"].as<std::string>(), r[0]["harness"].as<std::string>(),
                       r[0]["model"].as<std::string>(), o, r[0]["seconds"].as<double>());
    return {};
  });
}

Result<void> TranscriptStore::append(int64_t run_id, const std::vector<StoredEvent>& events) {
  if (events.empty()) return {};
  return guarded("cannot append events", [&]() -> Result<void> {
    auto lease = db_.acquire();
    if (!lease) return lease.error();
    pqxx::work tx(**lease);
    {
      pqxx::stream_to copy(tx, "agent_events",
                           std::vector<std::string>{"run_id", "seq", "kind", "data"});
      for (const auto& e : events) {
        // The writer redacted each field already; this catches JSON built
        // elsewhere (a secret's JSON-escaped form is one of its forms).
        std::string json = storable_json(e.json);
        redact_in_place(json);
        copy << std::make_tuple(run_id, e.seq, std::string(to_string(e.kind)), std::move(json));
      }
      copy.complete();
    }
    tx.commit();
    return {};
  });
}

Result<RunRow> TranscriptStore::run(int64_t run_id) {
  return guarded("cannot read a run", [&]() -> Result<RunRow> {
    auto lease = db_.acquire();
    if (!lease) return lease.error();
    pqxx::read_transaction tx(**lease);
    auto r = tx.exec_params(
        "SELECT harness, model, effort, coalesce(session_id, ''), status, message, stderr_tail, "
        "exit_code, "
        "input_tokens, cached_input_tokens, cache_write_tokens, output_tokens, reasoning_tokens, "
        "cost_usd, "
        "ended_at IS NOT NULL FROM agent_runs WHERE id = $1",
        run_id);
    if (r.empty()) return make_error("transcript store: no run " + std::to_string(run_id));
    const auto& row = r[0];
    RunRow out;
    out.id = run_id;
    out.harness = row[0].c_str();
    out.model = row[1].c_str();
    out.effort = row[2].c_str();
    out.session_id = row[3].c_str();
    out.status = row[4].c_str();
    out.message = row[5].c_str();
    out.stderr_tail = row[6].c_str();
    if (!row[7].is_null()) out.exit_code = row[7].as<int>();
    out.usage.input_tokens = row[8].as<int64_t>();
    out.usage.cached_input_tokens = row[9].as<int64_t>();
    out.usage.cache_write_tokens = row[10].as<int64_t>();
    out.usage.output_tokens = row[11].as<int64_t>();
    out.usage.reasoning_tokens = row[12].as<int64_t>();
    if (!row[13].is_null()) out.usage.cost_usd = row[13].as<double>();
    out.ended = row[14].as<bool>();
    return out;
  });
}

Result<std::vector<StoredEvent>> TranscriptStore::events(int64_t run_id) {
  return guarded("cannot read events", [&]() -> Result<std::vector<StoredEvent>> {
    auto lease = db_.acquire();
    if (!lease) return lease.error();
    pqxx::read_transaction tx(**lease);
    auto r = tx.exec_params(
        "SELECT seq, kind, data::text FROM agent_events WHERE run_id = $1 ORDER BY seq", run_id);
    std::vector<StoredEvent> out;
    out.reserve(r.size());
    for (const auto& row : r)
      out.push_back({row[0].as<int32_t>(), kind_from(row[1].c_str()).value_or(EventKind::system),
                     row[2].c_str()});
    return out;
  });
}

Result<Usage> TranscriptStore::session_usage(const std::string& harness,
                                             const std::string& session_id) {
  return guarded("cannot read a session's usage", [&]() -> Result<Usage> {
    auto lease = db_.acquire();
    if (!lease) return lease.error();
    pqxx::read_transaction tx(**lease);
    auto r = tx.exec_params(
        "SELECT coalesce(sum(input_tokens), 0), coalesce(sum(cached_input_tokens), 0), "
        "coalesce(sum(cache_write_tokens), 0), coalesce(sum(output_tokens), 0), "
        "coalesce(sum(reasoning_tokens), 0) FROM agent_runs WHERE harness = $1 AND session_id = $2 "
        "AND ended_at IS NOT NULL",
        harness, session_id);
    Usage u;
    u.input_tokens = r[0][0].as<int64_t>();
    u.cached_input_tokens = r[0][1].as<int64_t>();
    u.cache_write_tokens = r[0][2].as<int64_t>();
    u.output_tokens = r[0][3].as<int64_t>();
    u.reasoning_tokens = r[0][4].as<int64_t>();
    return u;
  });
}

TranscriptWriter::TranscriptWriter(TranscriptStore& store, int64_t run_id,
                                   TranscriptWriterOptions options)
    : store_(store), run_id_(run_id), options_(options) {
  thread_ = std::thread([this] { loop(); });
}

TranscriptWriter::~TranscriptWriter() {
  // A failure was logged by the loop when it dropped events; its owner
  // reads it from close().
  if (thread_.joinable()) (void)close();
}

void TranscriptWriter::on_event(const Event& event) {
  StoredEvent stored;
  stored.kind = event.kind;
  Event clean, scratch;
  append_json(redacted(cleaned(event, clean), scratch), stored.json);  // outside the lock
  std::unique_lock lock(mutex_);
  space_.wait(lock, [&] {
    return (pending_.size() < options_.max_pending &&
            (pending_bytes_ < options_.max_pending_bytes || pending_.empty())) ||
           closing_;
  });
  stored.seq = next_seq_++;
  pending_bytes_ += stored.json.size();
  pending_.push_back(std::move(stored));
  if (pending_.size() >= options_.max_batch) wake_.notify_one();
}

void TranscriptWriter::loop() {
  std::vector<StoredEvent> batch;
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait_for(lock, options_.flush_interval,
                   [&] { return closing_ || pending_.size() >= options_.max_batch; });
    if (pending_.empty()) {
      if (closing_) return;
      continue;
    }
    std::size_t n = std::min(pending_.size(), options_.max_batch);
    batch.assign(std::make_move_iterator(pending_.begin()),
                 std::make_move_iterator(pending_.begin() + n));
    pending_.erase(pending_.begin(), pending_.begin() + n);
    for (const auto& e : batch) pending_bytes_ -= e.json.size();
    space_.notify_all();
    lock.unlock();
    auto r = store_.append(run_id_, batch);
    if (!r) r = store_.append(run_id_, batch);  // one retry: a dropped pooled connection
    std::size_t stored = batch.size();
    std::optional<Error> failure;
    if (!r) {
      // A row the database refuses fails the whole COPY: store the others.
      Bisection bisection(store_, run_id_, batch.size());
      stored = batch.size() > 1 ? bisection.append(batch.cbegin(), batch.cend()) : 0;
      failure = bisection.error ? bisection.error : r.error();
      if (stored < batch.size())
        component_log("agents").error("dropping {} of {} transcript events of run {}: {}",
                                      batch.size() - stored, batch.size(), run_id_,
                                      failure->message);
    }
    lock.lock();
    written_ += stored;
    if (failure && !error_) error_ = std::move(failure);
  }
}

Result<void> TranscriptWriter::close() {
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
  }
  wake_.notify_all();
  space_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mutex_);
  if (error_) return *error_;
  return {};
}

std::size_t TranscriptWriter::written() const {
  std::lock_guard lock(mutex_);
  return written_;
}

}  // namespace bottega::agents
