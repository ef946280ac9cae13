// The app's routes: a plain function from request to response, kept apart
// from the server. Blocking work (the database) runs on a small pool so
// the server's threads never wait on it.
// Thread-safety: the returned Handler may be called from any thread.
#pragma once

#include <memory>
#include <string>

#include "app/http/server.h"
#include "engine/db/database.h"
#include "engine/intake/intake.h"

namespace bottega {

struct RouterDeps {
  Database* database = nullptr;  // required for /readyz
  Intake* intake = nullptr;      // required for /webhooks/github
  std::string webhook_secret;    // empty: webhooks are refused with 503
};

class Router {
 public:
  explicit Router(RouterDeps deps);
  ~Router();
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // The Handler to give to HttpServer; valid while the Router lives.
  Handler handler();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bottega
