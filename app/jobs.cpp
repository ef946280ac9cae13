#include "app/jobs.h"

#include <condition_variable>
#include <mutex>
#include <pqxx/pqxx>
#include <thread>

#include "app/delivery_log.h"
#include "config/base/log.h"
#include "engine/intake/reconciler.h"
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

std::unique_ptr<github::GitHubClient> make_github_client(const ServerConfig& config) {
  auto& log = component_log("github");
  if ((config.app_id.empty() && config.app_client_id.empty()) || config.private_key_file.empty()) {
    log.warn("no App credentials (app.id or app.client_id, and app.private_key_file): "
             "the app cannot act on GitHub or reconcile lost webhook deliveries");
    return nullptr;
  }
  github::GitHubClientOptions options;
  options.api_url = config.github_api_url;
  options.ca_file = config.github_ca_file;
  options.app_id = config.app_id;
  options.client_id = config.app_client_id;
  options.private_key_file = config.private_key_file;
  auto client = github::GitHubClient::create(std::move(options));
  if (!client) {
    log.error("cannot set up the GitHub client: {}", client.error().describe());
    return nullptr;
  }
  return std::move(*client);
}

struct PeriodicTask::Impl {
  std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;
  std::thread thread;
};

PeriodicTask::PeriodicTask(std::chrono::milliseconds interval, std::function<void()> task)
    : impl_(std::make_unique<Impl>()) {
  impl_->thread = std::thread([impl = impl_.get(), interval, task = std::move(task)] {
    std::unique_lock lock(impl->mutex);
    while (!impl->wake.wait_for(lock, interval, [&] { return impl->stopping; })) {
      lock.unlock();
      task();
      lock.lock();
    }
  });
}

PeriodicTask::~PeriodicTask() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  impl_->thread.join();
}

void register_job_handlers(WorkerPool& pool, const std::string& connection_string,
                           github::GitHubClient* github) {
  if (github) {
    pool.handle(kReconcileJob, [connection_string, github](const Job&) -> Result<void> {
      try {
        pqxx::connection conn(connection_string);
        GitHubDeliveryLog log(*github);
        auto report = reconcile_deliveries(conn, log);
        if (!report) return report.error();
        component_log("reconciler").info("{} deliveries listed, {} redeliveries asked",
                                         report->listed, report->requested);
        return {};
      } catch (const std::exception& e) {
        return make_error(std::string("reconciler: ") + e.what());
      }
    });
  }
  // The workflow that acts on GitHub events is not built yet: the job is
  // recorded as done so deliveries flow through the whole queue.
  pool.handle(kGitHubEventJob, [](const Job& job) -> Result<void> {
    component_log("worker").info("job {}: github event {} for {} (no workflow yet)", job.id,
                                 job.payload, job.task_key.value_or("no task"));
    return {};
  });
}

}  // namespace bottega
