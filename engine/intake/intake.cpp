#include "engine/intake/intake.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <pqxx/pqxx>
#include <thread>
#include <unordered_set>
#include <vector>

#include "config/base/log.h"
#include "engine/intake/routing.h"
#include "github/webhook/events.h"

namespace bottega {
namespace {

// A delivery ready to store: its row and its jobs.
struct Pending {
  std::string delivery_id;
  std::string event;
  DeliverySummary summary;
  IntakeOutcome outcome = IntakeOutcome::accepted;  // accepted, ignored or rejected
  std::string reason;
  std::string body;
  std::vector<JobSpec> jobs;
  std::function<void(IntakeResult)> done;
  bool repeat_in_batch = false;  // an earlier copy is in the same batch
};

std::string json_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out += c;
  }
  return out;
}

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
  const std::string payload = "{\"delivery_id\":\"" + json_escape(p.delivery_id) + "\",\"event\":\"" +
                              json_escape(p.event) + "\",\"action\":\"" +
                              json_escape(event->action) + "\"}";
  for (auto& job : p.jobs) {
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
      for (int shift = 24; shift >= 0; shift -= 8) data_[at++] = static_cast<char>((v >> shift) & 0xff);
    };
    set32(1);                // dimensions
    set32(has_null_ ? 1 : 0);
    set32(oid_);
    set32(static_cast<uint32_t>(count_));
    set32(1);                // lower bound
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
constexpr uint32_t kTextOid = 25, kInt8Oid = 20, kByteaOid = 17;

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
  SELECT * FROM unnest($10::text[], $11::text[], $12::bigint[], $13::text[], $14::text[])
         AS u(kind, task_key, installation_id, payload, delivery_id)
  WHERE u.delivery_id IN (SELECT delivery_id FROM d)
  RETURNING 1),
n AS (SELECT pg_notify('bottega_jobs', '') FROM (SELECT 1 FROM j LIMIT 1) AS any_job)
SELECT delivery_id, (SELECT count(*) FROM n) FROM d
)sql";

}  // namespace

const char* to_string(IntakeOutcome outcome) {
  switch (outcome) {
    case IntakeOutcome::accepted: return "accepted";
    case IntakeOutcome::duplicate: return "duplicate";
    case IntakeOutcome::ignored: return "ignored";
    case IntakeOutcome::rejected: return "rejected";
    case IntakeOutcome::failed: return "failed";
  }
  return "?";
}

struct Intake::Impl {
  std::string connection_string;
  IntakeOptions options;
  std::mutex mutex;
  std::condition_variable ready;
  std::deque<Pending> queue;
  bool stopping = false;
  std::vector<std::thread> writers;

  // Writes one batch in one transaction; returns the ids that were new.
  std::unordered_set<std::string> write(pqxx::connection& conn, std::vector<Pending>& batch) {
    BinaryArray ids(kTextOid), events(kTextOid), actions(kTextOid), installations(kInt8Oid),
        repositories(kTextOid), senders(kTextOid), outcomes(kTextOid), reasons(kTextOid),
        bodies(kByteaOid);
    BinaryArray kinds(kTextOid), keys(kTextOid), job_installations(kInt8Oid), payloads(kTextOid),
        job_deliveries(kTextOid);
    for (const auto& p : batch) {
      if (p.repeat_in_batch) continue;
      ids.add(p.delivery_id);
      events.add(p.event);
      actions.add(clean(p.summary.action));
      installations.add(p.summary.installation_id);
      repositories.add(clean(p.summary.repository));
      senders.add(clean(p.summary.sender));
      outcomes.add(std::string_view(to_string(p.outcome)));
      reasons.add(clean(p.reason));
      bodies.add(p.body);
      for (const auto& j : p.jobs) {
        kinds.add(j.kind);
        if (j.task_key) keys.add(clean(*j.task_key)); else keys.add_null();
        job_installations.add(j.installation_id);
        payloads.add(clean(j.payload));
        job_deliveries.add(j.delivery_id);
      }
    }
    pqxx::nontransaction tx(conn);
    auto rows = tx.exec_prepared(kBatchStatementName, ids.finish(), events.finish(),
                                 actions.finish(), installations.finish(), repositories.finish(),
                                 senders.finish(), outcomes.finish(), reasons.finish(),
                                 bodies.finish(), kinds.finish(), keys.finish(),
                                 job_installations.finish(), payloads.finish(),
                                 job_deliveries.finish());
    std::unordered_set<std::string> fresh;
    for (const auto& row : rows) fresh.insert(row[0].as<std::string>());
    return fresh;
  }

  void writer_loop() {
    auto& log = component_log("intake");
    std::unique_ptr<pqxx::connection> conn;
    for (;;) {
      std::vector<Pending> batch;
      {
        std::unique_lock lock(mutex);
        ready.wait(lock, [&] { return stopping || !queue.empty(); });
        if (queue.empty()) return;
        std::size_t bytes = 0;
        while (!queue.empty() && batch.size() < options.max_batch &&
               (batch.empty() || bytes + queue.front().body.size() <= options.max_batch_bytes)) {
          bytes += queue.front().body.size();
          batch.push_back(std::move(queue.front()));
          queue.pop_front();
        }
      }
      std::unordered_set<std::string> ids;
      for (auto& p : batch) p.repeat_in_batch = !ids.insert(p.delivery_id).second;
      std::unordered_set<std::string> fresh;
      std::string failure;
      try {
        if (!conn || !conn->is_open()) {
          conn = std::make_unique<pqxx::connection>(connection_string);
          conn->prepare(kBatchStatementName, kBatchStatement);
        }
        fresh = write(*conn, batch);
      } catch (const std::exception& e) {
        failure = e.what();
        conn.reset();
        log.error("cannot store {} deliveries: {}", batch.size(), failure);
      }
      for (auto& p : batch) {
        IntakeResult result;
        if (!failure.empty()) {
          result = {IntakeOutcome::failed, "could not store the delivery; it was not accepted"};
        } else if (p.repeat_in_batch || !fresh.count(p.delivery_id)) {
          result = {IntakeOutcome::duplicate, "delivery " + p.delivery_id + " was already received"};
        } else {
          result = {p.outcome, p.outcome == IntakeOutcome::accepted ? "accepted" : p.reason};
        }
        log.debug("delivery {} ({}): {}", p.delivery_id, p.event, to_string(result.outcome));
        p.done(std::move(result));
      }
    }
  }
};

Intake::Intake(std::string connection_string, IntakeOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->connection_string = std::move(connection_string);
  impl_->options = options;
}

Intake::~Intake() { stop(); }

Result<void> Intake::start() {
  try {
    pqxx::connection probe(impl_->connection_string);
  } catch (const std::exception& e) {
    return make_error(std::string("intake cannot connect to PostgreSQL: ") + e.what());
  }
  for (int i = 0; i < std::max(1, impl_->options.writers); ++i)
    impl_->writers.emplace_back([this] { impl_->writer_loop(); });
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
}

void Intake::submit(IncomingDelivery&& delivery, std::function<void(IntakeResult)> done) {
  Pending p = classify(std::move(delivery));
  p.done = std::move(done);
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->stopping || impl_->writers.empty()) {
      p.done({IntakeOutcome::failed, "the server is shutting down"});
      return;
    }
    impl_->queue.push_back(std::move(p));
  }
  impl_->ready.notify_one();
}

}  // namespace bottega
