// FakeOAuth: the fake GitHub's user sign-in for a GitHub App (the OAuth web
// flow, spec/github.md "The fake GitHub"):
//   GET  /login/oauth/authorize     the page where a person authorizes the
//                                   App (a login field stands in for being
//                                   signed in to GitHub); submitting it
//                                   redirects to redirect_uri?code&state
//   POST /login/oauth/access_token  code → user token (JSON with Accept:
//                                   application/json, else form-encoded);
//                                   errors as GitHub gives them: 200 with
//                                   `error` and `error_description`
//   GET  /user                      the token's user
// Codes work once and for ten minutes; tokens for eight hours.
// Thread-safety: handle() from any thread (own mutex).
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "tests/support/fake_github/fake_server.h"

namespace bottega::fake_github {

class FakeOAuth {
 public:
  // The App's OAuth credentials at the time of the request (they change
  // when an App is registered through the manifest flow).
  struct App {
    std::string name;
    std::string client_id;
    std::string client_secret;
  };

  // The answer for an OAuth path, or nullopt when `req` is not one.
  std::optional<Response> handle(const Request& req, const App& app);

  // The login a user token (from `Authorization: Bearer|token T`) was
  // given to; nullopt when it is not a live user token.
  std::optional<std::string> login_of(const std::string& authorization);

 private:
  struct Grant {
    std::string login;
    std::string client_id;
    std::string redirect_uri;
    std::chrono::steady_clock::time_point expires;
  };
  Response authorize(const Request& req, const App& app);
  Response access_token(const Request& req, const App& app);

  std::mutex mu_;
  std::map<std::string, Grant> codes_;
  std::map<std::string, Grant> tokens_;
};

}  // namespace bottega::fake_github
