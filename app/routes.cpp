#include "app/routes.h"

#include <array>
#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include "config/base/log.h"
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
    case IntakeOutcome::accepted: return 202;
    case IntakeOutcome::duplicate: return 200;
    case IntakeOutcome::ignored: return 202;
    case IntakeOutcome::rejected: return 400;
    case IntakeOutcome::failed: return 503;
  }
  return 500;
}

}  // namespace

struct Router::Impl {
  RouterDeps deps;
  boost::asio::thread_pool blocking{2};
  std::atomic<uint64_t> signature_failures{0};
  std::array<std::atomic<uint64_t>, 5> deliveries{};  // by IntakeOutcome

  HttpResponse readiness() {
    auto lease = deps.database->acquire();
    if (!lease) return HttpResponse::text(503, "not ready: " + lease.error().message + "\n");
    auto pending = pending_migrations(**lease, builtin_migrations());
    if (!pending) return HttpResponse::text(503, "not ready: " + pending.error().message + "\n");
    if (*pending > 0)
      return HttpResponse::text(
          503, "not ready: " + std::to_string(*pending) + " database migration(s) not applied\n");
    return HttpResponse::text(200, "ready\n");
  }

  HttpResponse metrics() {
    std::string out =
        "# HELP bottega_webhook_signature_failures_total Deliveries refused for a bad signature.\n"
        "# TYPE bottega_webhook_signature_failures_total counter\n"
        "bottega_webhook_signature_failures_total " +
        std::to_string(signature_failures.load()) +
        "\n# HELP bottega_webhook_deliveries_total Deliveries by outcome.\n"
        "# TYPE bottega_webhook_deliveries_total counter\n";
    for (int i = 0; i < 5; ++i)
      out += "bottega_webhook_deliveries_total{outcome=\"" +
             std::string(to_string(static_cast<IntakeOutcome>(i))) + "\"} " +
             std::to_string(deliveries[i].load()) + "\n";
    HttpResponse r = HttpResponse::text(200, std::move(out));
    r.content_type = "text/plain; version=0.0.4";
    return r;
  }

  void webhook(HttpRequest&& request, Responder respond) {
    static auto& log = component_log("intake");
    if (request.method != "POST") return respond(HttpResponse::text(405, "use POST\n"));
    if (deps.webhook_secret.empty() || !deps.intake) {
      log.error("a webhook arrived but no webhook secret is configured (webhook.secret)");
      return respond(HttpResponse::text(503, "webhook secret not configured\n"));
    }
    const std::string delivery_id(request.header("x-github-delivery"));
    auto check = check_signature(deps.webhook_secret, request.body,
                                 request.header("x-hub-signature-256"));
    if (check != SignatureCheck::valid) {
      ++signature_failures;
      log.warn("delivery {} from {} refused: {}", delivery_id.empty() ? "(no id)" : delivery_id,
               request.remote, describe(check));
      return respond(HttpResponse::text(401, std::string(describe(check)) + "\n"));
    }
    if (!valid_delivery_id(delivery_id))
      return respond(HttpResponse::text(400, "missing or invalid X-GitHub-Delivery header\n"));
    std::string event(request.header("x-github-event"));
    if (!valid_event_name(event))
      return respond(HttpResponse::text(400, "missing or invalid X-GitHub-Event header\n"));

    deps.intake->submit(
        IncomingDelivery{delivery_id, std::move(event), std::move(request.body)},
        [this, respond = std::move(respond), delivery_id](IntakeResult result) {
          ++deliveries[static_cast<int>(result.outcome)];
          if (result.outcome == IntakeOutcome::rejected)
            component_log("intake").warn("delivery {} rejected: {}", delivery_id, result.message);
          respond(HttpResponse::text(status_for(result.outcome), result.message + "\n"));
        });
  }

  void handle(HttpRequest&& request, Responder respond) {
    const auto path = request.path();
    const bool get = request.method == "GET" || request.method == "HEAD";
    if (path == "/webhooks/github") return webhook(std::move(request), std::move(respond));
    if (path == "/healthz") {
      if (!get) return respond(HttpResponse::text(405, "use GET\n"));
      return respond(HttpResponse::text(200, "ok\n"));
    }
    if (path == "/readyz") {
      if (!get) return respond(HttpResponse::text(405, "use GET\n"));
      boost::asio::post(blocking, [this, respond = std::move(respond)] { respond(readiness()); });
      return;
    }
    if (path == "/metrics") {
      if (!get) return respond(HttpResponse::text(405, "use GET\n"));
      return respond(metrics());
    }
    respond(HttpResponse::text(404, "no route for " + std::string(path) + "\n"));
  }
};

Router::Router(RouterDeps deps) : impl_(std::make_unique<Impl>()) { impl_->deps = std::move(deps); }

Router::~Router() { impl_->blocking.join(); }

Handler Router::handler() {
  return [impl = impl_.get()](HttpRequest&& request, Responder respond) {
    impl->handle(std::move(request), std::move(respond));
  };
}

}  // namespace bottega
