// The job handlers the workers run, by job kind, and the options that the
// server configuration gives the worker pool.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "config/server_config.h"
#include "engine/queue/worker_pool.h"
#include "github/client.h"

namespace bottega {

WorkerPoolOptions worker_options(const ServerConfig& config);

// What the job handlers use (the task engine, its database pool, the
// workspace, the agent runner); kept alive by the caller until the pool stops.
class JobServices {
 public:
  virtual ~JobServices() = default;
  // Stops the periodic sweeps and the running agent turns (they run again
  // later, from the queue).
  virtual void stop() = 0;
};

// Registers a handler for every job kind the app enqueues. `github` may be
// null (no App credentials yet): then there is no delivery reconciler and
// no workflow (events are recorded and their jobs finish at once).
std::unique_ptr<JobServices> register_job_handlers(WorkerPool& pool, const ServerConfig& config,
                                                   const std::string& connection_string,
                                                   github::GitHubClient* github);

// The GitHub client for the configured App; null (with a warning logged)
// when no App credentials are configured. Fails when they are configured
// but cannot sign a JWT (the key is not an RSA private key): a bad
// configuration the program stops on.
Result<std::unique_ptr<github::GitHubClient>> make_github_client(const ServerConfig& config);

// Runs `task` every `interval` on its own thread until destroyed.
class PeriodicTask {
 public:
  // run_now: also once at the start (on the task's thread).
  PeriodicTask(std::chrono::milliseconds interval, std::function<void()> task,
               bool run_now = false);
  ~PeriodicTask();
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bottega
