#include "app/app_services.h"

#include <mutex>
#include <pqxx/pqxx>

#include "app/app_auth_check.h"
#include "app/jobs.h"
#include "config/base/log.h"
#include "config/base/redactor.h"
#include "engine/db/app_registration.h"
#include "engine/intake/reconciler.h"
#include "engine/queue/worker_pool.h"

namespace bottega {

ServerConfig with_registered_app(ServerConfig config, int64_t app_id, const std::string& slug,
                                 const std::string& client_id, const std::string& private_key_pem,
                                 const std::string& webhook_secret) {
  config.app_id = std::to_string(app_id);
  config.app_client_id = client_id;
  if (config.app_slug.empty()) config.app_slug = slug;
  config.private_key_file.clear();
  config.app_private_key_pem = private_key_pem;
  if (config.webhook_secret.empty()) config.webhook_secret = webhook_secret;
  return config;
}

struct AppServices::Impl {
  ServerConfig config;
  std::string connection_string;
  const SecretBox* box = nullptr;
  Options options;

  mutable std::mutex mutex;  // guards everything below
  std::unique_ptr<github::GitHubClient> github;
  std::unique_ptr<WorkerPool> pool;
  std::unique_ptr<JobServices> services;
  std::unique_ptr<AppAuthCheck> app_check;
  std::unique_ptr<PeriodicTask> reconcile;
  std::unique_ptr<PeriodicTask> watch;  // for a registered App, while there is none

  Result<void> start_locked() {
    auto o = worker_options(config);
    if (!options.run_workers)
      o.workers = 0;
    else if (o.workers == 0)
      o.workers = 1;
    pool = std::make_unique<WorkerPool>(connection_string, o);
    services = register_job_handlers(*pool, config, connection_string, github.get());
    if (o.workers > 0)
      if (auto started = pool->start(); !started) return started;
    if (!github) return {};
    app_check = std::make_unique<AppAuthCheck>(*github, std::chrono::seconds(60));
    if (options.reconcile && config.reconcile_interval.count() > 0) {
      reconcile =
          std::make_unique<PeriodicTask>(config.reconcile_interval, [cs = connection_string] {
            try {
              pqxx::connection conn(cs);
              if (auto r = schedule_reconcile(conn); !r)
                component_log("reconciler").error("{}", r.error().message);
            } catch (const std::exception& e) {
              component_log("reconciler").error("cannot schedule: {}", e.what());
            }
          });
    }
    return {};
  }

  void stop_locked() {
    reconcile.reset();
    app_check.reset();
    if (services) services->stop();
    if (pool) pool->stop();
    services.reset();
    pool.reset();
  }

  // Looks for an App the setup page stored; adopts it when there is one.
  void look_for_app() {
    std::optional<StoredApp> app;
    try {
      pqxx::connection conn(connection_string);
      auto loaded = load_app_registration(conn, *box);
      if (!loaded) {
        component_log("setup").error("{}", loaded.error().message);
        return;
      }
      app = std::move(*loaded);
    } catch (const std::exception& e) {
      return;  // the database is away; the next look may find it
    }
    if (!app) return;
    register_secret(app->client_secret, "the App's client secret");
    register_pem(app->private_key_pem, "the App private key");
    register_secret(app->webhook_secret, "the webhook secret");
    ServerConfig next = with_registered_app(config, app->app_id, app->slug, app->client_id,
                                            app->private_key_pem, app->webhook_secret);
    if (next.app_client_secret.empty()) next.app_client_secret = app->client_secret;
    auto client = make_github_client(next);
    if (!client || !*client) {
      component_log("setup").error("the registered App cannot be used: {}",
                                   client ? std::string("no key") : client.error().message);
      return;
    }
    {
      std::lock_guard lock(mutex);
      if (github) return;  // adopted meanwhile (the watcher and the setup page both look)
      stop_locked();
      config = next;
      github = std::move(*client);
      if (auto started = start_locked(); !started)
        component_log("setup").error("{}", started.error().message);
    }
    component_log("setup").info("using App {} (id {}) registered through the setup page", app->slug,
                                app->app_id);
    if (options.on_app) options.on_app(config);
  }
};

AppServices::AppServices(ServerConfig config, std::string connection_string,
                         std::unique_ptr<github::GitHubClient> github, const SecretBox* box,
                         Options options)
    : impl_(std::make_unique<Impl>()) {
  impl_->config = std::move(config);
  impl_->connection_string = std::move(connection_string);
  impl_->github = std::move(github);
  impl_->box = box;
  impl_->options = std::move(options);
}

AppServices::~AppServices() { stop(); }

Result<void> AppServices::start() {
  {
    std::lock_guard lock(impl_->mutex);
    if (auto started = impl_->start_locked(); !started) return started;
    if (impl_->github || !impl_->box) return {};
  }
  // Stops looking once an App is in use (the task's own thread ends it).
  impl_->watch = std::make_unique<PeriodicTask>(
      std::chrono::seconds(2),
      [impl = impl_.get()] {
        {
          std::lock_guard lock(impl->mutex);
          if (impl->github) return;
        }
        impl->look_for_app();
      },
      /*run_now=*/false);
  return {};
}

void AppServices::look_for_app_now() {
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->github || !impl_->box) return;
  }
  impl_->look_for_app();
}

void AppServices::stop() {
  impl_->watch.reset();
  std::lock_guard lock(impl_->mutex);
  impl_->stop_locked();
}

Result<std::string> AppServices::collaborator_permission(int64_t installation_id,
                                                         const std::string& repo,
                                                         const std::string& login) const {
  github::GitHubClient* client = nullptr;
  {
    // The client, once set, lives as long as the services (it is replaced
    // only while there is none).
    std::lock_guard lock(impl_->mutex);
    client = impl_->github.get();
  }
  if (!client) return make_error("no GitHub App yet");
  const auto slash = repo.find('/');
  if (slash == std::string::npos) return make_error("not a repository name: " + repo);
  github::Repo r{installation_id, repo.substr(0, slash), repo.substr(slash + 1)};
  auto found = client->collaborator_permission(r, login);
  if (!found) return make_error(found.error().message);
  return found->permission;
}

std::optional<std::string> AppServices::app_not_ready() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->app_check ? impl_->app_check->not_ready_reason() : std::nullopt;
}

}  // namespace bottega
