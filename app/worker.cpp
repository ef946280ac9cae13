#include <iostream>

#include "app/app_services.h"
#include "app/commands.h"
#include "app/http/server.h"
#include "app/jobs.h"
#include "app/metrics.h"
#include "app/routes.h"
#include "app/runtime.h"
#include "config/base/log.h"
#include "engine/db/database.h"

namespace bottega {

int run_worker(const ParsedCommand& command) {
  std::unique_ptr<github::GitHubClient> github;
  auto started = start_runtime(command, [&](const ServerConfig& config) {
    auto client = make_github_client(config);
    if (!client) {
      std::cerr << "bottega worker: invalid configuration:\n  " << client.error().message << "\n";
      return kExitConfig;
    }
    github = std::move(*client);
    return 0;
  });
  if (auto* status = std::get_if<int>(&started)) return *status;
  const ServerConfig& config = std::get<Runtime>(started).config;
  DatabaseHandle& db = std::get<Runtime>(started).db;
  auto& log = component_log("worker");
  declare_metrics();
  DatabaseGauges gauges(db.connection_string);
  // GET /metrics (and /healthz, /readyz) when metrics.listen is set.
  std::unique_ptr<Database> probe_db;
  std::unique_ptr<Router> router;
  std::unique_ptr<HttpServer> metrics_server;
  if (!config.metrics_listen_host.empty()) {
    probe_db = std::make_unique<Database>(db.connection_string, 1);
    RouterDeps deps;
    deps.database = probe_db.get();
    deps.webhooks = false;
    router = std::make_unique<Router>(std::move(deps));
    HttpServerOptions o;
    o.host = config.metrics_listen_host;
    o.port = config.metrics_listen_port;
    o.threads = 1;
    metrics_server = std::make_unique<HttpServer>(o, router->handler());
    if (auto started = metrics_server->start(); !started) {
      log.error("metrics.listen: {}", started.error().message);
      return kExitFailure;
    }
  }
  // Without credentials in the configuration: the App the setup page
  // stores (now, or later from any serve host).
  std::optional<SecretBox> box;
  if (!github) {
    auto opened = SecretBox::load(config.secret_key, config.data_dir);
    if (!opened) {
      std::cerr << "bottega worker: " << opened.error().message << "\n";
      return kExitConfig;
    }
    box.emplace(std::move(*opened));
  }
  AppServices::Options service_options;
  AppServices app(config, db.connection_string, std::move(github), box ? &*box : nullptr,
                  std::move(service_options));
  if (auto started = app.start(); !started) {
    log.error("{}", started.error().message);
    return kExitFailure;
  }
  int signal = wait_for_stop_signal();
  log.info("signal {} received, finishing running jobs", signal);
  if (metrics_server) metrics_server->stop();
  app.stop();
  if (db.embedded && !db.embedded->adopted()) (void)db.embedded->stop();
  return 0;
}

}  // namespace bottega
