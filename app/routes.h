// The app's routes: a plain function from request to response, kept apart
// from the server. Blocking work (the database) runs on a small pool so
// the server's threads never wait on it. /readyz never waits on the
// database: a background probe checks it every readiness_interval, and
// /readyz answers from the probe's last result, or "not ready" when the
// probe has been waiting longer than readiness_deadline (a stalled server).
// Thread-safety: the returned Handler may be called from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "app/http/server.h"
#include "engine/db/database.h"
#include "engine/intake/intake.h"

namespace bottega {
namespace web {
class WebUi;
}

struct RouterDeps {
  Database* database = nullptr;  // required for /readyz
  Intake* intake = nullptr;      // required for /webhooks/github
  std::string webhook_secret;    // empty: webhooks are refused with 503
  // Why the App cannot authenticate with GitHub, or nullopt (also when it
  // has no credentials yet); /readyz is not ready while there is a reason.
  std::function<std::optional<std::string>()> app_not_ready = nullptr;
  std::chrono::milliseconds readiness_interval{1000};
  std::chrono::milliseconds readiness_deadline{1000};
  bool webhooks = true;  // false: no /webhooks/github route (a worker's metrics port)
  // /setup and /setup/... (the App's registration, app/setup.h): called on
  // the blocking pool; nullopt answers 404.
  std::function<std::optional<HttpResponse>(const HttpRequest&)> setup = nullptr;
  // The web pages (/tasks…, /auth/…, /assets/…; app/web/web_ui.h); null: none.
  web::WebUi* web = nullptr;
};

class Router {
 public:
  // Starts the readiness probe when deps.database is set.
  explicit Router(RouterDeps deps);
  ~Router();  // stops the probe (waits for a probe in flight)
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // The Handler to give to HttpServer; valid while the Router lives.
  Handler handler();

  // Replaces the webhook secret (an App registered while the server runs);
  // requests after the call use it.
  void set_webhook_secret(std::string secret);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bottega
