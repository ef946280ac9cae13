#include "app/routes.h"

#include <array>
#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <pqxx/pqxx>
#include <thread>

#include "app/metrics.h"
#include "app/web/web_ui.h"
#include "config/base/log.h"
#include "config/base/metrics.h"
#include "engine/db/migrations.h"
#include "github/webhook/signature.h"

namespace bottega {
namespace {

// GitHub's delivery ids are GUIDs; accept any short printable token.
bool valid_delivery_id(std::string_view id) {
  if (id.empty() || id.size() > 100) return false;
  for (char c : id)
    if (c <= ' ' || c > '~') return false;
  return true;
}

// GitHub's event names: lower-case words joined by underscores.
bool valid_event_name(std::string_view event) {
  if (event.empty() || event.size() > 64) return false;
  for (char c : event)
    if (!(c >= 'a' && c <= 'z') && c != '_') return false;
  return true;
}

int status_for(IntakeOutcome outcome) {
  switch (outcome) {
    case IntakeOutcome::accepted:
      return 202;
    case IntakeOutcome::duplicate:
      return 200;
    case IntakeOutcome::ignored:
      return 202;
    case IntakeOutcome::rejected:
      return 400;
    case IntakeOutcome::failed:
      return 503;
  }
  return 500;
}

}  // namespace

struct Router::Impl {
  RouterDeps deps;
  boost::asio::thread_pool blocking{2};
  // The secret webhooks are checked with: deps.webhook_secret, or the
  // registered App's once set_webhook_secret() ran.
  std::atomic<std::shared_ptr<const std::string>> webhook_secret;

  // The readiness probe's state, under probe_mutex.
  using Clock = std::chrono::steady_clock;
  std::mutex probe_mutex;
  std::condition_variable probe_changed;
  std::optional<HttpResponse> last_check;        // nullopt until the first check ends
  std::optional<Clock::time_point> probe_since;  // set while a check runs
  bool probe_stopping = false;
  std::thread probe;

  // One check of the database on the probe's own connection; blocks as
  // long as the database does (the probe thread only).
  HttpResponse check_database(std::unique_ptr<pqxx::connection>& conn) {
    const auto& where = deps.database->connection_string();
    try {
      if (!conn || !conn->is_open()) {
        auto opened = deps.database->connect();
        if (!opened) return HttpResponse::text(503, "not ready: " + opened.error().message + "\n");
        conn = std::move(*opened);
        // A lock held elsewhere must not hold the probe.
        pqxx::nontransaction(*conn).exec("SET statement_timeout = 2000");
      }
      auto pending = pending_migrations(*conn, builtin_migrations());
      if (!pending)
        return HttpResponse::text(
            503, "not ready: " + redact_database_error(pending.error().message, where) + "\n");
      if (*pending > 0)
        return HttpResponse::text(
            503, "not ready: " + std::to_string(*pending) + " database migration(s) not applied\n");
      return HttpResponse::text(200, "ready\n");
    } catch (const std::exception& e) {
      conn.reset();
      return HttpResponse::text(
          503, "not ready: the database failed: " + redact_database_error(e.what(), where) + "\n");
    }
  }

  void probe_loop() {
    std::unique_ptr<pqxx::connection> conn;
    std::unique_lock lock(probe_mutex);
    while (!probe_stopping) {
      probe_since = Clock::now();
      lock.unlock();
      HttpResponse result = check_database(conn);
      lock.lock();
      probe_since.reset();
      last_check = std::move(result);
      probe_changed.notify_all();
      probe_changed.wait_for(lock, deps.readiness_interval, [&] { return probe_stopping; });
    }
  }

  // The answer from the probe's state, or nullopt when the first check is
  // still under way and not yet overdue. Caller holds probe_mutex.
  std::optional<HttpResponse> readiness_locked(Clock::time_point now) {
    if (probe_since && now - *probe_since > deps.readiness_deadline) {
      auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(now - *probe_since);
      return HttpResponse::text(503, "not ready: the database has not answered for " +
                                         std::to_string(waited.count()) + " ms\n");
    }
    return last_check;
  }

  void readiness(Responder given) {
    // The database first; once it is ready, the App's credentials.
    Responder respond = [this, given = std::move(given)](HttpResponse answer) {
      if (answer.status == 200 && deps.app_not_ready)
        if (auto reason = deps.app_not_ready())
          answer = HttpResponse::text(503, "not ready: " + *reason + "\n");
      given(std::move(answer));
    };
    {
      std::lock_guard lock(probe_mutex);
      if (auto answer = readiness_locked(Clock::now())) return respond(std::move(*answer));
    }
    // Only before the first check ends: wait for it, never past the deadline.
    boost::asio::post(blocking, [this, respond = std::move(respond)] {
      std::unique_lock lock(probe_mutex);
      const auto until = Clock::now() + deps.readiness_deadline;
      probe_changed.wait_until(lock, until, [&] { return last_check.has_value(); });
      auto answer = readiness_locked(Clock::now());
      lock.unlock();
      respond(answer ? std::move(*answer)
                     : HttpResponse::text(503, "not ready: the database has not answered yet\n"));
    });
  }

  // Rendering may read the database (the gauges' collectors): not on the
  // server's threads.
  void metrics(Responder respond) {
    boost::asio::post(blocking, [respond = std::move(respond)] {
      HttpResponse r = HttpResponse::text(200, metrics::Registry::global().render());
      r.content_type = "text/plain; version=0.0.4; charset=utf-8";
      respond(std::move(r));
    });
  }

  void webhook(HttpRequest&& request, Responder respond) {
    static auto& log = component_log("intake");
    if (request.method != "POST") return respond(HttpResponse::text(405, "use POST\n"));
    const auto secret = webhook_secret.load();
    if (secret->empty() || !deps.intake) {
      log.error("a webhook arrived but no webhook secret is configured (webhook.secret)");
      return respond(HttpResponse::text(503, "webhook secret not configured\n"));
    }
    const std::string delivery_id(request.header("x-github-delivery"));
    auto check = check_signature(*secret, request.body, request.header("x-hub-signature-256"));
    if (check != SignatureCheck::valid) {
      metrics::add("bottega_webhook_signature_failures_total", {});
      log.warn("delivery {} from {} refused: {}", delivery_id.empty() ? "(no id)" : delivery_id,
               request.remote, describe(check));
      return respond(HttpResponse::text(401, std::string(describe(check)) + "\n"));
    }
    if (!valid_delivery_id(delivery_id))
      return respond(HttpResponse::text(400, "missing or invalid X-GitHub-Delivery header\n"));
    std::string event(request.header("x-github-event"));
    if (!valid_event_name(event))
      return respond(HttpResponse::text(400, "missing or invalid X-GitHub-Event header\n"));

    const auto arrived = std::chrono::steady_clock::now();
    deps.intake->submit(
        IncomingDelivery{delivery_id, event, std::move(request.body)},
        [respond = std::move(respond), delivery_id, event, arrived](IntakeResult result) {
          metrics::add("bottega_webhook_deliveries_total",
                       {event, std::string(to_string(result.outcome))});
          metrics::observe(
              "bottega_webhook_intake_duration_seconds", {},
              std::chrono::duration<double>(std::chrono::steady_clock::now() - arrived).count());
          if (result.outcome == IntakeOutcome::rejected)
            component_log("intake").warn("delivery {} rejected: {}", delivery_id, result.message);
          auto response = HttpResponse::text(status_for(result.outcome), result.message + "\n");
          if (result.retry_after_seconds > 0)
            response.headers.emplace_back("Retry-After",
                                          std::to_string(result.retry_after_seconds));
          respond(std::move(response));
        });
  }

  // Each answer is timed, by route (a fixed set: never the raw path).
  void handle(HttpRequest&& request, Responder given) {
    const auto path = request.path();
    std::string route = "other";
    for (const char* known :
         {"/webhooks/github", "/healthz", "/readyz", "/metrics", "/setup", "/setup/callback"})
      if (path == known) route = known;
    const bool web_page = deps.web && web::WebUi::owns(path);
    if (web_page) route = "/tasks";  // every web page and asset, as one route
    Responder respond = [given = std::move(given), route,
                         started = std::chrono::steady_clock::now()](HttpResponse answer) {
      metrics::observe(
          "bottega_http_request_duration_seconds", {route, std::to_string(answer.status)},
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      given(std::move(answer));
    };
    const bool get = request.method == "GET" || request.method == "HEAD";
    if (path == "/webhooks/github" && deps.webhooks)
      return webhook(std::move(request), std::move(respond));
    if (path == "/healthz") {
      if (!get) return respond(HttpResponse::text(405, "use GET\n"));
      return respond(HttpResponse::text(200, "ok\n"));
    }
    if (path == "/readyz") {
      if (!get) return respond(HttpResponse::text(405, "use GET\n"));
      return readiness(std::move(respond));
    }
    if ((path == "/setup" || path.rfind("/setup/", 0) == 0) && deps.setup) {
      if (!get) return respond(HttpResponse::text(405, "use GET\n"));
      return boost::asio::post(
          blocking, [this, request = std::move(request), respond = std::move(respond)]() mutable {
            auto answer = deps.setup(request);
            respond(answer ? std::move(*answer)
                           : HttpResponse::text(
                                 404, "no route for " + std::string(request.path()) + "\n"));
          });
    }
    if (path == "/metrics") {
      if (!get) return respond(HttpResponse::text(405, "use GET\n"));
      return metrics(std::move(respond));
    }
    if (web_page) return deps.web->handle(std::move(request), std::move(respond));
    respond(HttpResponse::text(404, "no route for " + std::string(path) + "\n"));
  }
};

Router::Router(RouterDeps deps) : impl_(std::make_unique<Impl>()) {
  declare_metrics();
  impl_->deps = std::move(deps);
  impl_->webhook_secret.store(std::make_shared<const std::string>(impl_->deps.webhook_secret));
  if (impl_->deps.database)
    impl_->probe = std::thread([impl = impl_.get()] { impl->probe_loop(); });
}

Router::~Router() {
  {
    std::lock_guard lock(impl_->probe_mutex);
    impl_->probe_stopping = true;
  }
  impl_->probe_changed.notify_all();
  if (impl_->probe.joinable()) impl_->probe.join();
  impl_->blocking.join();
}

void Router::set_webhook_secret(std::string secret) {
  impl_->webhook_secret.store(std::make_shared<const std::string>(std::move(secret)));
}

Handler Router::handler() {
  return [impl = impl_.get()](HttpRequest&& request, Responder respond) {
    impl->handle(std::move(request), std::move(respond));
  };
}

}  // namespace bottega
