#include "app/routes.h"

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include "engine/db/migrations.h"

namespace bottega {

struct Router::Impl {
  RouterDeps deps;
  boost::asio::thread_pool blocking{2};

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

  void handle(HttpRequest&& request, Responder respond) {
    const auto path = request.path();
    const bool get = request.method == "GET" || request.method == "HEAD";
    if (path == "/healthz") {
      if (!get) return respond(HttpResponse::text(405, "use GET\n"));
      return respond(HttpResponse::text(200, "ok\n"));
    }
    if (path == "/readyz") {
      if (!get) return respond(HttpResponse::text(405, "use GET\n"));
      boost::asio::post(blocking, [this, respond = std::move(respond)] { respond(readiness()); });
      return;
    }
    respond(HttpResponse::text(404, "no route for " + std::string(path) + "\n"));
  }
};

Router::Router(RouterDeps deps) : impl_(std::make_unique<Impl>()) { impl_->deps = deps; }

Router::~Router() { impl_->blocking.join(); }

Handler Router::handler() {
  return [impl = impl_.get()](HttpRequest&& request, Responder respond) {
    impl->handle(std::move(request), std::move(respond));
  };
}

}  // namespace bottega
