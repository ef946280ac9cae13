// The setup page: registers the GitHub App through GitHub's manifest flow
// when the server has no App credentials (spec/running.md#registering-the-app).
//
// GET /setup?token=T            the page (403 without the one-time token from
//                               the log): a form posting the manifest to
//                               GitHub, for an account or an organization
// GET /setup/callback?code&state GitHub's redirect: the code is converted
//                               into the App's credentials, stored sealed in
//                               the database; the page links to installing it
// Once an App is registered (here, on another host, or in the
// configuration), both answer 404.
//
// Thread-safety: handle() may be called from several threads at once (it
// blocks on the database and GitHub: call it off the server's threads).
// Ownership: borrows the database and the box, which must outlive it.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>

#include "app/http/server.h"
#include "engine/db/app_registration.h"
#include "engine/db/database.h"
#include "engine/db/secret_box.h"

namespace bottega {

struct SetupOptions {
  std::string public_url;  // empty: the page says how to set it
  std::string web_url = "https://github.com";
  std::string api_url = "https://api.github.com";
  std::string ca_file;
  std::string app_name = "Bottega";
  bool webhook_secret_configured = false;
  // Called once the App is stored, before the page answers: the server
  // starts using it (so the first webhook after installing it is taken).
  std::function<void()> on_registered;
};

class SetupPage {
 public:
  SetupPage(Database& db, const SecretBox& box, SetupOptions options);

  // The answer for /setup and /setup/callback.
  std::optional<HttpResponse> handle(const HttpRequest& request);

  // After this, the page is gone (404).
  void set_registered() { registered_ = true; }

 private:
  HttpResponse page(const std::string& token, const std::string& organization);
  HttpResponse callback(const std::string& code, const std::string& state);

  Database& db_;
  const SecretBox& box_;
  SetupOptions options_;
  std::atomic<bool> registered_{false};
};

// The value of `name` in a query string (percent-decoded), or "".
std::string query_value(std::string_view target, std::string_view name);

}  // namespace bottega
