// GitHub's App manifest flow (docs: "Registering a GitHub App from a
// manifest"): the manifest this server asks GitHub to register, and the
// conversion of the code GitHub sends back into the App's credentials.
// Thread-safety: pure functions, and convert_manifest() may be called from
// any thread. Ownership: values only.
#pragma once

#include <cstdint>
#include <string>

#include "github/error.h"

namespace bottega::github {

class HttpTransport;

struct ManifestSettings {
  std::string name = "Bottega";  // GitHub makes it unique per account
  std::string public_url;        // https://host[:port], no trailing slash
};

// The manifest JSON: the webhook at <public_url>/webhooks/github, the
// redirect to <public_url>/setup/callback, exactly the permissions the app
// uses (issues, pull requests, contents, checks: write; actions, statuses,
// metadata: read) and every event it handles. Private App.
std::string app_manifest_json(const ManifestSettings& settings);

// Where the manifest form posts: <web_url>/settings/apps/new, or
// <web_url>/organizations/<org>/settings/apps/new for an organization.
// `state` goes in the query and comes back with the code.
std::string manifest_form_url(const std::string& web_url, const std::string& organization,
                              const std::string& state);

// What GitHub returns for a converted manifest.
struct RegisteredApp {
  int64_t id = 0;
  std::string slug;
  std::string client_id;
  std::string client_secret;
  std::string webhook_secret;
  std::string private_key_pem;
  std::string html_url;
  std::string owner;  // the account's login
};

// Reads the answer of POST /app-manifests/{code}/conversions; fails naming
// the missing field.
Result<RegisteredApp> parse_registered_app(const std::string& body);

// POST <api_url>/app-manifests/{code}/conversions (no authentication: the
// code is the credential, valid once and for an hour). A used or expired
// code is GitHub's 404.
GhResult<RegisteredApp> convert_manifest(HttpTransport& transport, const std::string& api_url,
                                         const std::string& code);

}  // namespace bottega::github
