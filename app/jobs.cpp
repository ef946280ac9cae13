#include "app/jobs.h"

#include "config/base/log.h"
#include "engine/intake/routing.h"

namespace bottega {

WorkerPoolOptions worker_options(const ServerConfig& config) {
  WorkerPoolOptions o;
  o.workers = config.workers;
  o.limits.global_running = config.queue_max_running;
  o.limits.per_installation_running = config.queue_max_running_per_installation;
  o.limits.lease = config.queue_lease;
  return o;
}

void register_job_handlers(WorkerPool& pool) {
  // The workflow that acts on GitHub events is not built yet: the job is
  // recorded as done so deliveries flow through the whole queue.
  pool.handle(kGitHubEventJob, [](const Job& job) -> Result<void> {
    component_log("worker").info("job {}: github event {} for {} (no workflow yet)", job.id,
                                 job.payload, job.task_key.value_or("no task"));
    return {};
  });
}

}  // namespace bottega
