#include "app/setup.h"

#include <cctype>

#include "app/web/html.h"
#include "config/base/log.h"
#include "config/base/redactor.h"
#include "github/app_manifest.h"
#include "github/http_transport.h"

namespace bottega {
namespace {

HttpResponse html(int status, const std::string& title, const std::string& body) {
  HttpResponse r;
  r.status = status;
  r.content_type = "text/html; charset=utf-8";
  r.body = "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>" + web::escape(title) +
           "</title></head>\n<body>\n<h1>" + web::escape(title) + "</h1>\n" + body +
           "\n</body></html>\n";
  // The page carries the token in its links: keep it out of caches and referrers.
  r.headers.emplace_back("Cache-Control", "no-store");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  return r;
}

// GitHub's organization names: letters, digits and single hyphens.
bool valid_organization(std::string_view org) {
  if (org.empty() || org.size() > 39) return false;
  for (char c : org)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
  return true;
}

}  // namespace

std::string query_value(std::string_view target, std::string_view name) {
  auto q = target.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    auto eq = pair.find('=');
    if (pair.substr(0, eq) != name) continue;
    std::string_view raw = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    std::string out;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '+') {
        out += ' ';
      } else if (raw[i] == '%' && i + 2 < raw.size() &&
                 std::isxdigit(static_cast<unsigned char>(raw[i + 1])) &&
                 std::isxdigit(static_cast<unsigned char>(raw[i + 2]))) {
        auto digit = [](char c) {
          return std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : (c | 0x20) - 'a' + 10;
        };
        out += static_cast<char>(digit(raw[i + 1]) * 16 + digit(raw[i + 2]));
        i += 2;
      } else {
        out += raw[i];
      }
    }
    return out;
  }
  return {};
}

SetupPage::SetupPage(Database& db, const SecretBox& box, SetupOptions options)
    : db_(db), box_(box), options_(std::move(options)) {}

std::optional<HttpResponse> SetupPage::handle(const HttpRequest& request) {
  if (registered_) return std::nullopt;
  const auto path = request.path();
  if (path == "/setup")
    return page(query_value(request.target, "token"), query_value(request.target, "org"));
  if (path == "/setup/callback")
    return callback(query_value(request.target, "code"), query_value(request.target, "state"));
  return std::nullopt;
}

HttpResponse SetupPage::page(const std::string& token, const std::string& organization) {
  auto conn = db_.acquire();
  if (!conn) return html(503, "Setup unavailable", "<p>The database does not answer.</p>");
  auto valid = setup_token_valid(**conn, token);
  if (!valid) return html(503, "Setup unavailable", "<p>The database does not answer.</p>");
  if (!*valid)
    return html(403, "Setup needs its token",
                "<p>Open the setup link the server wrote in its log "
                "(<code>/setup?token=…</code>): the token keeps anyone else who can reach this "
                "port from registering an App into this server.</p>");
  std::string body;
  if (!options_.webhook_secret_configured)
    body +=
        "<p>This server has no App yet: it has no webhook secret, so it refuses every "
        "webhook, and it cannot act on GitHub. Registering the App gives it both.</p>\n";
  if (options_.public_url.empty())
    return html(200, "Register the GitHub App",
                body +
                    "<p><strong>Set the server's public URL first.</strong> GitHub sends "
                    "webhooks to <code>&lt;public_url&gt;/webhooks/github</code> and brings you "
                    "back to <code>&lt;public_url&gt;/setup/callback</code>, so it must know "
                    "an <code>https://</code> address where it reaches this server (a TLS "
                    "reverse proxy in front of it, or <code>tls.cert</code> and "
                    "<code>tls.key</code>). Set <code>public_url</code> (or "
                    "<code>BOTTEGA_PUBLIC_URL</code>), restart, and open the new setup link "
                    "from the log.</p>");
  if (!organization.empty() && !valid_organization(organization))
    return html(400, "Not an organization name",
                "<p>'" + web::escape(organization) +
                    "' is not a GitHub organization name (letters, digits, hyphens).</p>");
  auto state = new_setup_state(**conn, token);
  if (!state)
    return html(503, "Setup unavailable", "<p>" + web::escape(state.error().message) + "</p>");
  github::ManifestSettings settings;
  settings.name = options_.app_name;
  settings.public_url = options_.public_url;
  const std::string manifest = github::app_manifest_json(settings);
  const std::string action = github::manifest_form_url(options_.web_url, organization, *state);
  const std::string owner = organization.empty() ? "your personal account"
                                                 : "the organization " + web::escape(organization);
  body +=
      "<form method=\"post\" action=\"" + web::escape(action) +
      "\">\n<input type=\"hidden\" name=\"manifest\" value=\"" + web::escape(manifest) +
      "\">\n<button type=\"submit\">Register the App on " + owner +
      "</button>\n</form>\n"
      "<form method=\"get\" action=\"/setup\">\n<input type=\"hidden\" name=\"token\" value=\"" +
      web::escape(token) + "\">\n<label>Or on an organization: <input name=\"org\" value=\"" +
      web::escape(organization) +
      "\"></label> <button type=\"submit\">Use it</button>\n</form>\n"
      "<p>GitHub will show the App's name and its permissions (issues, pull requests, "
      "contents, checks and actions: read and write; statuses and metadata: read), create it, "
      "and send you back here.</p>";
  return html(200, "Register the GitHub App", body);
}

HttpResponse SetupPage::callback(const std::string& code, const std::string& state) {
  auto conn = db_.acquire();
  if (!conn) return html(503, "Setup unavailable", "<p>The database does not answer.</p>");
  auto valid = setup_state_valid(**conn, state);
  if (!valid) return html(503, "Setup unavailable", "<p>The database does not answer.</p>");
  if (!*valid || code.empty())
    return html(403, "Unknown registration",
                "<p>This answer from GitHub does not match a registration started on this "
                "server's setup page (its <code>state</code> is unknown). Start again from the "
                "setup link in the log.</p>");
  github::TransportOptions t;
  t.ca_file = options_.ca_file;
  github::HttpTransport transport(t);
  auto app = github::convert_manifest(transport, options_.api_url, code);
  if (!app) {
    component_log("setup").error("the App's registration failed: {}", app.error().describe());
    return html(502, "GitHub did not register the App",
                "<p>" + web::escape(app.error().describe()) +
                    "</p><p>Start again from the setup link in the log.</p>");
  }
  StoredApp stored;
  stored.app_id = app->id;
  stored.slug = app->slug;
  stored.client_id = app->client_id;
  stored.owner = app->owner;
  stored.html_url = app->html_url;
  stored.client_secret = app->client_secret;
  stored.private_key_pem = app->private_key_pem;
  stored.webhook_secret = app->webhook_secret;
  register_secret(stored.client_secret, "the App's client secret");
  register_pem(stored.private_key_pem, "the App private key");
  register_secret(stored.webhook_secret, "the webhook secret");
  if (auto saved = save_app_registration(**conn, box_, stored); !saved) {
    component_log("setup").error("{}", saved.error().message);
    return html(503, "The App was registered but not stored",
                "<p>" + web::escape(saved.error().message) +
                    "</p><p>Delete the App on GitHub and start again.</p>");
  }
  registered_ = true;
  component_log("setup").info("App {} (id {}) registered on {}; its credentials are stored sealed",
                              stored.slug, stored.app_id, stored.owner);
  if (options_.on_registered) options_.on_registered();
  const std::string base =
      stored.html_url.empty() ? options_.web_url + "/apps/" + stored.slug : stored.html_url;
  const std::string install = base + "/installations/new";
  return html(200, "App " + stored.slug + " registered",
              "<p>The server uses it now. Next, install it on the repositories it should work "
              "on:</p>\n<p><a href=\"" +
                  web::escape(install) + "\">" + web::escape(install) + "</a></p>");
}

}  // namespace bottega
