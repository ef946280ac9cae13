#include "app/commands.h"
#include "app/jobs.h"
#include "app/runtime.h"
#include "config/base/log.h"

namespace bottega {

int run_worker(const ParsedCommand& command) {
  auto started = start_runtime(command);
  if (auto* status = std::get_if<int>(&started)) return *status;
  const ServerConfig& config = std::get<Runtime>(started).config;
  DatabaseHandle& db = std::get<Runtime>(started).db;
  auto& log = component_log("worker");
  auto options = worker_options(config);
  if (options.workers == 0) options.workers = 1;
  WorkerPool pool(db.connection_string, options);
  auto github = make_github_client(config);
  auto services = register_job_handlers(pool, config, db.connection_string, github.get());
  if (auto pool_started = pool.start(); !pool_started) {
    log.error("{}", pool_started.error().message);
    return kExitFailure;
  }
  int signal = wait_for_stop_signal();
  log.info("signal {} received, finishing running jobs", signal);
  if (services) services->stop();
  pool.stop();
  if (db.embedded && !db.embedded->adopted()) (void)db.embedded->stop();
  return 0;
}

}  // namespace bottega
