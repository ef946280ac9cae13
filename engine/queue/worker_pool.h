// WorkerPool: N worker threads that claim jobs from the JobQueue and run the
// handler registered for each job's kind, plus one listener thread that
// LISTENs on the jobs channel (a claim follows an enqueue within
// milliseconds), polls slowly as a safety net, and renews the leases of the
// jobs this pool runs.
// Thread-safety: register handlers before start(); start()/stop() from one
// thread. Ownership: owns its threads and database connections.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "config/base/result.h"
#include "engine/queue/queue.h"

namespace bottega {

// Runs one job. A failure (or an exception) is retried with backoff.
using JobHandler = std::function<Result<void>(const Job&)>;

struct WorkerPoolOptions {
  int workers = 4;
  std::string owner = "";  // this process's name in lease_owner; empty: host:pid
  std::string host = "";   // this machine's name for job affinity; empty: local_host_name()
  std::chrono::milliseconds safety_poll{5'000};
  QueueLimits limits;
};

struct WorkerPoolStats {
  uint64_t claimed = 0;
  uint64_t completed = 0;
  uint64_t failed = 0;
};

class WorkerPool {
 public:
  WorkerPool(std::string connection_string, WorkerPoolOptions options);
  ~WorkerPool();  // stop()s
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void handle(const std::string& kind, JobHandler handler);

  // Connects and starts the threads; fails if the database is unreachable.
  Result<void> start();

  // Stops claiming, waits up to `grace` for running jobs to finish, then
  // joins. Jobs still running keep their lease and are retried elsewhere
  // once it expires.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(10'000));

  WorkerPoolStats stats() const;
  const std::string& owner() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bottega
