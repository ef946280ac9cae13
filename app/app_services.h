// AppServices: what a `serve` or `worker` process runs for the GitHub App:
// the GitHub client, the worker pool with the job handlers, the check of
// the App's credentials and (serve) the delivery reconciler.
//
// Started without App credentials, it runs the pool with handlers that only
// record events, and looks every few seconds for an App registered through
// the setup page (on this host or another sharing the database). When one
// appears, it opens its credentials, calls `on_app` (serve: the webhook
// secret, the setup page gone) and restarts its pool with the workflow:
// the App is used without restarting the process.
// Thread-safety: start() and stop() from the controlling thread;
// app_not_ready() from any thread. Ownership: owns its pool and client.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "config/base/result.h"
#include "config/server_config.h"
#include "engine/db/secret_box.h"
#include "github/client.h"

namespace bottega {

class AppServices {
 public:
  struct Options {
    bool run_workers = true;  // false: serve with workers = 0 (webhooks only)
    bool reconcile = false;   // schedule the delivery reconciler (serve)
    // Called once the registered App is in use, with the configuration
    // that now carries its id, slug, key and webhook secret.
    std::function<void(const ServerConfig&)> on_app;
  };
  // `github` may be null (no credentials yet): then `box` (which must
  // outlive this) opens the App a setup page stores.
  AppServices(ServerConfig config, std::string connection_string,
              std::unique_ptr<github::GitHubClient> github, const SecretBox* box, Options options);
  ~AppServices();
  AppServices(const AppServices&) = delete;
  AppServices& operator=(const AppServices&) = delete;

  Result<void> start();
  void stop();

  // Looks for a registered App now (the setup page stored one in this
  // process) instead of at the next look; returns once it is in use.
  void look_for_app_now();

  // Why /readyz is not ready because of the App (see AppAuthCheck), or nullopt.
  std::optional<std::string> app_not_ready() const;

  // `login`'s permission on `repo` ("owner/name") of the installation
  // ("admin", "write", "read" or "none"), asked of GitHub with the
  // installation's token (the web pages' access check). Fails without an
  // App or when GitHub does not answer.
  Result<std::string> collaborator_permission(int64_t installation_id, const std::string& repo,
                                              const std::string& login) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The configuration with a registered App's credentials where the
// configuration has none (the configuration wins, spec/configuration.md).
ServerConfig with_registered_app(ServerConfig config, int64_t app_id, const std::string& slug,
                                 const std::string& client_id, const std::string& private_key_pem,
                                 const std::string& webhook_secret);

}  // namespace bottega
