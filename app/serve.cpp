#include <iostream>
#include <pqxx/pqxx>

#include "app/app_auth_check.h"
#include "app/commands.h"
#include "app/http/server.h"
#include "app/jobs.h"
#include "app/metrics.h"
#include "app/routes.h"
#include "app/runtime.h"
#include "config/base/log.h"
#include "engine/db/database.h"
#include "engine/intake/reconciler.h"

namespace bottega {

namespace {

HttpServerOptions http_options(const ServerConfig& config) {
  HttpServerOptions options;
  options.host = config.listen_host;
  options.port = config.listen_port;
  options.tls_cert_file = config.tls_cert;
  options.tls_key_file = config.tls_key;
  options.max_body_bytes = config.max_body_bytes;
  options.read_timeout = config.read_timeout;
  options.idle_timeout = config.idle_timeout;
  options.max_connections = static_cast<std::size_t>(config.http_max_connections);
  options.max_body_memory_bytes = static_cast<std::size_t>(config.http_max_body_memory_mb) << 20;
  return options;
}

}  // namespace

int run_serve(const ParsedCommand& command) {
  // The port is bound and the App's key checked before the database and the
  // workers start: a port in use or a bad key is one plain line at once.
  // The server accepts only after start(), once `route` is set.
  std::unique_ptr<HttpServer> server;
  Handler route;
  std::unique_ptr<github::GitHubClient> github;
  auto started = start_runtime(command, [&](const ServerConfig& config) {
    auto client = make_github_client(config);
    if (!client) {
      std::cerr << "bottega serve: invalid configuration:\n  " << client.error().message << "\n";
      return kExitConfig;
    }
    github = std::move(*client);
    server = std::make_unique<HttpServer>(
        http_options(config),
        [&route](HttpRequest&& request, Responder respond) { route(std::move(request), std::move(respond)); });
    if (auto bound = server->bind(); !bound) {
      std::cerr << "bottega serve: " << bound.error().message << "\n";
      return kExitFailure;
    }
    return 0;
  });
  if (auto* status = std::get_if<int>(&started)) return *status;
  const ServerConfig& config = std::get<Runtime>(started).config;
  DatabaseHandle& db = std::get<Runtime>(started).db;
  auto& log = component_log("serve");

  Database database(db.connection_string, 8);
  declare_metrics();
  DatabaseGauges gauges(db.connection_string);
  IntakeOptions intake_options;
  intake_options.commit_timeout = config.intake_commit_timeout;
  intake_options.max_pending = static_cast<std::size_t>(config.intake_max_pending);
  intake_options.max_pending_bytes = static_cast<std::size_t>(config.intake_max_pending_bytes);
  Intake intake(db.connection_string, intake_options);
  if (auto intake_started = intake.start(); !intake_started) {
    log.error("{}", intake_started.error().message);
    return kExitFailure;
  }
  WorkerPool pool(db.connection_string, worker_options(config));
  auto services = register_job_handlers(pool, config, db.connection_string, github.get());
  if (config.workers > 0) {
    if (auto pool_started = pool.start(); !pool_started) {
      log.error("{}", pool_started.error().message);
      return kExitFailure;
    }
  }
  std::unique_ptr<AppAuthCheck> app_check;
  if (github) app_check = std::make_unique<AppAuthCheck>(*github, std::chrono::seconds(60));
  RouterDeps deps;
  deps.database = &database;
  deps.intake = &intake;
  deps.webhook_secret = config.webhook_secret;
  if (app_check) deps.app_not_ready = [&app_check] { return app_check->not_ready_reason(); };
  Router router(std::move(deps));
  route = router.handler();
  if (auto listening = server->start(); !listening) {
    log.error("{}", listening.error().message);
    return kExitFailure;
  }
  log.info("bottega serve is up (embedded database: {})", db.embedded ? "yes" : "no");

  // GitHub does not retry failed deliveries: ask for them periodically.
  std::unique_ptr<PeriodicTask> reconcile;
  if (github && config.reconcile_interval.count() > 0) {
    reconcile = std::make_unique<PeriodicTask>(config.reconcile_interval, [&db] {
      try {
        pqxx::connection conn(db.connection_string);
        if (auto r = schedule_reconcile(conn); !r) component_log("reconciler").error("{}", r.error().message);
      } catch (const std::exception& e) {
        component_log("reconciler").error("cannot schedule: {}", e.what());
      }
    });
  }

  int signal = wait_for_stop_signal();
  log.info("signal {} received, shutting down", signal);
  reconcile.reset();
  server->stop();  // answers the webhooks in flight (their intake commits first)
  intake.stop();
  if (services) services->stop();
  pool.stop();
  if (db.embedded) {
    if (auto stopped = db.embedded->stop(); !stopped) {
      log.error("{}", stopped.error().message);
      return kExitFailure;
    }
  }
  log.info("bye");
  return 0;
}

}  // namespace bottega
