#include "tests/support/fake_github/fake_oauth.h"

#include <openssl/rand.h>

#include <cctype>

namespace bottega::fake_github {
namespace {

std::string random_token(std::size_t n) {
  static const char* chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string bytes(n, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(n));
  std::string out;
  for (unsigned char b : bytes) out += chars[b % 62];
  return out;
}

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string encode(const std::string& text) {
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

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out += c;
  }
  return out + "\"";
}

bool valid_login(const std::string& login) {
  if (login.empty() || login.size() > 39 || login.front() == '-' || login.back() == '-')
    return false;
  for (char c : login)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
  return true;
}

Response html(int status, std::string body) {
  Response r;
  r.status = status;
  r.content_type = "text/html; charset=utf-8";
  r.body =
      "<!doctype html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
      "content=\"width=device-width, initial-scale=1\"><title>Authorize application</title>"
      "</head><body style=\"font-family:sans-serif;max-width:30em;margin:3em auto\">" +
      body + "</body></html>";
  return r;
}

// A form field or query parameter from "a=1&b=2".
std::string param(const std::string& text, const std::string& name) {
  Request r;
  r.query = text;
  return r.query_param(name);
}

}  // namespace

std::optional<Response> FakeOAuth::handle(const Request& req, const App& app) {
  if (req.path == "/login/oauth/authorize" && req.method == "GET") return authorize(req, app);
  if (req.path == "/login/oauth/access_token" && req.method == "POST")
    return access_token(req, app);
  return std::nullopt;
}

Response FakeOAuth::authorize(const Request& req, const App& app) {
  const std::string client_id = req.query_param("client_id");
  const std::string redirect_uri = req.query_param("redirect_uri");
  const std::string state = req.query_param("state");
  const std::string login = req.query_param("login");
  if (client_id.empty() || client_id != app.client_id)
    return html(404,
                "<h1>404</h1><p>No application has the client id " + escape(client_id) + ".</p>");
  if (redirect_uri.rfind("http://", 0) != 0 && redirect_uri.rfind("https://", 0) != 0)
    return html(400, "<h1>Bad redirect_uri</h1>");
  if (login.empty()) {
    // The page GitHub shows a signed-in person; here the login is typed.
    return html(200, "<h1>Authorize " + escape(app.name) +
                         "</h1><p>The application wants to know who you are on GitHub.</p>"
                         "<form method=\"get\" action=\"/login/oauth/authorize\">"
                         "<input type=\"hidden\" name=\"client_id\" value=\"" +
                         escape(client_id) +
                         "\"><input type=\"hidden\" name=\"redirect_uri\" value=\"" +
                         escape(redirect_uri) +
                         "\"><input type=\"hidden\" name=\"state\" value=\"" + escape(state) +
                         "\"><p><label>Signed in to GitHub as <input id=\"login\" name=\"login\" "
                         "value=\"octocat\" autocomplete=\"off\"></label></p>"
                         "<p><button id=\"authorize\" type=\"submit\">Authorize " +
                         escape(app.name) + "</button></p></form>");
  }
  if (!valid_login(login)) return html(422, "<h1>Not a GitHub login</h1>");
  const std::string code = random_token(20);
  {
    std::lock_guard lock(mu_);
    codes_[code] = {login, client_id, redirect_uri,
                    std::chrono::steady_clock::now() + std::chrono::minutes(10)};
  }
  Response r;
  r.status = 302;
  r.content_type = "text/html; charset=utf-8";
  r.headers.emplace_back("location", redirect_uri +
                                         (redirect_uri.find('?') == std::string::npos ? "?" : "&") +
                                         "code=" + code + "&state=" + encode(state));
  return r;
}

Response FakeOAuth::access_token(const Request& req, const App& app) {
  // Parameters in the body (form) or the query, as GitHub takes either.
  auto get = [&](const char* name) {
    std::string v = param(req.body, name);
    return v.empty() ? req.query_param(name) : v;
  };
  const bool want_json = req.header("accept").find("json") != std::string::npos;
  auto answer = [&](const std::map<std::string, std::string>& fields) {
    Response r;
    r.status = 200;
    if (want_json) {
      r.body = "{";
      for (const auto& [k, v] : fields)
        r.body += (r.body.size() > 1 ? "," : "") + json_string(k) + ":" + json_string(v);
      r.body += "}";
    } else {
      r.content_type = "application/x-www-form-urlencoded; charset=utf-8";
      for (const auto& [k, v] : fields) r.body += (r.body.empty() ? "" : "&") + k + "=" + encode(v);
    }
    return r;
  };
  if (get("client_id") != app.client_id || get("client_secret") != app.client_secret ||
      app.client_secret.empty())
    return answer(
        {{"error", "incorrect_client_credentials"},
         {"error_description", "The client_id and/or client_secret passed are incorrect."},
         {"error_uri",
          "https://docs.github.com/apps/managing-oauth-apps/"
          "troubleshooting-oauth-app-access-token-request-errors/"
          "#incorrect-client-credentials"}});
  std::lock_guard lock(mu_);
  auto it = codes_.find(get("code"));
  const bool redirect_ok = it != codes_.end() && (get("redirect_uri").empty() ||
                                                  get("redirect_uri") == it->second.redirect_uri);
  if (it == codes_.end() || it->second.expires < std::chrono::steady_clock::now() ||
      it->second.client_id != app.client_id || !redirect_ok) {
    if (it != codes_.end()) codes_.erase(it);
    return answer({{"error", "bad_verification_code"},
                   {"error_description", "The code passed is incorrect or expired."}});
  }
  Grant grant = it->second;
  codes_.erase(it);
  grant.expires = std::chrono::steady_clock::now() + std::chrono::hours(8);
  const std::string token = "ghu_" + random_token(36);
  tokens_[token] = grant;
  return answer({{"access_token", token}, {"token_type", "bearer"}, {"scope", ""}});
}

std::optional<std::string> FakeOAuth::login_of(const std::string& authorization) {
  std::string token;
  if (authorization.rfind("Bearer ", 0) == 0) token = authorization.substr(7);
  if (authorization.rfind("token ", 0) == 0) token = authorization.substr(6);
  if (token.empty()) return std::nullopt;
  std::lock_guard lock(mu_);
  auto it = tokens_.find(token);
  if (it == tokens_.end() || it->second.expires < std::chrono::steady_clock::now())
    return std::nullopt;
  return it->second.login;
}

}  // namespace bottega::fake_github
