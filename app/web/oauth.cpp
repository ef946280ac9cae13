#include "app/web/oauth.h"

#include <simdjson.h>

#include <cctype>

#include "github/http_transport.h"

namespace bottega::web {
namespace {

std::string percent_encode(const std::string& s) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 15];
    }
  }
  return out;
}

std::string trimmed(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

std::string field(simdjson::dom::element e, const char* key) {
  std::string_view v;
  if (e[key].get_string().get(v)) return "";
  return std::string(v);
}

}  // namespace

OAuthClient::OAuthClient(OAuthSettings settings) : settings_(std::move(settings)) {
  github::TransportOptions o;
  o.ca_file = settings_.ca_file;
  o.connect_timeout = std::chrono::seconds(10);
  o.read_timeout = std::chrono::seconds(15);
  o.max_connections_per_host = 4;
  o.user_agent = "bottega-github-app";
  transport_ = std::make_unique<github::HttpTransport>(o);
}

OAuthClient::~OAuthClient() = default;

std::string OAuthClient::authorize_url(const std::string& redirect_uri,
                                       const std::string& state) const {
  return trimmed(settings_.web_url) +
         "/login/oauth/authorize?client_id=" + percent_encode(settings_.client_id) +
         "&redirect_uri=" + percent_encode(redirect_uri) + "&state=" + percent_encode(state);
}

Result<std::string> OAuthClient::login_for_code(const std::string& code,
                                                const std::string& redirect_uri) const {
  github::HttpCall exchange;
  exchange.method = "POST";
  exchange.url = trimmed(settings_.web_url) + "/login/oauth/access_token";
  exchange.headers = {{"Accept", "application/json"},
                      {"Content-Type", "application/x-www-form-urlencoded"}};
  exchange.body = "client_id=" + percent_encode(settings_.client_id) +
                  "&client_secret=" + percent_encode(settings_.client_secret) +
                  "&code=" + percent_encode(code) + "&redirect_uri=" + percent_encode(redirect_uri);
  exchange.follow_redirects = false;
  exchange.max_body_bytes = 64 * 1024;
  auto reply = transport_->send(exchange);
  if (!reply) return make_error("GitHub could not be asked for a token: " + reply.error().message);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (reply->status != 200 || parser.parse(reply->body).get(doc))
    return make_error("GitHub refused the sign-in (HTTP " + std::to_string(reply->status) + ")");
  const std::string token = field(doc, "access_token");
  if (token.empty()) {
    std::string why = field(doc, "error_description");
    if (why.empty()) why = field(doc, "error");
    return make_error("GitHub refused the sign-in: " + (why.empty() ? "no token" : why));
  }
  github::HttpCall user;
  user.url = trimmed(settings_.api_url) + "/user";
  user.headers = {{"Accept", "application/vnd.github+json"},
                  {"Authorization", "Bearer " + token},
                  {"X-GitHub-Api-Version", "2022-11-28"}};
  user.max_body_bytes = 256 * 1024;
  auto who = transport_->send(user);
  if (!who) return make_error("GitHub could not be asked who signed in: " + who.error().message);
  simdjson::dom::element u;
  if (who->status != 200 || parser.parse(who->body).get(u))
    return make_error("GitHub did not say who signed in (HTTP " + std::to_string(who->status) +
                      ")");
  std::string login = field(u, "login");
  if (!valid_login(login)) return make_error("GitHub answered with an invalid login");
  return login;
}

bool valid_login(const std::string& login) {
  std::string_view name = login;
  if (name.size() > 5 && name.substr(name.size() - 5) == "[bot]") name.remove_suffix(5);
  if (name.empty() || name.size() > 39 || name.front() == '-' || name.back() == '-') return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c == '-' && name[i - 1] == '-') return false;
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
  }
  return true;
}

}  // namespace bottega::web
