#include <iostream>

#include "app/commands.h"
#include "app/jobs.h"
#include "app/runtime.h"
#include "config/base/log.h"

namespace bottega {

int run_worker(const ParsedCommand& command) {
  install_stop_signals();
  auto config = load_config(command);
  if (!config) {
    std::cerr << "bottega worker: " << config.error().message << "\n";
    return kExitConfig;
  }
  auto& log = component_log("worker");
  auto db = open_database(*config);
  if (!db) {
    log.error("{}", db.error().message);
    return kExitFailure;
  }
  if (auto migrated = migrate_database(db->connection_string); !migrated) {
    log.error("{}", migrated.error().message);
    return kExitFailure;
  }
  auto options = worker_options(*config);
  if (options.workers == 0) options.workers = 1;
  WorkerPool pool(db->connection_string, options);
  register_job_handlers(pool);
  if (auto started = pool.start(); !started) {
    log.error("{}", started.error().message);
    return kExitFailure;
  }
  int signal = wait_for_stop_signal();
  log.info("signal {} received, finishing running jobs", signal);
  pool.stop();
  if (db->embedded && !db->embedded->adopted()) (void)db->embedded->stop();
  return 0;
}

}  // namespace bottega
