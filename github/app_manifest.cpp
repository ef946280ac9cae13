#include "github/app_manifest.h"

#include <simdjson.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>

#include "github/http_transport.h"

namespace bottega::github {
namespace {

std::string percent_encode(const std::string& text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace

std::string app_manifest_json(const ManifestSettings& s) {
  namespace json = boost::json;
  // actions: write to re-run a possibly flaky check's failed jobs (spec/shepherd.md).
  json::object permissions{{"issues", "write"}, {"pull_requests", "write"}, {"contents", "write"},
                           {"checks", "write"}, {"actions", "write"},       {"statuses", "read"},
                           {"metadata", "read"}};
  // Every event engine/intake routes (installation events come to every App).
  json::array events{"check_run",
                     "check_suite",
                     "issue_comment",
                     "issues",
                     "pull_request",
                     "pull_request_review",
                     "pull_request_review_comment",
                     "push",
                     "repository",
                     "status",
                     "workflow_run"};
  json::object manifest{
      {"name", s.name},
      {"url", s.public_url},
      {"hook_attributes",
       json::object{{"url", s.public_url + "/webhooks/github"}, {"active", true}}},
      {"redirect_url", s.public_url + "/setup/callback"},
      // The second is where "Sign in with GitHub" comes back (spec/web.md).
      {"callback_urls",
       json::array{s.public_url + "/setup/callback", s.public_url + "/auth/callback"}},
      {"setup_url", s.public_url + "/setup"},
      {"public", false},
      {"default_permissions", permissions},
      {"default_events", events},
  };
  return json::serialize(manifest);
}

std::string manifest_form_url(const std::string& web_url, const std::string& organization,
                              const std::string& state) {
  std::string base = web_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  const std::string path = organization.empty() ? "/settings/apps/new"
                                                : "/organizations/" + percent_encode(organization) +
                                                      "/settings/apps/new";
  return base + path + "?state=" + percent_encode(state);
}

Result<RegisteredApp> parse_registered_app(const std::string& body) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(body).get(doc)) return make_error("GitHub's answer is not JSON");
  RegisteredApp app;
  auto text = [&](const char* field, std::string& out) -> bool {
    std::string_view v;
    if (doc[field].get(v) || v.empty()) return false;
    out = std::string(v);
    return true;
  };
  if (doc["id"].get(app.id) || app.id <= 0) return make_error("GitHub's answer has no App id");
  for (auto [field, out] : {std::pair{"slug", &app.slug},
                            {"client_id", &app.client_id},
                            {"client_secret", &app.client_secret},
                            {"webhook_secret", &app.webhook_secret},
                            {"pem", &app.private_key_pem}})
    if (!text(field, *out)) return make_error(std::string("GitHub's answer has no ") + field);
  (void)text("html_url", app.html_url);
  std::string_view login;
  if (!doc["owner"]["login"].get(login)) app.owner = std::string(login);
  return app;
}

GhResult<RegisteredApp> convert_manifest(HttpTransport& transport, const std::string& api_url,
                                         const std::string& code) {
  HttpCall call;
  call.method = "POST";
  call.url = api_url + "/app-manifests/" + percent_encode(code) + "/conversions";
  call.headers = {{"Accept", "application/vnd.github+json"},
                  {"X-GitHub-Api-Version", "2022-11-28"}};
  auto reply = transport.send(call);
  if (!reply) {
    auto e = GitHubError::transport_failure(reply.error().message);
    e.route = "POST /app-manifests/{code}/conversions";
    return e;
  }
  if (reply->status != 201) {
    GitHubError e;
    e.kind = GitHubError::Kind::http;
    e.status = reply->status;
    e.route = "POST /app-manifests/{code}/conversions";
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    std::string_view message;
    if (!parser.parse(reply->body).get(doc) && !doc["message"].get(message))
      e.message = std::string(message);
    if (reply->status == 404)
      e.message += (e.message.empty() ? "" : ": ") +
                   std::string("the code was used already or expired (they last an hour)");
    return e;
  }
  auto app = parse_registered_app(reply->body);
  if (!app) return GitHubError::local(GitHubError::Kind::decode, app.error().message);
  return std::move(*app);
}

}  // namespace bottega::github
