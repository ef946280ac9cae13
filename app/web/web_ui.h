// The web pages (spec/web.md): the task board (/tasks), the task page
// (/tasks/<id>) with its live transcript (/tasks/<id>/stream, server-sent
// events), and sign-in with GitHub (/auth/login, /auth/callback,
// /auth/logout) through the App's OAuth client.
//
// Access: a signed-in person sees a task only when their permission on the
// task's repository (asked of GitHub with the installation's token) is at
// least read; otherwise the task does not exist for them (404). Signed out,
// every page is the sign-in page. Without the App's client id and secret
// nobody can sign in, and the pages say so.
//
// The stream is long-polled SSE: a response holds until something new is
// stored (or `stream_hold` passes), sends it and ends with a short `retry`;
// the browser reconnects with Last-Event-ID. No connection stays open
// between events, so the server's own deadlines and drain apply unchanged.
//
// Thread-safety: handle() from any thread; the work runs on the UI's own
// small pool. Ownership: borrows the Database; owns its pool and caches.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "app/http/server.h"
#include "app/web/oauth.h"
#include "config/base/clock.h"
#include "config/base/result.h"
#include "engine/db/database.h"

namespace bottega::web {

// The person's permission on a repository ("admin", "write", "read" or
// "none"), asked through the App's installation.
using PermissionLookup = std::function<Result<std::string>(
    int64_t installation_id, const std::string& repo, const std::string& login)>;

struct WebUiOptions {
  std::string public_url;  // the callback is <public_url>/auth/callback
  std::string github_web_url = "https://github.com";
  OAuthSettings oauth;
  std::chrono::milliseconds stream_hold{15'000};
  std::chrono::milliseconds stream_poll{200};
  std::chrono::seconds permission_ttl{60};
};

class WebUi {
 public:
  WebUi(Database& db, WebUiOptions options, PermissionLookup permission,
        const Clock& clock = SystemClock::instance());
  ~WebUi();  // stop()s
  WebUi(const WebUi&) = delete;
  WebUi& operator=(const WebUi&) = delete;

  // Whether the path is one of the UI's (/tasks…, /auth/…, /assets/…).
  static bool owns(std::string_view path);
  // Answers a request owns() accepted, later, from the UI's pool.
  void handle(HttpRequest&& request, Responder respond);

  // The App's OAuth credentials changed (an App registered while running).
  void set_oauth(OAuthSettings oauth);

  // Answers every held stream at once and refuses new work; call before
  // stopping the HTTP server so its drain is not held by a stream.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bottega::web
