#include "engine/intake/intake.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <pqxx/pqxx>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "config/base/log.h"
#include "config/base/redactor.h"
#include "engine/intake/routing.h"
#include "github/webhook/events.h"

namespace bottega {
namespace {

using SteadyClock = std::chrono::steady_clock;

// The callback of one delivery, shared by its writer and the deadline
// thread: whichever answers first wins, the other's answer is dropped.
class Answer {
 public:
  explicit Answer(std::function<void(IntakeResult)> done) : done_(std::move(done)) {}
  // True when this call answered; false when an answer was given before.
  bool give(IntakeResult result) {
    if (given_.exchange(true)) return false;
    auto done = std::move(done_);
    done(std::move(result));
    return true;
  }
  bool given() const { return given_.load(); }

 private:
  std::atomic<bool> given_{false};
  std::function<void(IntakeResult)> done_;
};

// Counts failures and says when a line is due: at most one per interval,
// so an outage logs a few lines with counts, not one per batch.
class ThrottledCount {
 public:
  explicit ThrottledCount(std::chrono::milliseconds interval) : interval_(interval) {}
  // Adds n; returns the total to log when a line is due at `now`, else 0.
  uint64_t add(uint64_t n, SteadyClock::time_point now) {
    std::lock_guard lock(mutex_);
    count_ += n;
    if (logged_ && now - last_ < interval_) return 0;
    logged_ = true;
    last_ = now;
    return std::exchange(count_, 0);
  }
  // The count not yet logged (and resets it), for a closing line.
  uint64_t take() {
    std::lock_guard lock(mutex_);
    logged_ = false;
    return std::exchange(count_, 0);
  }

 private:
  std::mutex mutex_;
  std::chrono::milliseconds interval_;
  bool logged_ = false;
  SteadyClock::time_point last_{};
  uint64_t count_ = 0;
};

// A delivery ready to store: its row and its jobs.
struct Pending {
  std::string delivery_id;
  std::string event;
  DeliverySummary summary;
  IntakeOutcome outcome = IntakeOutcome::accepted;  // accepted, ignored or rejected
  std::string reason;
  std::string body;
  std::vector<JobSpec> jobs;
  // Jobs queued only when the issue's task awaits answers (answer_jobs_for).
  std::vector<JobSpec> answer_jobs;
  std::shared_ptr<Answer> answer;
  bool repeat_in_batch = false;  // an earlier copy is in the same batch
};

Pending classify(IncomingDelivery&& d) {
  Pending p;
  p.delivery_id = std::move(d.delivery_id);
  p.event = std::move(d.event);
  p.body = std::move(d.body);
  auto decoded = decode_delivery(p.event, p.body);
  p.summary = std::move(decoded.summary);
  if (decoded.kind != DecodedDelivery::Kind::event) {
    p.outcome = decoded.kind == DecodedDelivery::Kind::ignored ? IntakeOutcome::ignored
                                                               : IntakeOutcome::rejected;
    p.reason = std::move(decoded.reason);
    return p;
  }
  const auto& event = decoded.event;
  p.jobs = jobs_for(*event);
  p.answer_jobs = answer_jobs_for(*event);
  const std::string payload = job_payload(p.delivery_id, p.event, event->action);
  for (auto* jobs : {&p.jobs, &p.answer_jobs})
    for (auto& job : *jobs) {
      job.delivery_id = p.delivery_id;
      job.payload = payload;
    }
  return p;
}

// A one-dimensional array in PostgreSQL's binary format (array_recv), so a
// whole batch travels as a few parameters of one prepared statement.
class BinaryArray {
 public:
  explicit BinaryArray(uint32_t element_oid) : oid_(element_oid) { data_.resize(20); }

  // Empties the array, keeping its memory for the next batch.
  void clear() {
    data_.resize(20);
    count_ = 0;
    has_null_ = false;
  }

  void add(std::string_view bytes) {
    put32(static_cast<uint32_t>(bytes.size()));
    data_.append(bytes);
    ++count_;
  }
  void add_null() {
    put32(0xffffffffu);
    has_null_ = true;
    ++count_;
  }
  void add(int64_t v) {
    put32(8);
    for (int shift = 56; shift >= 0; shift -= 8) data_ += static_cast<char>((v >> shift) & 0xff);
    ++count_;
  }

  pqxx::binarystring finish() {
    std::size_t at = 0;
    auto set32 = [&](uint32_t v) {
      for (int shift = 24; shift >= 0; shift -= 8)
        data_[at++] = static_cast<char>((v >> shift) & 0xff);
    };
    set32(1);  // dimensions
    set32(has_null_ ? 1 : 0);
    set32(oid_);
    set32(static_cast<uint32_t>(count_));
    set32(1);  // lower bound
    return pqxx::binarystring(data_.data(), data_.size());
  }

 private:
  void put32(uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) data_ += static_cast<char>((v >> shift) & 0xff);
  }

  uint32_t oid_;
  std::string data_;
  std::size_t count_ = 0;
  bool has_null_ = false;
};

constexpr const char* kBatchStatementName = "intake_batch";
constexpr uint32_t kTextOid = 25, kInt8Oid = 20, kByteaOid = 17, kBoolOid = 16;

// PostgreSQL text cannot hold NUL, which a JSON string may encode (\u0000).
std::string clean(std::string_view s) {
  std::string out(s);
  out.erase(std::remove(out.begin(), out.end(), '\0'), out.end());
  return out;
}

// One statement, so one round trip and one implicit transaction per batch:
// new deliveries are inserted, a copy of a stored one is skipped by the
// primary key, the jobs of the new ones follow, and workers are notified.
constexpr const char* kBatchStatement = R"sql(
WITH d AS (
  INSERT INTO deliveries (delivery_id, event, action, installation_id, repository, sender,
                          outcome, reason, body)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[],
                       $7::text[], $8::text[], $9::bytea[])
  ON CONFLICT (delivery_id) DO NOTHING
  RETURNING delivery_id),
j AS (
  INSERT INTO jobs (kind, task_key, installation_id, payload, delivery_id)
  SELECT u.kind, u.task_key, u.installation_id, u.payload, u.delivery_id
  FROM unnest($10::text[], $11::text[], $12::bigint[], $13::text[], $14::text[], $15::bool[])
         AS u(kind, task_key, installation_id, payload, delivery_id, if_answers)
  WHERE u.delivery_id IN (SELECT delivery_id FROM d)
    AND CASE WHEN u.if_answers THEN EXISTS (
          SELECT 1 FROM tasks t
          WHERE t.repo = split_part(u.task_key, '#', 1)
            AND t.issue = split_part(u.task_key, '#', 2)::bigint
            AND t.phase = 'awaiting_answers')
        ELSE true END
  RETURNING 1),
n AS (SELECT pg_notify('bottega_jobs', '') FROM (SELECT 1 FROM j LIMIT 1) AS any_job)
SELECT delivery_id, (SELECT count(*) FROM n) FROM d
)sql";

}  // namespace

const char* to_string(IntakeOutcome outcome) {
  switch (outcome) {
    case IntakeOutcome::accepted:
      return "accepted";
    case IntakeOutcome::duplicate:
      return "duplicate";
    case IntakeOutcome::ignored:
      return "ignored";
    case IntakeOutcome::rejected:
      return "rejected";
    case IntakeOutcome::failed:
      return "failed";
  }
  return "?";
}

struct Intake::Impl {
  std::string connection_string;
  IntakeOptions options;
  std::mutex mutex;
  std::condition_variable ready;             // writers: the queue has work, or stopping
  std::condition_variable deadline_changed;  // the deadline thread: stopping
  std::deque<Pending> queue;                 // FIFO; deadlines ascend (one timeout for all)
  std::size_t queue_bytes = 0;
  std::size_t writing = 0;  // writers with a batch in hand
  // Every delivery not yet answered, in submission order (so by deadline).
  std::deque<std::pair<SteadyClock::time_point, std::weak_ptr<Answer>>> deadlines;
  bool stopping = false;
  bool deadline_stopping = false;
  std::vector<std::thread> writers;
  std::thread deadline_thread;
  std::unique_ptr<ThrottledCount> failed_deliveries, timed_out, refused_full;

  // The parameters of one batch, one set per writer: their memory is kept
  // from batch to batch (a batch's bodies fill a few hundred KB).
  struct BatchArrays {
    BinaryArray ids{kTextOid}, events{kTextOid}, actions{kTextOid}, installations{kInt8Oid},
        repositories{kTextOid}, senders{kTextOid}, outcomes{kTextOid}, reasons{kTextOid},
        bodies{kByteaOid};
    BinaryArray kinds{kTextOid}, keys{kTextOid}, job_installations{kInt8Oid}, payloads{kTextOid},
        job_deliveries{kTextOid}, if_answers{kBoolOid};

    void clear() {
      for (BinaryArray* a :
           {&ids, &events, &actions, &installations, &repositories, &senders, &outcomes, &reasons,
            &bodies, &kinds, &keys, &job_installations, &payloads, &job_deliveries, &if_answers})
        a->clear();
    }
  };

  // Writes one batch in one statement; returns the ids that were new.
  // The batch is sorted by delivery id with repeats marked, so every writer
  // takes the primary key's locks in the same order.
  std::unordered_set<std::string> write(pqxx::connection& conn, BatchArrays& a,
                                        const std::vector<Pending*>& batch) {
    a.clear();
    auto& [ids, events, actions, installations, repositories, senders, outcomes, reasons, bodies,
           kinds, keys, job_installations, payloads, job_deliveries, if_answers] = a;
    for (const Pending* p : batch) {
      if (p->repeat_in_batch) continue;
      ids.add(p->delivery_id);
      events.add(p->event);
      actions.add(clean(p->summary.action));
      installations.add(p->summary.installation_id);
      repositories.add(clean(p->summary.repository));
      senders.add(clean(p->summary.sender));
      outcomes.add(std::string_view(to_string(p->outcome)));
      reasons.add(clean(p->reason));
      bodies.add(p->body);
      for (const auto* jobs : {&p->jobs, &p->answer_jobs})
        for (const auto& j : *jobs) {
          kinds.add(j.kind);
          if (j.task_key)
            keys.add(clean(*j.task_key));
          else
            keys.add_null();
          job_installations.add(j.installation_id);
          payloads.add(clean(j.payload));
          job_deliveries.add(j.delivery_id);
          if_answers.add(std::string_view(jobs == &p->answer_jobs ? "\x01" : "\x00", 1));
        }
    }
    pqxx::nontransaction tx(conn);
    auto rows =
        tx.exec_prepared(kBatchStatementName, ids.finish(), events.finish(), actions.finish(),
                         installations.finish(), repositories.finish(), senders.finish(),
                         outcomes.finish(), reasons.finish(), bodies.finish(), kinds.finish(),
                         keys.finish(), job_installations.finish(), payloads.finish(),
                         job_deliveries.finish(), if_answers.finish());
    std::unordered_set<std::string> fresh;
    for (const auto& row : rows) fresh.insert(row[0].as<std::string>());
    return fresh;
  }

  // Stores `batch`, connecting if needed and retrying deadlocks and
  // serialization failures; on failure returns the (redacted) reason.
  Result<std::unordered_set<std::string>> store(std::unique_ptr<pqxx::connection>& conn,
                                                BatchArrays& arrays,
                                                const std::vector<Pending*>& batch) {
    for (int attempt = 1;; ++attempt) {
      try {
        if (!conn || !conn->is_open()) {
          conn = std::make_unique<pqxx::connection>(connection_string);
          conn->prepare(kBatchStatementName, kBatchStatement);
        }
        return write(*conn, arrays, batch);
      } catch (const pqxx::transaction_rollback& e) {  // 40001, 40P01 and kin
        if (attempt >= options.max_attempts) return make_error(redact(e.what()));
        // Let the other transaction finish before trying again.
        std::this_thread::sleep_for(std::chrono::milliseconds(attempt * 5));
      } catch (const std::exception& e) {
        if (conn && !conn->is_open()) conn.reset();
        return make_error(redact(e.what()));
      }
    }
  }

  // A writer may start a batch when no other writer has one, or when enough
  // deliveries wait to be worth a commit of their own
  // (IntakeOptions::min_concurrent_batch). Under the lock.
  bool batch_due() const {
    return !queue.empty() && (writing == 0 || queue.size() >= options.min_concurrent_batch);
  }

  // Waits for a batch that is due and takes it; `finished_one`: this writer
  // has just finished its previous batch.
  std::vector<Pending> take_batch(bool finished_one) {
    std::vector<Pending> batch;
    std::unique_lock lock(mutex);
    if (finished_one) --writing;
    ready.wait(lock, [&] { return stopping || batch_due(); });
    std::size_t bytes = 0;
    while (!queue.empty() && batch.size() < options.max_batch &&
           (batch.empty() || bytes + queue.front().body.size() <= options.max_batch_bytes)) {
      Pending p = std::move(queue.front());
      queue.pop_front();
      queue_bytes -= p.body.size();
      if (p.answer->given()) continue;  // answered 503 at its deadline: not written
      bytes += p.body.size();
      batch.push_back(std::move(p));
    }
    if (!batch.empty()) ++writing;
    return batch;
  }

  void writer_loop() {
    auto& log = component_log("intake");
    std::unique_ptr<pqxx::connection> conn;
    BatchArrays arrays;
    bool finished_one = false;
    for (;;) {
      std::vector<Pending> batch = take_batch(finished_one);
      finished_one = !batch.empty();
      if (batch.empty()) {
        std::lock_guard lock(mutex);
        if (stopping && queue.empty()) return;
        continue;
      }
      std::vector<Pending*> order;
      for (auto& p : batch) order.push_back(&p);
      std::stable_sort(order.begin(), order.end(), [](const Pending* a, const Pending* b) {
        return a->delivery_id < b->delivery_id;
      });
      for (std::size_t i = 1; i < order.size(); ++i)
        order[i]->repeat_in_batch = order[i]->delivery_id == order[i - 1]->delivery_id;

      // Each delivery's fate: new, not new, or the reason it failed.
      std::unordered_set<std::string> fresh;
      std::unordered_map<const Pending*, std::string> failures;
      auto stored = store(conn, arrays, order);
      if (stored) {
        fresh = std::move(*stored);
      } else if (order.size() > 1 && conn && conn->is_open()) {
        // The database is there but refused the batch: one delivery must not
        // fail the others, so each is tried alone.
        for (Pending* p : order) {
          if (p->repeat_in_batch) continue;
          auto one = store(conn, arrays, {p});
          if (one)
            fresh.merge(*one);
          else
            failures[p] = one.error().message;
        }
        for (Pending* p : order)
          if (p->repeat_in_batch) {
            auto first = std::find_if(order.begin(), order.end(), [&](const Pending* q) {
              return q->delivery_id == p->delivery_id && !q->repeat_in_batch;
            });
            if (first != order.end() && failures.count(*first)) failures[p] = failures[*first];
          }
      } else {
        for (Pending* p : order) failures[p] = stored.error().message;
      }

      if (!failures.empty()) {
        if (auto n = failed_deliveries->add(failures.size(), SteadyClock::now()))
          log.error("cannot store deliveries ({} failed since the last report): {}", n,
                    failures.begin()->second);
      } else if (auto n = failed_deliveries->take()) {
        log.info("storing deliveries again ({} more failed before)", n);
      }
      for (Pending* p : order) {
        IntakeResult result;
        if (failures.count(p)) {
          result = {IntakeOutcome::failed, "could not store the delivery; it was not accepted", 0};
        } else if (p->repeat_in_batch || !fresh.count(p->delivery_id)) {
          result = {IntakeOutcome::duplicate,
                    "delivery " + p->delivery_id + " was already received", 0};
        } else {
          result = {p->outcome, p->outcome == IntakeOutcome::accepted ? "accepted" : p->reason, 0};
        }
        log.debug("delivery {} ({}): {}", p->delivery_id, p->event, to_string(result.outcome));
        if (!p->answer->give(std::move(result)))
          log.debug("delivery {} was answered at its deadline before its batch ended",
                    p->delivery_id);
      }
    }
  }

  // Answers 503 to every delivery whose deadline passed, and drops the ones
  // still queued so a stall holds no more memory than the queue's bound.
  // It wakes at most once per tick (a twentieth of commit_timeout), and with
  // nothing to watch sleeps one commit_timeout: a delivery submitted
  // meanwhile has a later deadline, so submit() never wakes it. (Waking for
  // each deadline was a context switch per batch under load.)
  void deadline_loop() {
    auto& log = component_log("intake");
    const auto tick =
        std::max<SteadyClock::duration>(std::chrono::milliseconds(1), options.commit_timeout / 20);
    std::unique_lock lock(mutex);
    for (;;) {
      if (deadline_stopping) return;
      const auto now = SteadyClock::now();
      std::vector<std::shared_ptr<Answer>> expired;
      while (!deadlines.empty()) {
        auto& [at, weak] = deadlines.front();
        auto a = weak.lock();
        if (a && !a->given()) {
          if (at > now) break;
          expired.push_back(std::move(a));
        }
        deadlines.pop_front();
      }
      if (expired.empty()) {
        deadline_changed.wait_until(lock, deadlines.empty()
                                              ? now + options.commit_timeout
                                              : std::max(deadlines.front().first, now + tick));
        continue;
      }
      lock.unlock();
      uint64_t answered = 0;
      for (auto& a : expired)
        if (a->give({IntakeOutcome::failed,
                     "the database did not store the delivery within " +
                         std::to_string(options.commit_timeout.count()) +
                         " ms; it was not accepted",
                     5}))
          ++answered;
      if (answered)
        if (auto n = timed_out->add(answered, now))
          log.error(
              "{} deliveries not stored within {} ms were answered 503 (is the database stalled?)",
              n, options.commit_timeout.count());
      expired.clear();
      lock.lock();
      while (!queue.empty() && queue.front().answer->given()) {
        queue_bytes -= queue.front().body.size();
        queue.pop_front();
      }
    }
  }
};

Intake::Intake(std::string connection_string, IntakeOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->connection_string = std::move(connection_string);
  impl_->options = options;
  impl_->failed_deliveries = std::make_unique<ThrottledCount>(options.log_interval);
  impl_->timed_out = std::make_unique<ThrottledCount>(options.log_interval);
  impl_->refused_full = std::make_unique<ThrottledCount>(options.log_interval);
}

Intake::~Intake() { stop(); }

Result<void> Intake::start() {
  try {
    pqxx::connection probe(impl_->connection_string);
  } catch (const std::exception& e) {
    return make_error(std::string("intake cannot connect to PostgreSQL: ") + redact(e.what()));
  }
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = false;
    impl_->deadline_stopping = false;
  }
  for (int i = 0; i < std::max(1, impl_->options.writers); ++i)
    impl_->writers.emplace_back([this] { impl_->writer_loop(); });
  impl_->deadline_thread = std::thread([this] { impl_->deadline_loop(); });
  return {};
}

void Intake::stop() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->ready.notify_all();
  for (auto& t : impl_->writers) t.join();
  impl_->writers.clear();
  {
    std::lock_guard lock(impl_->mutex);
    impl_->deadline_stopping = true;
    impl_->deadlines.clear();
  }
  impl_->deadline_changed.notify_all();
  if (impl_->deadline_thread.joinable()) impl_->deadline_thread.join();
}

void Intake::submit(IncomingDelivery&& delivery, std::function<void(IntakeResult)> done) {
  Pending p = classify(std::move(delivery));
  p.answer = std::make_shared<Answer>(std::move(done));
  auto answer = p.answer;
  const auto& o = impl_->options;
  std::optional<IntakeResult> refusal;
  bool notify = false;
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->stopping || impl_->writers.empty()) {
      refusal = IntakeResult{IntakeOutcome::failed, "the server is shutting down", 0};
    } else if (impl_->queue.size() >= o.max_pending ||
               (!impl_->queue.empty() &&
                impl_->queue_bytes + p.body.size() > o.max_pending_bytes)) {
      refusal = IntakeResult{IntakeOutcome::failed,
                             "too many deliveries wait for the database; it was not accepted", 5};
    } else {
      // Taken under the lock, so no deadline is earlier than the one the
      // deadline thread's sleep ends at.
      impl_->deadlines.emplace_back(SteadyClock::now() + o.commit_timeout, p.answer);
      impl_->queue_bytes += p.body.size();
      impl_->queue.push_back(std::move(p));
      notify = impl_->batch_due();
    }
  }
  if (refusal) {
    if (refusal->retry_after_seconds > 0)
      if (auto n = impl_->refused_full->add(1, SteadyClock::now()))
        component_log("intake").error(
            "{} deliveries refused: the pending queue is full ({} deliveries or {} bytes)", n,
            o.max_pending, o.max_pending_bytes);
    answer->give(std::move(*refusal));
    return;
  }
  if (notify) impl_->ready.notify_one();
}

}  // namespace bottega
