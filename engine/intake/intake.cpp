#include "engine/intake/intake.h"

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

std::string placeholders(std::size_t row, std::size_t width, std::size_t first_extra,
                         const char* extra_cast) {
  std::string out = "(";
  for (std::size_t c = 0; c < width; ++c)
    out += (c ? ",$" : "$") + std::to_string(row * width + c + 1);
  if (extra_cast) out += ",$" + std::to_string(first_extra + row + 1) + extra_cast;
  return out + ")";
}

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
    constexpr std::size_t kCols = 8;
    std::string sql =
        "INSERT INTO deliveries (delivery_id, event, action, installation_id, repository, sender,"
        " outcome, reason, body) VALUES ";
    std::vector<std::string> text;
    std::vector<pqxx::binarystring> bodies;
    std::vector<const Pending*> rows;
    for (const auto& p : batch)
      if (!p.repeat_in_batch) rows.push_back(&p);
    text.reserve(rows.size() * kCols);
    bodies.reserve(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const auto& p = *rows[i];
      sql += (i ? "," : "") + placeholders(i, kCols, rows.size() * kCols, "::bytea");
      text.insert(text.end(), {p.delivery_id, p.event, p.summary.action,
                               std::to_string(p.summary.installation_id), p.summary.repository,
                               p.summary.sender, to_string(p.outcome), p.reason});
      bodies.emplace_back(p.body);
    }
    sql += " ON CONFLICT (delivery_id) DO NOTHING RETURNING delivery_id";

    pqxx::work tx(conn);
    auto inserted = tx.exec_params(sql, pqxx::prepare::make_dynamic_params(text),
                                   pqxx::prepare::make_dynamic_params(bodies));
    std::unordered_set<std::string> fresh;
    for (const auto& row : inserted) fresh.insert(row[0].as<std::string>());

    constexpr std::size_t kJobCols = 5;
    std::string jobs_sql =
        "INSERT INTO jobs (kind, task_key, installation_id, payload, delivery_id) VALUES ";
    std::vector<const char*> job_params;
    std::vector<std::string> owned;
    std::size_t n = 0;
    for (const auto* row : rows) {
      const auto& p = *row;
      if (!fresh.count(p.delivery_id)) continue;
      for (const auto& j : p.jobs) {
        owned.push_back(std::to_string(j.installation_id));
        jobs_sql += (n ? "," : "") + placeholders(n, kJobCols, 0, nullptr);
        ++n;
      }
    }
    if (n > 0) {
      std::size_t k = 0;
      for (const auto* row : rows) {
        const auto& p = *row;
        if (!fresh.count(p.delivery_id)) continue;
        for (const auto& j : p.jobs) {
          job_params.insert(job_params.end(),
                            {j.kind.c_str(), j.task_key ? j.task_key->c_str() : nullptr,
                             owned[k++].c_str(), j.payload.c_str(), j.delivery_id.c_str()});
        }
      }
      tx.exec_params(jobs_sql, pqxx::prepare::make_dynamic_params(job_params));
      tx.exec_params("SELECT pg_notify($1, '')", kJobsChannel);
    }
    tx.commit();
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
        if (!conn || !conn->is_open()) conn = std::make_unique<pqxx::connection>(connection_string);
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
