// JobQueue: the durable job queue in PostgreSQL, the only coordination point
// between any number of `serve` and `worker` processes.
//
// - enqueue() writes inside the caller's transaction and NOTIFYs
//   `bottega_jobs` on commit, so a listening worker claims at once.
// - claim() takes one job with FOR UPDATE SKIP LOCKED and gives it a lease;
//   a job whose lease expires (its worker died) is queued again.
// - At most one running job per task key (a unique index enforces it);
//   concurrency caps per installation and global; installations are served
//   in rotation (fewest running first, then least recently served).
// - fail() retries with exponential backoff and jitter, then dead-letters
//   the job with its last error.
// Time is the database's now(), one clock for every host.
// Thread-safety: JobQueue holds only settings and is safe to share; each
// call takes the connection to use, which the caller owns (one per thread).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <pqxx/connection>
#include <pqxx/transaction_base>
#include <random>
#include <string>

#include "config/base/result.h"

namespace bottega {

struct JobSpec {
  std::string kind;
  std::optional<std::string> task_key;
  int64_t installation_id = 0;
  std::string payload = "{}";  // JSON
  std::string delivery_id;     // empty: none
  int max_attempts = 8;
  std::chrono::milliseconds delay{0};  // run no earlier than now + delay
  // Run only on this host while it is alive (its worktree is there); empty:
  // any host. A host is alive while its workers renew within two leases.
  std::string host;
};

struct Job {
  int64_t id = 0;
  std::string kind;
  std::optional<std::string> task_key;
  int64_t installation_id = 0;
  std::string payload;
  std::string delivery_id;
  int attempts = 0;  // including this one
  int max_attempts = 0;
  std::string last_error;
  double waited_seconds = 0;  // from ready (run_at) to claimed, set by claim()
};

struct QueueLimits {
  int global_running = 64;           // running jobs across all workers and hosts
  int per_installation_running = 8;  // running jobs of one installation
  // Running jobs of one kind (e.g. agent turns), across every host.
  std::map<std::string, int> kind_running;
  std::chrono::milliseconds lease{30'000};
  std::chrono::milliseconds backoff_base{2'000};
  std::chrono::milliseconds backoff_cap{600'000};
};

// The delay before retry number `attempt` (1 = first retry): base·2^(attempt-1)
// capped, with ±25 % jitter drawn from `rng` so retries do not stampede.
std::chrono::milliseconds retry_delay(int attempt, const QueueLimits& limits, std::mt19937_64& rng);

inline constexpr const char* kJobsChannel = "bottega_jobs";

// This machine's name, as worker pools and job affinity know it.
std::string local_host_name();

class JobQueue {
 public:
  explicit JobQueue(QueueLimits limits) : limits_(limits) {}

  // Inserts the job in tx (visible when tx commits) and notifies workers.
  static void enqueue(pqxx::transaction_base& tx, const JobSpec& job);

  // Claims the next job for worker `owner` on `host`, or nullopt when none
  // is ready within the caps (jobs bound to another live host are left to
  // it). Requeues (or dead-letters) jobs whose lease expired.
  Result<std::optional<Job>> claim(pqxx::connection& conn, const std::string& owner,
                                   const std::string& host = local_host_name());
  // Records that `host` is alive (called with every lease renewal).
  Result<void> heartbeat(pqxx::connection& conn, const std::string& host);

  // Extends the leases of these jobs held by owner; returns how many rows
  // were still held (a job lost to expiry is not renewed).
  Result<int> renew(pqxx::connection& conn, const std::string& owner,
                    const std::vector<int64_t>& job_ids);

  // Marks a job done.
  Result<void> complete(pqxx::connection& conn, const Job& job);

  // Records a failure: queued again after retry_delay(), or dead when the
  // job has used its attempts. Returns true if dead-lettered.
  Result<bool> fail(pqxx::connection& conn, const Job& job, const std::string& error);

  const QueueLimits& limits() const { return limits_; }

 private:
  QueueLimits limits_;
};

}  // namespace bottega
