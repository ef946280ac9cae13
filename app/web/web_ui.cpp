#include "app/web/web_ui.h"

#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <charconv>
#include <map>
#include <mutex>

#include "app/web/assets.h"
#include "app/web/html.h"
#include "app/web/session.h"
#include "app/web/task_reads.h"
#include "app/web/task_view.h"
#include "app/web/transcript_view.h"
#include "config/base/log.h"

namespace bottega::web {
namespace {

constexpr int kStreamBatch = 500;
constexpr std::string_view kSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

HttpResponse html_response(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.content_type = "text/html; charset=utf-8";
  r.body = std::move(body);
  r.headers = {{"Content-Security-Policy", std::string(kSecurityPolicy)},
               {"X-Content-Type-Options", "nosniff"},
               {"Referrer-Policy", "same-origin"},
               {"Cache-Control", "no-store"}};
  return r;
}

HttpResponse redirect(std::string location) {
  HttpResponse r;
  r.status = 302;
  r.content_type = "text/html; charset=utf-8";
  r.headers = {{"Location", std::move(location)}, {"Cache-Control", "no-store"}};
  return r;
}

std::string query_param(std::string_view target, std::string_view name) {
  auto q = target.find('?');
  if (q == std::string_view::npos) return "";
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    auto part = rest.substr(0, amp);
    auto eq = part.find('=');
    if (part.substr(0, eq) == name) {
      std::string out;
      auto v = eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1);
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (v[i] == '+') {
          out += ' ';
        } else if (v[i] == '%' && i + 2 < v.size()) {
          int x = 0;
          auto [p, ec] = std::from_chars(v.data() + i + 1, v.data() + i + 3, x, 16);
          if (ec == std::errc() && p == v.data() + i + 3) {
            out += static_cast<char>(x);
            i += 2;
          } else {
            out += v[i];
          }
        } else {
          out += v[i];
        }
      }
      return out;
    }
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return "";
}

// "/tasks/12" → 12, "/tasks/12/stream" → 12 with `rest` "stream".
std::optional<int64_t> task_id_of(std::string_view path, std::string& rest) {
  path.remove_prefix(std::string_view("/tasks/").size());
  auto slash = path.find('/');
  auto digits = path.substr(0, slash);
  rest = slash == std::string_view::npos ? "" : std::string(path.substr(slash + 1));
  int64_t id = 0;
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
  if (ec != std::errc() || p != digits.data() + digits.size() || id <= 0) return std::nullopt;
  return id;
}

int permission_rank(std::string_view p) {
  if (p == "admin") return 4;
  if (p == "maintain" || p == "write") return 3;
  if (p == "triage" || p == "read") return 2;
  return 0;
}

}  // namespace

struct WebUi::Impl {
  Database& db;
  WebUiOptions options;
  PermissionLookup permission;
  const Clock& clock;
  boost::asio::thread_pool pool{4};
  std::atomic<bool> stopping{false};

  mutable std::mutex mutex;  // guards oauth, signer, cache
  std::shared_ptr<const OAuthClient> oauth;
  std::shared_ptr<const CookieSigner> signer;
  struct Cached {
    std::string permission;
    std::chrono::steady_clock::time_point until;
  };
  std::map<std::pair<std::string, std::string>, Cached> cache;  // (repo, login)

  Impl(Database& d, WebUiOptions o, PermissionLookup p, const Clock& c)
      : db(d), options(std::move(o)), permission(std::move(p)), clock(c) {
    install_oauth(options.oauth);
  }

  void install_oauth(const OAuthSettings& settings) {
    std::lock_guard lock(mutex);
    oauth = std::make_shared<const OAuthClient>(settings);
    signer =
        settings.ready() ? std::make_shared<const CookieSigner>(settings.client_secret) : nullptr;
    cache.clear();
  }

  int64_t now() const {
    return std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count();
  }
  bool secure() const { return options.public_url.rfind("https://", 0) == 0; }

  std::string signed_in(const HttpRequest& request) const {
    std::shared_ptr<const CookieSigner> s;
    {
      std::lock_guard lock(mutex);
      s = signer;
    }
    if (!s) return "";
    auto login = s->session_login(cookie_value(request.header("cookie"), kSessionCookie), now());
    return login ? *login : "";
  }

  // At least read on the repository; errors count as no (and are logged).
  bool may_read(int64_t installation, const std::string& repo, const std::string& login) {
    const auto key = std::make_pair(repo, login);
    const auto steady = clock.steady_now();
    {
      std::lock_guard lock(mutex);
      auto it = cache.find(key);
      if (it != cache.end() && it->second.until > steady)
        return permission_rank(it->second.permission) >= 2;
    }
    auto p = permission(installation, repo, login);
    if (!p) {
      component_log("web").warn("cannot look up {}'s permission on {}: {}", login, repo,
                                p.error().message);
      return false;
    }
    std::lock_guard lock(mutex);
    cache[key] = {*p, steady + options.permission_ttl};
    return permission_rank(*p) >= 2;
  }

  HttpResponse sign_in_page(const std::string& return_path, int status = 200) {
    bool ready = false;
    {
      std::lock_guard lock(mutex);
      ready = signer != nullptr;
    }
    std::string body = "<h1>Sign in</h1>";
    if (ready) {
      body +=
          "<p>Tasks are shown to people who can read their repository on GitHub.</p>"
          "<p><a class=\"button\" id=\"sign-in\" href=\"/auth/login?return=" +
          escape(safe_return_path(return_path)) + "\">Sign in with GitHub</a></p>";
    } else {
      body +=
          "<p>Sign-in is not set up: the server has no GitHub App client id and secret yet "
          "(<code>app.client_id</code> and <code>app.client_secret</code>, or an App registered "
          "through the setup page).</p>";
      status = 503;
    }
    return html_response(status, page({"Sign in", "", body}));
  }

  HttpResponse not_found(const std::string& login) {
    return html_response(404,
                         page({"Not found", login,
                               "<h1>Not found</h1><p>There is no such task, or you cannot "
                               "read its repository.</p><p><a href=\"/tasks\">All tasks</a></p>"}));
  }

  std::string callback_url(const HttpRequest& request) const {
    std::string base = options.public_url;
    if (base.empty()) base = "http://" + std::string(request.header("host"));
    return base + "/auth/callback";
  }

  HttpResponse login(const HttpRequest& request) {
    std::shared_ptr<const OAuthClient> client;
    std::shared_ptr<const CookieSigner> s;
    {
      std::lock_guard lock(mutex);
      client = oauth;
      s = signer;
    }
    if (!s) return sign_in_page("/tasks");
    const std::string nonce = random_hex(16);
    const std::string back = safe_return_path(query_param(request.target, "return"));
    auto r = redirect(client->authorize_url(callback_url(request), nonce));
    r.headers.emplace_back("Set-Cookie",
                           set_cookie(kStateCookie, s->state(nonce, back, now() + kStateSeconds),
                                      kStateSeconds, secure()));
    return r;
  }

  HttpResponse callback(const HttpRequest& request) {
    std::shared_ptr<const OAuthClient> client;
    std::shared_ptr<const CookieSigner> s;
    {
      std::lock_guard lock(mutex);
      client = oauth;
      s = signer;
    }
    if (!s) return sign_in_page("/tasks");
    auto fail = [&](const std::string& why) {
      return html_response(400, page({"Sign-in failed", "",
                                      "<h1>Sign-in failed</h1><p>" + escape(why) +
                                          "</p><p><a href=\"/auth/login\">Try again</a></p>"}));
    };
    const std::string state = query_param(request.target, "state");
    const std::string code = query_param(request.target, "code");
    auto back = s->state_return(cookie_value(request.header("cookie"), kStateCookie), state, now());
    if (!back) return fail("The sign-in expired or did not start here.");
    if (code.empty()) {
      const std::string why = query_param(request.target, "error_description");
      return fail(why.empty() ? "GitHub sent no code." : why);
    }
    auto login = client->login_for_code(code, callback_url(request));
    if (!login) return fail(login.error().message);
    component_log("web").info("{} signed in", *login);
    auto r = redirect(*back);
    r.headers.emplace_back("Set-Cookie",
                           set_cookie(kSessionCookie, s->session(*login, now() + kSessionSeconds),
                                      kSessionSeconds, secure()));
    r.headers.emplace_back("Set-Cookie", set_cookie(kStateCookie, "", 0, secure()));
    return r;
  }

  HttpResponse logout() {
    auto r = redirect("/tasks");
    r.headers.emplace_back("Set-Cookie", set_cookie(kSessionCookie, "", 0, secure()));
    return r;
  }

  HttpResponse board(const std::string& login) {
    auto tasks = list_tasks(db);
    if (!tasks) {
      component_log("web").error("{}", tasks.error().message);
      return html_response(503, page({"Tasks", login,
                                      "<h1>Tasks</h1><p>The database is not "
                                      "answering; try again shortly.</p>"}));
    }
    std::vector<TaskSummary> visible;
    for (auto& t : *tasks)
      if (may_read(t.installation_id, t.repo, login)) visible.push_back(std::move(t));
    return html_response(200, page({"Tasks", login, board_html(visible, options.github_web_url)}));
  }

  HttpResponse task_page(int64_t id, const std::string& login) {
    auto task = load_task(db, id);
    if (!task) {
      component_log("web").error("{}", task.error().message);
      return html_response(503, page({"Task", login, "<p>The task cannot be read now.</p>"}));
    }
    if (!*task || !may_read((*task)->installation_id, (*task)->task.repo, login))
      return not_found(login);
    auto items = collect(db, id, Cursor{}, 20000);
    if (!items) {
      component_log("web").error("{}", items.error().message);
      return html_response(503, page({"Task", login, "<p>The task cannot be read now.</p>"}));
    }
    PageFrame frame{(*task)->task.title, login, task_html(**task, *items, options.github_web_url),
                    true};
    return html_response(200, page(frame));
  }

  // The stream: what is after the client's cursor, now or as soon as it is
  // stored, or an empty answer after stream_hold.
  void stream(int64_t id, const HttpRequest& request, const std::string& login, Responder respond) {
    auto task = load_task(db, id);
    if (!task) return respond(HttpResponse::text(503, "the task cannot be read now\n"));
    if (!*task || !may_read((*task)->installation_id, (*task)->task.repo, login))
      return respond(HttpResponse::text(404, "no such task\n"));
    std::string from(request.header("last-event-id"));
    if (from.empty()) from = query_param(request.target, "after");
    auto cursor = parse_cursor(from);
    if (!cursor) return respond(HttpResponse::text(400, "Last-Event-ID or after=RUN:SEQ needed\n"));
    poll(id, *cursor, clock.steady_now() + options.stream_hold,
         std::make_shared<Responder>(std::move(respond)));
  }

  void poll(int64_t id, Cursor cursor, std::chrono::steady_clock::time_point until,
            std::shared_ptr<Responder> respond) {
    auto items = collect(db, id, cursor, kStreamBatch);
    if (!items) return (*respond)(HttpResponse::text(503, "the transcript cannot be read now\n"));
    if (items->empty() && !stopping && clock.steady_now() < until) {
      auto timer = std::make_shared<boost::asio::steady_timer>(pool, options.stream_poll);
      timer->async_wait([this, timer, id, cursor, until, respond](boost::system::error_code) {
        poll(id, cursor, until, respond);
      });
      return;
    }
    HttpResponse r;
    r.content_type = "text/event-stream; charset=utf-8";
    r.headers = {{"Cache-Control", "no-store"}, {"X-Accel-Buffering", "no"}};
    // A quick reconnection: the hold, not the retry, is what spaces requests.
    r.body = "retry: 300\n\n" + sse(*items);
    (*respond)(std::move(r));
  }

  HttpResponse asset(std::string_view path) {
    HttpResponse r;
    if (path == "/assets/bottega.css") {
      r.content_type = "text/css; charset=utf-8";
      r.body = std::string(stylesheet());
    } else if (path == "/assets/live.js") {
      r.content_type = "text/javascript; charset=utf-8";
      r.body = std::string(live_script());
    } else {
      return HttpResponse::text(404, "no such asset\n");
    }
    r.headers = {{"Cache-Control", "public, max-age=300"}, {"X-Content-Type-Options", "nosniff"}};
    return r;
  }

  void serve(HttpRequest& request, Responder& respond) {
    const std::string path(request.path());
    const bool get = request.method == "GET" || request.method == "HEAD";
    if (path.rfind("/assets/", 0) == 0)
      return respond(get ? asset(path) : HttpResponse::text(405, "use GET\n"));
    if (path == "/auth/logout") {
      if (request.method != "POST") return respond(HttpResponse::text(405, "use POST\n"));
      return respond(logout());
    }
    if (!get) return respond(HttpResponse::text(405, "use GET\n"));
    if (path == "/auth/login") return respond(login(request));
    if (path == "/auth/callback") return respond(callback(request));
    const std::string who = signed_in(request);
    if (path == "/tasks" || path == "/tasks/") {
      if (who.empty()) return respond(sign_in_page("/tasks"));
      return respond(board(who));
    }
    std::string rest;
    auto id = path.rfind("/tasks/", 0) == 0 ? task_id_of(path, rest) : std::nullopt;
    if (!id || (!rest.empty() && rest != "stream"))
      return respond(html_response(404, page({"Not found", who, "<h1>Not found</h1>"})));
    if (rest == "stream") {
      if (who.empty()) return respond(HttpResponse::text(401, "sign in first\n"));
      return stream(*id, request, who, std::move(respond));
    }
    if (who.empty()) return respond(sign_in_page(path));
    respond(task_page(*id, who));
  }
};

WebUi::WebUi(Database& db, WebUiOptions options, PermissionLookup permission, const Clock& clock)
    : impl_(std::make_unique<Impl>(db, std::move(options), std::move(permission), clock)) {}

WebUi::~WebUi() {
  stop();
  impl_->pool.join();
}

bool WebUi::owns(std::string_view path) {
  return path == "/tasks" || path.rfind("/tasks/", 0) == 0 || path.rfind("/auth/", 0) == 0 ||
         path.rfind("/assets/", 0) == 0;
}

void WebUi::handle(HttpRequest&& request, Responder respond) {
  if (impl_->stopping) return respond(HttpResponse::text(503, "shutting down\n"));
  boost::asio::post(impl_->pool, [impl = impl_.get(), request = std::move(request),
                                  respond = std::move(respond)]() mutable {
    try {
      impl->serve(request, respond);
    } catch (const std::exception& e) {
      component_log("web").error("{} {}: {}", request.method, std::string(request.path()),
                                 e.what());
      respond(HttpResponse::text(500, "internal error\n"));
    }
  });
}

void WebUi::set_oauth(OAuthSettings oauth) { impl_->install_oauth(oauth); }

void WebUi::stop() { impl_->stopping = true; }

}  // namespace bottega::web
