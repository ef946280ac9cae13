// Sign in with GitHub: the App's own OAuth web flow (a GitHub App's user
// authorization). The person is sent to <web_url>/login/oauth/authorize,
// GitHub sends them back to <public_url>/auth/callback with a code, which
// is exchanged (with the App's client id and secret) for a user token; the
// token is used once, for GET /user, and then forgotten: the app keeps only
// the login, in a signed cookie.
// Thread-safety: const methods, safe from any thread (the transport pools
// its connections). Ownership: owns its transport.
#pragma once

#include <memory>
#include <string>

#include "config/base/result.h"

namespace bottega::github {
class HttpTransport;
}

namespace bottega::web {

struct OAuthSettings {
  std::string web_url = "https://github.com";
  std::string api_url = "https://api.github.com";
  std::string ca_file;
  std::string client_id;
  std::string client_secret;
  bool ready() const { return !client_id.empty() && !client_secret.empty(); }
};

class OAuthClient {
 public:
  explicit OAuthClient(OAuthSettings settings);
  ~OAuthClient();

  const OAuthSettings& settings() const { return settings_; }

  // Where to send the person: the authorize page with client_id,
  // redirect_uri and state, percent-encoded.
  std::string authorize_url(const std::string& redirect_uri, const std::string& state) const;

  // The login of the person who granted `code`. Fails with a message fit to
  // show them (GitHub's error description, or why GitHub could not be asked).
  Result<std::string> login_for_code(const std::string& code,
                                     const std::string& redirect_uri) const;

 private:
  OAuthSettings settings_;
  std::unique_ptr<github::HttpTransport> transport_;
};

// Whether `login` is a GitHub login (letters, digits, single hyphens, at
// most 39 characters; "[bot]" suffix allowed).
bool valid_login(const std::string& login);

}  // namespace bottega::web
