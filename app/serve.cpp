#include <iostream>
#include <pqxx/pqxx>

#include "app/app_services.h"
#include "app/commands.h"
#include "app/http/server.h"
#include "app/jobs.h"
#include "app/metrics.h"
#include "app/routes.h"
#include "app/runtime.h"
#include "app/setup.h"
#include "app/web/web_ui.h"
#include "config/base/log.h"
#include "config/base/redactor.h"
#include "engine/db/app_registration.h"
#include "engine/db/database.h"

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

web::OAuthSettings oauth_settings(const ServerConfig& config) {
  web::OAuthSettings o;
  o.web_url = config.github_web_url;
  o.api_url = config.github_api_url;
  o.ca_file = config.github_ca_file;
  o.client_id = config.app_client_id;
  o.client_secret = config.app_client_secret;
  return o;
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
    server = std::make_unique<HttpServer>(http_options(config),
                                          [&route](HttpRequest&& request, Responder respond) {
                                            route(std::move(request), std::move(respond));
                                          });
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
  // Without App credentials in the configuration, the App the setup page
  // registered (stored sealed in the database), or else the setup page.
  std::optional<SecretBox> box;
  ServerConfig effective = config;
  if (!github) {
    auto opened = SecretBox::load(config.secret_key, config.data_dir);
    if (!opened) {
      std::cerr << "bottega serve: " << opened.error().message << "\n";
      return kExitConfig;
    }
    box.emplace(std::move(*opened));
    auto conn = database.acquire();
    if (!conn) {
      log.error("{}", conn.error().message);
      return kExitFailure;
    }
    auto stored = load_app_registration(**conn, *box);
    if (!stored) {
      log.error("{}", stored.error().message);
      return kExitFailure;
    }
    if (*stored) {
      const StoredApp& app = **stored;
      register_secret(app.client_secret, "the App's client secret");
      register_pem(app.private_key_pem, "the App private key");
      register_secret(app.webhook_secret, "the webhook secret");
      effective = with_registered_app(config, app.app_id, app.slug, app.client_id,
                                      app.private_key_pem, app.webhook_secret);
      if (effective.app_client_secret.empty()) effective.app_client_secret = app.client_secret;
      auto client = make_github_client(effective);
      if (!client || !*client) {
        log.error("the registered App cannot be used: {}",
                  client ? std::string("no key") : client.error().message);
        return kExitFailure;
      }
      github = std::move(*client);
      log.info("using App {} (id {}), registered through the setup page", app.slug, app.app_id);
    }
  }
  AppServices* app_slot = nullptr;  // set below, before the server accepts
  std::unique_ptr<SetupPage> setup;
  std::string setup_token;
  if (!github) {
    auto conn = database.acquire();
    auto token = conn ? create_setup_token(**conn) : Result<std::string>(conn.error());
    if (!token) {
      log.error("{}", token.error().message);
      return kExitFailure;
    }
    setup_token = *token;
    SetupOptions so;
    so.public_url = config.public_url;
    so.web_url = config.github_web_url;
    so.api_url = config.github_api_url;
    so.ca_file = config.github_ca_file;
    so.webhook_secret_configured = !config.webhook_secret.empty();
    so.on_registered = [&app_slot] {
      if (app_slot) app_slot->look_for_app_now();
    };
    setup = std::make_unique<SetupPage>(database, *box, so);
  }

  std::unique_ptr<Router> router;
  std::unique_ptr<web::WebUi> web_ui;
  AppServices::Options service_options;
  service_options.run_workers = config.workers > 0;
  service_options.reconcile = true;
  service_options.on_app = [&router, &setup, &web_ui](const ServerConfig& with_app) {
    if (setup) setup->set_registered();
    if (router) router->set_webhook_secret(with_app.webhook_secret);
    if (web_ui) web_ui->set_oauth(oauth_settings(with_app));
  };
  AppServices app(effective, db.connection_string, std::move(github), box ? &*box : nullptr,
                  std::move(service_options));
  app_slot = &app;
  if (auto app_started = app.start(); !app_started) {
    log.error("{}", app_started.error().message);
    return kExitFailure;
  }
  web::WebUiOptions web_options;
  web_options.public_url = config.public_url;
  web_options.github_web_url = config.github_web_url;
  web_options.oauth = oauth_settings(effective);
  web_ui = std::make_unique<web::WebUi>(
      database, web_options,
      [&app](int64_t installation, const std::string& repo, const std::string& login) {
        return app.collaborator_permission(installation, repo, login);
      });
  RouterDeps deps;
  deps.web = web_ui.get();
  deps.database = &database;
  deps.intake = &intake;
  deps.webhook_secret = effective.webhook_secret;
  deps.app_not_ready = [&app] { return app.app_not_ready(); };
  if (setup) deps.setup = [&setup](const HttpRequest& request) { return setup->handle(request); };
  router = std::make_unique<Router>(std::move(deps));
  route = router->handler();
  if (auto listening = server->start(); !listening) {
    log.error("{}", listening.error().message);
    return kExitFailure;
  }
  log.info("bottega serve is up (embedded database: {})", db.embedded ? "yes" : "no");
  if (setup) {
    // The only place the token is shown (it is stored hashed).
    const std::string base = config.public_url.empty()
                                 ? std::string(config.tls_enabled() ? "https" : "http") + "://" +
                                       config.listen_host + ":" + std::to_string(server->port())
                                 : config.public_url;
    log.warn(
        "no GitHub App yet, so every webhook delivery is refused and nothing is done on "
        "GitHub: register one at {}/setup?token={}{}",
        base, setup_token,
        config.public_url.empty() ? " (set public_url first: GitHub needs an https:// "
                                    "address to reach this server)"
                                  : "");
  }

  int signal = wait_for_stop_signal();
  log.info("signal {} received, shutting down", signal);
  web_ui->stop();  // held streams answer now, so the drain below is not held
  server->stop();  // answers the webhooks in flight (their intake commits first)
  intake.stop();
  app.stop();
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
