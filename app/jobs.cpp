#include "app/jobs.h"

#include <algorithm>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <pqxx/pqxx>
#include <thread>

#include "app/delivery_log.h"
#include "app/github_port.h"
#include "config/base/log.h"
#include "engine/agents/agent_config.h"
#include "engine/db/database.h"
#include "engine/intake/reconciler.h"
#include "engine/intake/routing.h"
#include "engine/worker/task_engine.h"
#include "engine/workspace/workspace.h"

namespace bottega {

WorkerPoolOptions worker_options(const ServerConfig& config) {
  WorkerPoolOptions o;
  o.workers = config.workers;
  o.limits.global_running = config.queue_max_running;
  o.limits.per_installation_running = config.queue_max_running_per_installation;
  o.limits.lease = config.queue_lease;
  o.host = config.queue_host;  // empty: the pool asks the machine
  o.limits.kind_running[kAgentTurnJob] = config.agent_max_running;
  // Effects mostly wait out GitHub's write spacing: they never take every
  // worker, so webhooks (and their 👀) are handled meanwhile.
  o.limits.kind_running[kTaskEffectsJob] = std::max(1, config.workers / 2);
  // Agent turns hold a worker for minutes: they get threads of their own,
  // so webhooks (and /cancel) are never stuck behind them.
  o.workers = config.workers == 0 ? 0 : config.workers + config.agent_max_running;
  return o;
}

Result<std::unique_ptr<github::GitHubClient>> make_github_client(const ServerConfig& config) {
  auto& log = component_log("github");
  if ((config.app_id.empty() && config.app_client_id.empty()) ||
      (config.private_key_file.empty() && config.app_private_key_pem.empty())) {
    log.warn(
        "no App credentials (app.id or app.client_id, and app.private_key_file): "
        "the app cannot act on GitHub or reconcile lost webhook deliveries");
    return std::unique_ptr<github::GitHubClient>();
  }
  github::GitHubClientOptions options;
  options.api_url = config.github_api_url;
  options.ca_file = config.github_ca_file;
  options.app_id = config.app_id;
  options.client_id = config.app_client_id;
  options.private_key_file = config.private_key_file;
  options.private_key_pem = config.app_private_key_pem;
  options.mutation_spacing = config.github_mutation_spacing;
  auto client = github::GitHubClient::create(std::move(options));
  if (!client)
    return make_error((config.private_key_file.empty()
                           ? std::string("the registered App's private key")
                           : "`app.private_key_file` " + config.private_key_file) +
                      ": the App cannot authenticate with it: " + client.error().describe());
  return std::move(*client);
}

struct PeriodicTask::Impl {
  std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;
  std::thread thread;
};

PeriodicTask::PeriodicTask(std::chrono::milliseconds interval, std::function<void()> task,
                           bool run_now)
    : impl_(std::make_unique<Impl>()) {
  impl_->thread = std::thread([impl = impl_.get(), interval, task = std::move(task), run_now] {
    if (run_now) task();
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

namespace {

// The directory of the running binary: agents find `bottega signal` there.
std::string binary_dir() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : self.parent_path().string();
}

std::string absolute(const std::string& path) {
  std::error_code ec;
  auto p = std::filesystem::absolute(path, ec);
  return (ec ? std::filesystem::path(path) : p).lexically_normal().string();
}

struct WorkflowServices final : JobServices {
  std::unique_ptr<Database> db;
  std::unique_ptr<GitHubClientPort> github;
  std::unique_ptr<Workspace> workspace;
  std::unique_ptr<agents::ProcessAgentRunner> runner;
  std::unique_ptr<TaskEngine> engine;
  std::unique_ptr<PeriodicTask> sweeper;
  void stop() override {
    sweeper.reset();
    engine->stop();
  }
};

}  // namespace

std::unique_ptr<JobServices> register_job_handlers(WorkerPool& pool, const ServerConfig& config,
                                                   const std::string& connection_string,
                                                   github::GitHubClient* github) {
  if (!github) {
    pool.handle(kGitHubEventJob, [](const Job& job) -> Result<void> {
      component_log("worker").warn("job {}: no App credentials, event for {} not acted on", job.id,
                                   job.task_key.value_or("no task"));
      return {};
    });
    return nullptr;
  }
  pool.handle(kReconcileJob, [connection_string, github](const Job&) -> Result<void> {
    try {
      pqxx::connection conn(connection_string);
      GitHubDeliveryLog log(*github);
      auto report = reconcile_deliveries(conn, log);
      if (!report) return report.error();
      component_log("reconciler")
          .info("{} deliveries listed, {} redeliveries asked", report->listed, report->requested);
      return {};
    } catch (const std::exception& e) {
      return make_error(std::string("reconciler: ") + e.what());
    }
  });

  auto services = std::make_unique<WorkflowServices>();
  // One connection per worker thread at most, plus the running turns' watchers.
  services->db = std::make_unique<Database>(
      connection_string,
      static_cast<std::size_t>(2 * (config.workers + config.agent_max_running) + 2));
  WorkspaceOptions ws;
  ws.root = absolute(config.data_dir) + "/workspaces";
  ws.ca_file = config.github_ca_file;
  std::string slug = config.app_slug.empty() ? "bottega" : config.app_slug;
  ws.author_name = slug + "[bot]";
  ws.author_email = slug + "[bot]@users.noreply.github.com";
  services->workspace = std::make_unique<Workspace>(ws);
  const std::string bin = binary_dir();
  services->runner =
      std::make_unique<agents::ProcessAgentRunner>(agents::runner_options(config, bin));
  TaskEngineOptions options = engine_options(config);
  options.runs_dir = absolute(config.data_dir) + "/runs";
  options.bottega_dir = bin;
  options.host = config.queue_host.empty() ? local_host_name() : config.queue_host;
  services->github = std::make_unique<GitHubClientPort>(*github, config.app_slug);
  services->engine = std::make_unique<TaskEngine>(options, *services->db, *services->github,
                                                  *services->workspace, *services->runner);
  TaskEngine* engine = services->engine.get();
  pool.handle(kGitHubEventJob, [engine](const Job& job) { return engine->handle_event(job); });
  pool.handle(kAgentTurnJob, [engine](const Job& job) { return engine->handle_turn(job); });
  pool.handle(kTaskEffectsJob, [engine](const Job& job) { return engine->handle_effects(job); });
  pool.handle(kOpenPullJob, [engine](const Job& job) { return engine->handle_open_pull(job); });
  pool.handle(kCleanupJob, [engine](const Job& job) { return engine->handle_cleanup(job); });
  pool.handle(kUpdatePullJob, [engine](const Job& job) { return engine->handle_update_pull(job); });
  if (config.workers > 0) {
    // A task whose job died on every attempt would wait forever: block it, visibly.
    services->sweeper = std::make_unique<PeriodicTask>(
        std::chrono::minutes(1),
        [engine] {
          auto blocked = engine->block_lost_tasks();
          if (!blocked) component_log("workflow").error("{}", blocked.error().message);
        },
        /*run_now=*/true);
  }
  return services;
}

}  // namespace bottega
