#include "engine/queue/worker_pool.h"

#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <pqxx/pqxx>
#include <set>
#include <thread>
#include <vector>

#include "config/base/log.h"
#include "config/base/metrics.h"

namespace bottega {

namespace {

class Wakeup : public pqxx::notification_receiver {
 public:
  Wakeup(pqxx::connection_base& conn, std::function<void()> on_notify)
      : pqxx::notification_receiver(conn, kJobsChannel), on_notify_(std::move(on_notify)) {}
  void operator()(const std::string&, int) override { on_notify_(); }

 private:
  std::function<void()> on_notify_;
};

std::string default_owner() { return local_host_name() + ":" + std::to_string(::getpid()); }

}  // namespace

struct WorkerPool::Impl {
  std::string connection_string;
  WorkerPoolOptions options;
  JobQueue queue{options.limits};
  std::map<std::string, JobHandler> handlers;

  std::atomic<bool> stopping{false};
  std::mutex mutex;
  std::condition_variable wake;
  uint64_t generation = 0;  // bumped on every notification or poll tick
  std::set<int64_t> running;
  std::condition_variable idle;
  std::vector<std::thread> threads;
  std::atomic<uint64_t> claimed{0}, completed{0}, failed{0};

  Impl(std::string cs, WorkerPoolOptions o)
      : connection_string(std::move(cs)), options(std::move(o)) {}

  void bump() {
    std::lock_guard lock(mutex);
    ++generation;
    wake.notify_all();
  }

  Result<void> run_job(const Job& job) {
    auto it = handlers.find(job.kind);
    if (it == handlers.end()) return make_error("no handler for job kind '" + job.kind + "'");
    try {
      return it->second(job);
    } catch (const std::exception& e) {
      return make_error(std::string("handler threw: ") + e.what());
    }
  }

  void worker_loop(int index) {
    auto& log = component_log("worker");
    const std::string& owner = options.owner;  // leases are per pool; jobs are by id
    std::unique_ptr<pqxx::connection> conn;
    while (!stopping) {
      uint64_t seen;
      {
        std::lock_guard lock(mutex);
        seen = generation;
      }
      if (!conn || !conn->is_open()) {
        try {
          conn = std::make_unique<pqxx::connection>(connection_string);
        } catch (const std::exception& e) {
          log.error("worker {} cannot connect: {}", owner, e.what());
          std::unique_lock lock(mutex);
          wake.wait_for(lock, options.safety_poll, [&] { return stopping.load(); });
          continue;
        }
      }
      auto claimed_job = queue.claim(*conn, owner, options.host);
      if (!claimed_job) {
        log.error("{}", claimed_job.error().message);
        conn.reset();
        continue;
      }
      if (!*claimed_job) {
        std::unique_lock lock(mutex);
        wake.wait_for(lock, options.safety_poll,
                      [&] { return stopping.load() || generation != seen; });
        continue;
      }
      const Job job = std::move(**claimed_job);
      ++claimed;
      metrics::observe("bottega_queue_claim_latency_seconds", {job.kind}, job.waited_seconds);
      {
        std::lock_guard lock(mutex);
        running.insert(job.id);
      }
      log.debug("job {} ({}) claimed by {} worker {}, attempt {}/{}", job.id, job.kind, owner,
                index, job.attempts, job.max_attempts);
      auto outcome = run_job(job);
      if (outcome) {
        if (auto r = queue.complete(*conn, job); !r) log.error("{}", r.error().message);
        ++completed;
        metrics::add("bottega_jobs_total", {job.kind, "done"});
      } else {
        log.warn("job {} ({}) failed on attempt {}: {}", job.id, job.kind, job.attempts,
                 outcome.error().message);
        auto dead = queue.fail(*conn, job, outcome.error().message);
        if (!dead) log.error("{}", dead.error().message);
        ++failed;
        metrics::add("bottega_jobs_total", {job.kind, dead && *dead ? "dead" : "retried"});
      }
      std::lock_guard lock(mutex);
      running.erase(job.id);
      idle.notify_all();
    }
  }

  // LISTEN for enqueues, tick the safety poll, renew our leases.
  void listener_loop() {
    auto& log = component_log("worker");
    const auto renew_every = std::max(options.limits.lease / 3, std::chrono::milliseconds(50));
    auto next_renew = std::chrono::steady_clock::now() + renew_every;
    auto next_poll = std::chrono::steady_clock::now() + options.safety_poll;
    while (!stopping) {
      try {
        pqxx::connection conn(connection_string);
        Wakeup wakeup(conn, [this] { bump(); });
        bump();  // anything enqueued while we were not listening
        while (!stopping) {
          conn.await_notification(0, 100'000);  // 100 ms, so stop() is prompt
          auto now = std::chrono::steady_clock::now();
          if (now >= next_poll) {
            bump();
            next_poll = now + options.safety_poll;
          }
          if (now >= next_renew) {
            std::vector<int64_t> ids;
            {
              std::lock_guard lock(mutex);
              ids.assign(running.begin(), running.end());
            }
            if (auto r = queue.renew(conn, options.owner, ids); !r)
              log.error("{}", r.error().message);
            if (auto r = queue.heartbeat(conn, options.host); !r)
              log.error("{}", r.error().message);
            next_renew = now + renew_every;
          }
        }
      } catch (const std::exception& e) {
        log.error("job listener lost its connection: {}", e.what());
        std::unique_lock lock(mutex);
        wake.wait_for(lock, std::chrono::seconds(1), [&] { return stopping.load(); });
      }
    }
  }
};

WorkerPool::WorkerPool(std::string connection_string, WorkerPoolOptions options)
    : impl_(std::make_unique<Impl>(std::move(connection_string), std::move(options))) {
  if (impl_->options.owner.empty()) impl_->options.owner = default_owner();
  if (impl_->options.host.empty()) impl_->options.host = local_host_name();
}

WorkerPool::~WorkerPool() { stop(std::chrono::milliseconds(1000)); }

void WorkerPool::handle(const std::string& kind, JobHandler handler) {
  impl_->handlers[kind] = std::move(handler);
}

Result<void> WorkerPool::start() {
  try {
    pqxx::connection probe(impl_->connection_string);
  } catch (const std::exception& e) {
    return make_error(std::string("workers cannot connect to PostgreSQL: ") + e.what());
  }
  impl_->threads.emplace_back([this] { impl_->listener_loop(); });
  for (int i = 0; i < impl_->options.workers; ++i)
    impl_->threads.emplace_back([this, i] { impl_->worker_loop(i); });
  component_log("worker").info("{} workers started as {}", impl_->options.workers,
                               impl_->options.owner);
  return {};
}

void WorkerPool::stop(std::chrono::milliseconds grace) {
  if (impl_->threads.empty()) return;
  {
    std::unique_lock lock(impl_->mutex);
    impl_->stopping = true;
    impl_->wake.notify_all();
    impl_->idle.wait_for(lock, grace, [&] { return impl_->running.empty(); });
  }
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
}

WorkerPoolStats WorkerPool::stats() const {
  return {impl_->claimed.load(), impl_->completed.load(), impl_->failed.load()};
}

const std::string& WorkerPool::owner() const { return impl_->options.owner; }

}  // namespace bottega
