#include "github/client.h"

#include <simdjson.h>

#include <algorithm>
#include <boost/json/object.hpp>
#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <fstream>
#include <list>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>
#include <unordered_map>

#include "config/base/log.h"
#include "config/base/metrics.h"
#include "github/http_transport.h"
#include "github/jwt.h"

namespace bottega::github {

namespace dom = simdjson::dom;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

void RealSleeper::sleep_for(milliseconds duration) { std::this_thread::sleep_for(duration); }
RealSleeper& RealSleeper::instance() {
  static RealSleeper sleeper;
  return sleeper;
}

std::string reaction_name(Reaction r) {
  switch (r) {
    case Reaction::plus_one: return "+1";
    case Reaction::minus_one: return "-1";
    case Reaction::laugh: return "laugh";
    case Reaction::confused: return "confused";
    case Reaction::heart: return "heart";
    case Reaction::hooray: return "hooray";
    case Reaction::rocket: return "rocket";
    case Reaction::eyes: return "eyes";
  }
  return "eyes";
}

namespace {

// ---------------------------------------------------------------- helpers

std::string percent_encode(std::string_view s, bool keep_slash) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// "/repos/{owner}/{repo}" + params → "/repos/a/b". {path} keeps its slashes.
std::string expand(const std::string& route, const std::vector<std::string>& params) {
  std::string out;
  std::size_t next = 0;
  for (std::size_t i = 0; i < route.size(); ++i) {
    if (route[i] == '{') {
      auto close = route.find('}', i);
      std::string name = route.substr(i + 1, close - i - 1);
      out += next < params.size() ? percent_encode(params[next], name == "path") : std::string();
      ++next;
      i = close;
    } else {
      out += route[i];
    }
  }
  return out;
}

std::optional<std::chrono::system_clock::time_point> parse_iso8601(std::string_view s) {
  std::tm tm{};
  int y, mo, d, h, mi, sec;
  if (std::sscanf(std::string(s).c_str(), "%d-%d-%dT%d:%d:%d", &y, &mo, &d, &h, &mi, &sec) != 6)
    return std::nullopt;
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

std::optional<int64_t> to_int(std::string_view s) {
  if (s.empty()) return std::nullopt;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

// The URL of rel="next" in a Link header, or "".
std::string next_link(std::string_view link) {
  std::size_t pos = 0;
  while (pos < link.size()) {
    auto lt = link.find('<', pos);
    auto gt = link.find('>', lt);
    if (lt == std::string_view::npos || gt == std::string_view::npos) break;
    auto end = link.find(',', gt);
    auto params = link.substr(gt, end == std::string_view::npos ? link.size() - gt : end - gt);
    if (params.find("rel=\"next\"") != std::string_view::npos)
      return std::string(link.substr(lt + 1, gt - lt - 1));
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  return "";
}

std::string query_param(std::string_view url, std::string_view name) {
  auto q = url.find('?');
  if (q == std::string_view::npos) return "";
  auto rest = url.substr(q + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    auto pair = rest.substr(0, amp);
    auto eq = pair.find('=');
    if (pair.substr(0, eq) == name) return std::string(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return "";
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// ------------------------------------------------------------ JSON reading

std::string str(dom::element e, std::string_view key) {
  std::string_view s;
  if (e[key].get_string().get(s)) return "";
  return std::string(s);
}
int64_t i64(dom::element e, std::string_view key) {
  int64_t v = 0;
  if (e[key].get_int64().get(v)) return 0;
  return v;
}
bool boolean(dom::element e, std::string_view key) {
  bool v = false;
  if (e[key].get_bool().get(v)) return false;
  return v;
}
std::optional<bool> opt_bool(dom::element e, std::string_view key) {
  bool v = false;
  if (e[key].get_bool().get(v)) return std::nullopt;
  return v;
}
std::optional<int64_t> opt_i64(dom::element e, std::string_view key) {
  int64_t v = 0;
  if (e[key].get_int64().get(v)) return std::nullopt;
  return v;
}
dom::element child(dom::element e, std::string_view key) {
  dom::element c;
  if (e[key].get(c)) return dom::element();
  return c;
}
bool has_object(dom::element e, std::string_view key) {
  dom::object o;
  return !e[key].get_object().get(o);
}

User decode_user(dom::element e) {
  User u;
  if (!has_object(e, "user")) return u;
  auto x = child(e, "user");
  u.id = i64(x, "id");
  u.login = str(x, "login");
  u.type = str(x, "type");
  return u;
}

IssueComment decode_comment(dom::element e) {
  IssueComment c;
  c.id = i64(e, "id");
  c.body = str(e, "body");
  c.user = decode_user(e);
  c.html_url = str(e, "html_url");
  c.created_at = str(e, "created_at");
  c.updated_at = str(e, "updated_at");
  return c;
}

PullRequest decode_pull(dom::element e) {
  PullRequest p;
  p.id = i64(e, "id");
  p.number = static_cast<int>(i64(e, "number"));
  p.state = str(e, "state");
  p.title = str(e, "title");
  p.body = str(e, "body");
  p.html_url = str(e, "html_url");
  p.draft = boolean(e, "draft");
  p.merged = boolean(e, "merged");
  p.mergeable = opt_bool(e, "mergeable");
  p.mergeable_state = str(e, "mergeable_state");
  if (has_object(e, "head")) {
    auto h = child(e, "head");
    p.head_ref = str(h, "ref");
    p.head_sha = str(h, "sha");
    if (has_object(h, "repo")) p.head_repo_full_name = str(child(h, "repo"), "full_name");
  }
  if (has_object(e, "base")) {
    auto b = child(e, "base");
    p.base_ref = str(b, "ref");
    p.base_sha = str(b, "sha");
  }
  return p;
}

Review decode_review(dom::element e) {
  Review r;
  r.id = i64(e, "id");
  r.user = decode_user(e);
  r.state = str(e, "state");
  r.body = str(e, "body");
  r.commit_id = str(e, "commit_id");
  r.submitted_at = str(e, "submitted_at");
  return r;
}

ReviewComment decode_review_comment(dom::element e) {
  ReviewComment c;
  c.id = i64(e, "id");
  c.pull_request_review_id = i64(e, "pull_request_review_id");
  c.in_reply_to_id = opt_i64(e, "in_reply_to_id");
  c.user = decode_user(e);
  c.body = str(e, "body");
  c.path = str(e, "path");
  if (auto l = opt_i64(e, "line")) c.line = static_cast<int>(*l);
  c.commit_id = str(e, "commit_id");
  c.diff_hunk = str(e, "diff_hunk");
  c.html_url = str(e, "html_url");
  return c;
}

CheckRun decode_check_run(dom::element e) {
  CheckRun r;
  r.id = i64(e, "id");
  r.name = str(e, "name");
  r.head_sha = str(e, "head_sha");
  r.status = str(e, "status");
  r.conclusion = str(e, "conclusion");
  r.html_url = str(e, "html_url");
  r.details_url = str(e, "details_url");
  if (has_object(e, "output")) {
    auto o = child(e, "output");
    r.title = str(o, "title");
    r.summary = str(o, "summary");
    r.annotations_count = static_cast<int>(i64(o, "annotations_count"));
  }
  if (has_object(e, "app")) r.app_slug = str(child(e, "app"), "slug");
  return r;
}

HookDelivery decode_delivery(dom::element e) {
  HookDelivery d;
  d.id = i64(e, "id");
  d.guid = str(e, "guid");
  d.delivered_at = str(e, "delivered_at");
  d.redelivery = boolean(e, "redelivery");
  double dur = 0;
  if (!e["duration"].get_double().get(dur)) d.duration = dur;
  d.status = str(e, "status");
  d.status_code = static_cast<int>(i64(e, "status_code"));
  d.event = str(e, "event");
  d.action = str(e, "action");
  d.installation_id = opt_i64(e, "installation_id");
  d.repository_id = opt_i64(e, "repository_id");
  return d;
}

std::string to_json(const boost::json::object& o) { return boost::json::serialize(o); }

// One request as the core executes it.
struct Call {
  std::string method = "GET";
  std::string route;  // template, for logs and errors
  std::string path;   // expanded
  std::string query;  // without '?'
  std::string absolute_url;  // overrides path+query (pagination links)
  std::string body;
  int64_t installation = 0;  // 0: the App (JWT)
  bool content_creation = false;
  // An acknowledgement (a reaction to a person's command): one small write
  // per command, so it is not spaced or queued behind the installation's
  // other writes; it still counts as a content creation and waits out any
  // rate limit.
  bool acknowledgement = false;
  std::size_t max_body_bytes = 32 * 1024 * 1024;
};

struct Quota {
  int64_t remaining = -1;  // -1: unknown
  std::chrono::system_clock::time_point reset{};
  std::chrono::steady_clock::time_point blocked_until{};
  int secondary_streak = 0;
  std::chrono::steady_clock::time_point next_mutation{};
  std::deque<std::chrono::steady_clock::time_point> creations;
  std::shared_ptr<std::mutex> mutation_lock = std::make_shared<std::mutex>();
};

struct TokenEntry {
  std::string token;
  std::chrono::system_clock::time_point expires_at{};
  bool refreshing = false;
  uint64_t generation = 0;  // bumped on each completed refresh
  std::optional<GitHubError> last_error;
};

struct CachedRead {
  std::string etag;
  std::string body;
  std::string link;
};

}  // namespace

struct GitHubClient::Impl {
  GitHubClientOptions options;
  const Clock& clock;
  Sleeper& sleeper;
  HttpTransport transport;
  std::string api_base;  // without trailing slash
  std::string issuer;

  std::mutex token_mutex;
  std::condition_variable token_cv;
  std::unordered_map<int64_t, TokenEntry> tokens;

  std::mutex quota_mutex;
  std::unordered_map<int64_t, Quota> quotas;

  std::mutex etag_mutex;
  std::list<std::pair<std::string, CachedRead>> etag_lru;  // front: most recent
  std::unordered_map<std::string, std::list<std::pair<std::string, CachedRead>>::iterator> etag_index;

  std::mutex rng_mutex;
  std::mt19937_64 rng{std::random_device{}()};

  // Credentials this client minted and registered with the redactor, with
  // when they stop being valid.
  std::mutex minted_mutex;
  std::vector<std::pair<std::string, std::chrono::system_clock::time_point>> minted;

  Impl(GitHubClientOptions o, const Clock& c, Sleeper& s)
      : options(std::move(o)),
        clock(c),
        sleeper(s),
        transport(TransportOptions{options.ca_file, options.connect_timeout, options.read_timeout,
                                   options.max_connections_per_host, 5, options.user_agent}) {
    api_base = options.api_url;
    while (!api_base.empty() && api_base.back() == '/') api_base.pop_back();
    issuer = options.client_id.empty() ? options.app_id : options.client_id;
  }

  spdlog::logger& log() { return component_log("github"); }

  milliseconds jittered(milliseconds base, int retry) {
    auto top = base * (1LL << std::min(retry, 16));
    std::lock_guard lock(rng_mutex);
    std::uniform_int_distribution<int64_t> d(top.count() / 2, std::max<int64_t>(top.count(), 1));
    return milliseconds(d(rng));
  }

  // ------------------------------------------------------------ JWT, tokens

  GhResult<std::string> jwt() {
    auto made = make_app_jwt(options.private_key_pem, issuer, clock.now());
    if (!made) return GitHubError::local(GitHubError::Kind::auth, made.error().message);
    // A JWT lives at most 10 minutes (iat 60 s back, exp under 10 min).
    remember_secret(*made, "the App JWT", clock.now() + std::chrono::minutes(11));
    return *made;
  }

  // Registers a minted credential with the redactor until it has expired;
  // expired ones are unregistered here, so a long-running client does not
  // grow the redactor with every JWT it signs.
  void remember_secret(const std::string& value, const char* name,
                       std::chrono::system_clock::time_point expires) {
    std::vector<std::string> expired;
    {
      std::lock_guard lock(minted_mutex);
      const auto now = clock.now();
      for (auto it = minted.begin(); it != minted.end();) {
        if (it->second <= now) {
          expired.push_back(std::move(it->first));
          it = minted.erase(it);
        } else {
          ++it;
        }
      }
      register_secret(value, name);
      minted.emplace_back(value, expires);
    }
    for (const auto& v : expired) unregister_secret(v);
  }

  GhResult<std::string> token(int64_t installation) {
    std::unique_lock lock(token_mutex);
    auto& entry = tokens[installation];
    for (;;) {
      if (!entry.token.empty() && clock.now() + options.token_refresh_margin < entry.expires_at)
        return entry.token;
      if (!entry.refreshing) break;
      // Someone else is refreshing: share their result.
      uint64_t seen = entry.generation;
      token_cv.wait(lock, [&] { return entry.generation != seen; });
      if (entry.last_error) return *entry.last_error;
    }
    entry.refreshing = true;
    lock.unlock();
    Call call;
    call.method = "POST";
    call.route = "/app/installations/{installation_id}/access_tokens";
    call.path = expand(call.route, {std::to_string(installation)});
    auto reply = execute(call);
    std::optional<GitHubError> error;
    std::string token;
    std::chrono::system_clock::time_point expires{};
    if (!reply) {
      error = reply.error();
    } else {
      dom::parser parser;
      dom::element doc;
      std::optional<std::chrono::system_clock::time_point> exp;
      if (!parser.parse(reply->body).get(doc)) {
        token = str(doc, "token");
        exp = parse_iso8601(str(doc, "expires_at"));
      }
      if (token.empty() || !exp) {
        error = GitHubError::local(GitHubError::Kind::decode,
                                   "installation token answer lacks token or expires_at");
        error->route = "POST " + call.route;
      } else {
        expires = *exp;
        remember_secret(token, "the installation token", expires);
      }
    }
    lock.lock();
    entry.refreshing = false;
    ++entry.generation;
    entry.last_error = error;
    if (!error) {
      entry.token = token;
      entry.expires_at = expires;
    }
    token_cv.notify_all();
    if (error) return *error;
    return token;
  }

  void forget_token(int64_t installation, const std::string& used) {
    std::lock_guard lock(token_mutex);
    auto it = tokens.find(installation);
    if (it != tokens.end() && (used.empty() || it->second.token == used)) it->second.token.clear();
  }

  // --------------------------------------------------------------- governor

  // Waits until this request may go out. Fails (rate_limited) instead of
  // waiting longer than max_rate_limit_wait for a rate limit.
  GhResult<void> wait_turn(const Call& call, bool spaced) {
    for (;;) {
      milliseconds wait{0};
      bool limit_wait = false;
      std::optional<std::chrono::system_clock::time_point> lifts;
      {
        std::lock_guard lock(quota_mutex);
        auto& q = quotas[call.installation];
        auto now = clock.steady_now();
        if (q.blocked_until > now) {
          wait = std::chrono::ceil<milliseconds>(q.blocked_until - now);
          limit_wait = true;
          lifts = clock.now() + wait;
        }
        if (q.remaining == 0 && q.reset > clock.now()) {
          auto w = std::chrono::ceil<milliseconds>(q.reset - clock.now()) + 1000ms;
          if (w > wait) wait = w;
          limit_wait = true;
          lifts = q.reset;
        }
        if (spaced && q.next_mutation > now)
          wait = std::max(wait, std::chrono::ceil<milliseconds>(q.next_mutation - now));
        const bool capped = call.content_creation && call.installation != 0 &&
                            options.content_creations_per_minute > 0;
        if (capped) {
          while (!q.creations.empty() && q.creations.front() + 60s <= now) q.creations.pop_front();
          if (static_cast<int>(q.creations.size()) >= options.content_creations_per_minute)
            wait = std::max(wait, std::chrono::ceil<milliseconds>(q.creations.front() + 60s - now));
        }
        if (wait.count() <= 0) {
          if (spaced) q.next_mutation = now + options.mutation_spacing;
          if (capped) q.creations.push_back(now);
          return {};
        }
      }
      if (limit_wait && wait > options.max_rate_limit_wait) {
        GitHubError e = GitHubError::local(GitHubError::Kind::rate_limited,
                                           "rate limit lifts in " +
                                               std::to_string(wait.count() / 1000) + " s");
        e.route = call.method + " " + call.route;
        e.retry_at = lifts;
        return e;
      }
      log().debug("{} {} waits {} ms for {}", call.method, call.route, wait.count(),
                  limit_wait ? "a rate limit" : "mutation spacing");
      sleeper.sleep_for(wait);
    }
  }

  void record_quota(int64_t installation, const HttpReply& reply) {
    auto remaining = to_int(reply.header("x-ratelimit-remaining"));
    auto reset = to_int(reply.header("x-ratelimit-reset"));
    std::lock_guard lock(quota_mutex);
    auto& q = quotas[installation];
    if (remaining) {
      q.remaining = *remaining;
      metrics::set("bottega_github_rate_limit_remaining",
                   {installation == 0 ? std::string("app") : std::to_string(installation)},
                   static_cast<double>(*remaining));
    }
    if (reset) q.reset = std::chrono::system_clock::time_point(std::chrono::seconds(*reset));
  }

  int64_t remaining(int64_t installation) {
    std::lock_guard lock(quota_mutex);
    return quotas[installation].remaining;
  }

  // ------------------------------------------------------------- ETag cache

  std::optional<CachedRead> cached(const std::string& key) {
    std::lock_guard lock(etag_mutex);
    auto it = etag_index.find(key);
    if (it == etag_index.end()) return std::nullopt;
    etag_lru.splice(etag_lru.begin(), etag_lru, it->second);
    return it->second->second;
  }

  void remember(const std::string& key, CachedRead read) {
    if (options.etag_cache_entries == 0 || read.body.size() > 4 * 1024 * 1024) return;
    std::lock_guard lock(etag_mutex);
    auto it = etag_index.find(key);
    if (it != etag_index.end()) {
      it->second->second = std::move(read);
      etag_lru.splice(etag_lru.begin(), etag_lru, it->second);
      return;
    }
    etag_lru.emplace_front(key, std::move(read));
    etag_index[key] = etag_lru.begin();
    while (etag_lru.size() > options.etag_cache_entries) {
      etag_index.erase(etag_lru.back().first);
      etag_lru.pop_back();
    }
  }

  // ------------------------------------------------------------------- core

  GitHubError http_error(const Call& call, const HttpReply& reply) {
    GitHubError e;
    e.kind = GitHubError::Kind::http;
    e.status = reply.status;
    e.route = call.method + " " + call.route;
    e.request_id = std::string(reply.header("x-github-request-id"));
    dom::parser parser;
    dom::element doc;
    if (!parser.parse(reply.body).get(doc)) {
      e.message = str(doc, "message");
      e.documentation_url = str(doc, "documentation_url");
    }
    if (e.message.empty()) e.message = reply.body.substr(0, 200);
    return e;
  }

  GhResult<ApiResponse> execute(const Call& call) {
    const bool mutating = call.method != "GET" && call.method != "HEAD";
    // Mutations are serialized and spaced per installation; App-level calls
    // (tokens, redeliveries) are rare and not spaced.
    const bool spaced = mutating && call.installation != 0 && !call.acknowledgement;
    std::unique_lock<std::mutex> serial;
    if (spaced) {
      std::shared_ptr<std::mutex> m;
      {
        std::lock_guard lock(quota_mutex);
        m = quotas[call.installation].mutation_lock;
      }
      serial = std::unique_lock<std::mutex>(*m);
    }
    const std::string url = !call.absolute_url.empty()
                                ? call.absolute_url
                                : api_base + call.path + (call.query.empty() ? "" : "?" + call.query);
    const std::string cache_key = std::to_string(call.installation) + " " + url;
    const std::string route_label = call.method + " " + call.route;
    // The one place a body leaves for GitHub (comments, replies, edits, PR
    // title and body, labels, reactions, check runs): no secret the app
    // holds goes out, whatever an agent wrote. JSON stays valid: the
    // redactor knows each secret's JSON-escaped form.
    const std::string body = redact(call.body);
    int failures = 0, limit_retries = 0;
    bool reauthorized = false;
    for (int attempt = 1;; ++attempt) {
      if (auto turn = wait_turn(call, spaced); !turn) return turn.error();
      std::string credential;
      if (call.installation == 0) {
        auto j = jwt();
        if (!j) return j.error();
        credential = *j;
      } else {
        auto t = token(call.installation);
        if (!t) return t.error();
        credential = *t;
      }
      HttpCall http;
      http.method = call.method;
      http.url = url;
      http.max_body_bytes = call.max_body_bytes;
      http.headers = {{"Authorization", "Bearer " + credential},
                      {"Accept", "application/vnd.github+json"},
                      {"X-GitHub-Api-Version", "2022-11-28"}};
      if (!body.empty()) http.headers.emplace_back("Content-Type", "application/json");
      http.body = body;
      std::optional<CachedRead> prior;
      if (call.method == "GET") {
        prior = cached(cache_key);
        if (prior) http.headers.emplace_back("If-None-Match", prior->etag);
      }
      const auto started = clock.steady_now();
      auto reply = transport.send(http);
      const auto finished = clock.steady_now();
      const auto ms = std::chrono::duration_cast<milliseconds>(finished - started).count();
      if (spaced) {
        // Spacing counts from the end of this mutation, so the next one
        // reaches GitHub at least mutation_spacing later whatever this one
        // spent waiting for a token or a pooled connection.
        std::lock_guard lock(quota_mutex);
        auto& q = quotas[call.installation];
        q.next_mutation = std::max(q.next_mutation, finished + options.mutation_spacing);
      }
      if (!reply) {
        log().warn("{} {} failed after {} ms (attempt {}): {}", call.method, call.route, ms, attempt,
                   reply.error().message);
        metrics::add("bottega_github_requests_total", {call.method, call.route, "none"});
        auto e = GitHubError::transport_failure(reply.error().message);
        e.route = route_label;
        if (++failures >= options.max_attempts) return e;
        sleeper.sleep_for(jittered(options.retry_base, failures - 1));
        continue;
      }
      record_quota(call.installation, *reply);
      const int status = reply->status;
      metrics::add("bottega_github_requests_total", {call.method, call.route, std::to_string(status)});
      log().info("{} {} {} {}ms remaining={} attempt={}{}{}", call.method, call.route, status, ms,
                 remaining(call.installation), attempt, reply->redirects ? " redirects=" : "",
                 reply->redirects ? std::to_string(reply->redirects) : "");
      if (status == 304 && prior) {
        ApiResponse r;
        r.status = 200;
        r.body = prior->body;
        r.link = prior->link;
        r.from_cache = true;
        return r;
      }
      if (status < 300) {
        {
          std::lock_guard lock(quota_mutex);
          quotas[call.installation].secondary_streak = 0;
        }
        ApiResponse r;
        r.status = status;
        r.body = std::move(reply->body);
        r.link = std::string(reply->header("link"));
        if (call.method == "GET" && !reply->header("etag").empty())
          remember(cache_key, CachedRead{std::string(reply->header("etag")), r.body, r.link});
        return r;
      }
      auto error = http_error(call, *reply);
      if (status == 401 && call.installation != 0 && !reauthorized) {
        // The token was revoked or expired early: get a new one, once.
        reauthorized = true;
        forget_token(call.installation, credential);
        continue;
      }
      if (status == 403 || status == 429) {
        auto wait = rate_limit_wait(call.installation, *reply, error);
        if (!wait) return error;  // an ordinary 403: permissions
        if (limit_retries >= options.max_rate_limit_retries || *wait > options.max_rate_limit_wait) {
          GitHubError e = error;
          e.kind = GitHubError::Kind::rate_limited;
          e.retry_at = clock.now() + *wait;
          return e;
        }
        ++limit_retries;
        log().warn("{} {} rate limited ({}), waiting {} ms", call.method, call.route, status,
                   wait->count());
        {
          std::lock_guard lock(quota_mutex);
          auto until = clock.steady_now() + *wait;
          auto& q = quotas[call.installation];
          if (until > q.blocked_until) q.blocked_until = until;
        }
        continue;  // wait_turn() does the waiting, for every caller of this installation
      }
      if (status >= 500) {
        if (++failures >= options.max_attempts) return error;
        sleeper.sleep_for(jittered(options.retry_base, failures - 1));
        continue;
      }
      return error;
    }
  }

  // How long a 403/429 asks us to wait; nullopt when it is not a rate limit.
  std::optional<milliseconds> rate_limit_wait(int64_t installation, const HttpReply& reply,
                                              const GitHubError& error) {
    if (auto after = to_int(reply.header("retry-after"))) return milliseconds(*after * 1000);
    auto remaining_header = reply.header("x-ratelimit-remaining");
    if (remaining_header == "0") {
      if (auto reset = to_int(reply.header("x-ratelimit-reset"))) {
        auto at = std::chrono::system_clock::time_point(std::chrono::seconds(*reset));
        auto w = std::chrono::ceil<milliseconds>(at - clock.now()) + 1000ms;
        return std::max(w, milliseconds(1000));
      }
      return options.secondary_min_wait;
    }
    auto text = lower(error.message + " " + error.documentation_url);
    const bool secondary = reply.status == 429 || text.find("secondary rate limit") != std::string::npos ||
                           text.find("secondary-rate-limit") != std::string::npos ||
                           text.find("abuse") != std::string::npos;
    if (!secondary) return std::nullopt;
    std::lock_guard lock(quota_mutex);
    auto& q = quotas[installation];
    auto w = options.secondary_min_wait * (1LL << std::min(q.secondary_streak, 10));
    ++q.secondary_streak;
    return w;
  }

  GhResult<ApiResponse> call(std::string method, std::string route,
                             const std::vector<std::string>& params, int64_t installation,
                             std::string body = "", std::string query = "",
                             bool content_creation = false, bool acknowledgement = false) {
    Call c;
    c.method = std::move(method);
    c.path = expand(route, params);
    c.route = std::move(route);
    c.installation = installation;
    c.body = std::move(body);
    c.query = std::move(query);
    c.content_creation = content_creation;
    c.acknowledgement = acknowledgement;
    return execute(c);
  }

  // GETs every page (per_page=100) and hands each array element to `each`.
  template <class F>
  GhResult<void> paginate(const std::string& route, const std::vector<std::string>& params,
                          int64_t installation, std::string query, const char* array_key, F&& each) {
    Call c;
    c.route = route;
    c.path = expand(route, params);
    c.installation = installation;
    c.query = query.empty() ? "per_page=100" : query + "&per_page=100";
    for (int page = 0; page < 100; ++page) {
      auto r = execute(c);
      if (!r) return r.error();
      dom::parser parser;
      dom::element doc;
      dom::array arr;
      bool bad = parser.parse(r->body).get(doc);
      if (!bad) bad = array_key ? doc[array_key].get_array().get(arr) : doc.get_array().get(arr);
      if (bad) return decode_error(c.method + " " + route);
      for (dom::element e : arr) each(e);
      auto next = next_link(r->link);
      if (next.empty()) return {};
      // The token goes only to the API's own origin.
      if (next.rfind(api_base + "/", 0) != 0) {
        auto e = decode_error(c.method + " " + route);
        e.message = "pagination link leaves the API origin: " + next;
        return e;
      }
      c.absolute_url = next;
    }
    return {};
  }

  static GitHubError decode_error(const std::string& route) {
    auto e = GitHubError::local(GitHubError::Kind::decode, "the answer is not the JSON expected");
    e.route = route;
    return e;
  }

  // Parses the body and decodes it with f(element).
  template <class T, class F>
  GhResult<T> decode(const GhResult<ApiResponse>& r, const std::string& route, F&& f) {
    if (!r) return r.error();
    dom::parser parser;
    dom::element doc;
    if (parser.parse(r->body).get(doc)) return decode_error(route);
    return f(doc);
  }
};

GitHubClient::GitHubClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
GitHubClient::~GitHubClient() = default;

GhResult<std::unique_ptr<GitHubClient>> GitHubClient::create(GitHubClientOptions options,
                                                             const Clock& clock, Sleeper& sleeper) {
  if (options.client_id.empty() && options.app_id.empty())
    return GitHubError::local(GitHubError::Kind::auth, "neither the App's client id nor its id is set");
  if (options.private_key_pem.empty() && !options.private_key_file.empty()) {
    std::ifstream in(options.private_key_file, std::ios::binary);
    std::stringstream content;
    content << in.rdbuf();
    if (!in.good() && !in.eof())
      return GitHubError::local(GitHubError::Kind::auth,
                                "cannot read the App private key file " + options.private_key_file);
    options.private_key_pem = content.str();
    if (options.private_key_pem.empty())
      return GitHubError::local(GitHubError::Kind::auth,
                                "the App private key file " + options.private_key_file +
                                    " is missing or empty");
  }
  auto probe = make_app_jwt(options.private_key_pem, "probe", clock.now());
  if (!probe)
    return GitHubError::local(GitHubError::Kind::auth,
                              probe.error().message +
                                  (options.private_key_file.empty() ? "" : " (" + options.private_key_file + ")"));
  if (options.api_url.rfind("https://", 0) != 0 && options.api_url.rfind("http://", 0) != 0)
    return GitHubError::local(GitHubError::Kind::auth,
                              "the GitHub API URL must start with https:// (or http://): " + options.api_url);
  register_pem(options.private_key_pem, "the App private key");
  return std::unique_ptr<GitHubClient>(
      new GitHubClient(std::make_unique<Impl>(std::move(options), clock, sleeper)));
}

std::size_t GitHubClient::connections_opened() const { return impl_->transport.connections_opened(); }

GhResult<std::string> GitHubClient::app_jwt() { return impl_->jwt(); }

GhResult<std::string> GitHubClient::installation_token(int64_t installation_id) {
  return impl_->token(installation_id);
}

void GitHubClient::forget_installation_token(int64_t installation_id) {
  impl_->forget_token(installation_id, "");
}

GhResult<ApiResponse> GitHubClient::request(const std::string& method, const std::string& route,
                                            const std::vector<std::string>& params,
                                            int64_t installation_id, const std::string& body,
                                            const std::string& query) {
  return impl_->call(method, route, params, installation_id, body, query, method == "POST");
}

// ------------------------------------------------------------------ App

GhResult<Installation> GitHubClient::repository_installation(const std::string& owner,
                                                             const std::string& repo) {
  const std::string route = "/repos/{owner}/{repo}/installation";
  auto r = impl_->call("GET", route, {owner, repo}, 0);
  return impl_->decode<Installation>(r, "GET " + route, [](dom::element e) {
    Installation i;
    i.id = i64(e, "id");
    if (has_object(e, "account")) i.account_login = str(child(e, "account"), "login");
    return i;
  });
}

GhResult<HookDeliveryPage> GitHubClient::list_hook_deliveries(int per_page,
                                                              const std::optional<std::string>& cursor) {
  const std::string route = "/app/hook/deliveries";
  std::string query = "per_page=" + std::to_string(std::clamp(per_page, 1, 100));
  if (cursor) query += "&cursor=" + percent_encode(*cursor, false);
  auto r = impl_->call("GET", route, {}, 0, "", query);
  if (!r) return r.error();
  dom::parser parser;
  dom::element doc;
  dom::array arr;
  if (parser.parse(r->body).get(doc) || doc.get_array().get(arr))
    return Impl::decode_error("GET " + route);
  HookDeliveryPage page;
  for (dom::element e : arr) page.deliveries.push_back(decode_delivery(e));
  auto next = next_link(r->link);
  if (!next.empty()) {
    auto c = query_param(next, "cursor");
    if (!c.empty()) page.next_cursor = c;
  }
  return page;
}

GhResult<void> GitHubClient::redeliver_hook_delivery(int64_t delivery_id) {
  auto r = impl_->call("POST", "/app/hook/deliveries/{delivery_id}/attempts",
                       {std::to_string(delivery_id)}, 0);
  if (!r) return r.error();
  return {};
}

// ------------------------------------------------------------- contents

GhResult<FileContent> GitHubClient::get_file_contents(const Repo& repo, const std::string& path,
                                                      const std::string& ref) {
  const std::string route = "/repos/{owner}/{repo}/contents/{path}";
  std::string p = path;
  while (!p.empty() && p.front() == '/') p.erase(0, 1);
  auto r = impl_->call("GET", route, {repo.owner, repo.name, p}, repo.installation_id, "",
                       ref.empty() ? "" : "ref=" + percent_encode(ref, false));
  if (!r) return r.error();
  dom::parser parser;
  dom::element doc;
  if (parser.parse(r->body).get(doc) || str(doc, "type") != "file")
    return Impl::decode_error("GET " + route + " (not a file)");
  FileContent f;
  f.path = str(doc, "path");
  f.sha = str(doc, "sha");
  auto decoded = base64_decode(str(doc, "content"));
  if (!decoded) return Impl::decode_error("GET " + route + " (bad base64)");
  f.content = std::move(*decoded);
  return f;
}

// --------------------------------------------------------------- comments

GhResult<IssueComment> GitHubClient::create_issue_comment(const Repo& repo, int issue_number,
                                                          const std::string& body) {
  const std::string route = "/repos/{owner}/{repo}/issues/{issue_number}/comments";
  auto r = impl_->call("POST", route, {repo.owner, repo.name, std::to_string(issue_number)},
                       repo.installation_id, to_json({{"body", body}}), "", true);
  return impl_->decode<IssueComment>(r, "POST " + route, decode_comment);
}

GhResult<IssueComment> GitHubClient::update_issue_comment(const Repo& repo, int64_t comment_id,
                                                          const std::string& body) {
  const std::string route = "/repos/{owner}/{repo}/issues/comments/{comment_id}";
  auto r = impl_->call("PATCH", route, {repo.owner, repo.name, std::to_string(comment_id)},
                       repo.installation_id, to_json({{"body", body}}));
  return impl_->decode<IssueComment>(r, "PATCH " + route, decode_comment);
}

GhResult<std::vector<IssueComment>> GitHubClient::list_issue_comments(const Repo& repo,
                                                                      int issue_number) {
  std::vector<IssueComment> out;
  auto r = impl_->paginate("/repos/{owner}/{repo}/issues/{issue_number}/comments",
                           {repo.owner, repo.name, std::to_string(issue_number)},
                           repo.installation_id, "", nullptr,
                           [&](dom::element e) { out.push_back(decode_comment(e)); });
  if (!r) return r.error();
  return out;
}

// -------------------------------------------------------------- reactions

namespace {
GhResult<void> void_result(const GhResult<ApiResponse>& r) {
  if (!r) return r.error();
  return {};
}
}  // namespace

GhResult<void> GitHubClient::react_to_issue_comment(const Repo& repo, int64_t comment_id,
                                                    Reaction reaction) {
  return void_result(impl_->call("POST", "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions",
                                 {repo.owner, repo.name, std::to_string(comment_id)},
                                 repo.installation_id, to_json({{"content", reaction_name(reaction)}}),
                                 "", /*content_creation=*/true, /*acknowledgement=*/true));
}

GhResult<void> GitHubClient::react_to_review_comment(const Repo& repo, int64_t comment_id,
                                                     Reaction reaction) {
  return void_result(impl_->call("POST", "/repos/{owner}/{repo}/pulls/comments/{comment_id}/reactions",
                                 {repo.owner, repo.name, std::to_string(comment_id)},
                                 repo.installation_id, to_json({{"content", reaction_name(reaction)}}),
                                 "", /*content_creation=*/true, /*acknowledgement=*/true));
}

GhResult<void> GitHubClient::react_to_issue(const Repo& repo, int issue_number, Reaction reaction) {
  return void_result(impl_->call("POST", "/repos/{owner}/{repo}/issues/{issue_number}/reactions",
                                 {repo.owner, repo.name, std::to_string(issue_number)},
                                 repo.installation_id, to_json({{"content", reaction_name(reaction)}}),
                                 "", /*content_creation=*/true, /*acknowledgement=*/true));
}

// ----------------------------------------------------------------- labels

GhResult<void> GitHubClient::ensure_label(const Repo& repo, const Label& label) {
  auto existing = impl_->call("GET", "/repos/{owner}/{repo}/labels/{name}",
                              {repo.owner, repo.name, label.name}, repo.installation_id);
  if (existing) return {};
  if (!existing.error().is_not_found()) return existing.error();
  boost::json::object o{{"name", label.name}, {"color", label.color.empty() ? "ededed" : label.color}};
  if (!label.description.empty()) o["description"] = label.description;
  auto created = impl_->call("POST", "/repos/{owner}/{repo}/labels", {repo.owner, repo.name},
                             repo.installation_id, to_json(o));
  if (!created && created.error().is_validation_failed()) return {};  // created meanwhile
  return void_result(created);
}

GhResult<void> GitHubClient::add_labels(const Repo& repo, int issue_number,
                                        const std::vector<std::string>& labels) {
  boost::json::array names;
  for (const auto& l : labels) names.emplace_back(l);
  return void_result(impl_->call("POST", "/repos/{owner}/{repo}/issues/{issue_number}/labels",
                                 {repo.owner, repo.name, std::to_string(issue_number)},
                                 repo.installation_id, to_json({{"labels", names}})));
}

GhResult<std::vector<std::string>> GitHubClient::list_issue_labels(const Repo& repo, int issue_number) {
  std::vector<std::string> out;
  auto r = impl_->paginate("/repos/{owner}/{repo}/issues/{issue_number}/labels",
                           {repo.owner, repo.name, std::to_string(issue_number)},
                           repo.installation_id, "", nullptr,
                           [&](dom::element e) { out.push_back(str(e, "name")); });
  if (!r) return r.error();
  return out;
}

GhResult<void> GitHubClient::remove_label(const Repo& repo, int issue_number, const std::string& label) {
  auto r = impl_->call("DELETE", "/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}",
                       {repo.owner, repo.name, std::to_string(issue_number), label},
                       repo.installation_id);
  if (!r && r.error().is_not_found()) return {};
  return void_result(r);
}

// ------------------------------------------------------------ permissions

GhResult<CollaboratorPermission> GitHubClient::collaborator_permission(const Repo& repo,
                                                                       const std::string& username) {
  const std::string route = "/repos/{owner}/{repo}/collaborators/{username}/permission";
  auto r = impl_->call("GET", route, {repo.owner, repo.name, username}, repo.installation_id);
  return impl_->decode<CollaboratorPermission>(r, "GET " + route, [](dom::element e) {
    CollaboratorPermission p;
    p.permission = str(e, "permission");
    p.role_name = str(e, "role_name");
    return p;
  });
}

// ------------------------------------------------------------------ pulls

GhResult<PullRequest> GitHubClient::create_pull(const Repo& repo, const NewPullRequest& pull) {
  const std::string route = "/repos/{owner}/{repo}/pulls";
  boost::json::object o{{"title", pull.title}, {"head", pull.head}, {"base", pull.base},
                        {"body", pull.body}, {"draft", pull.draft}};
  auto r = impl_->call("POST", route, {repo.owner, repo.name}, repo.installation_id, to_json(o), "", true);
  return impl_->decode<PullRequest>(r, "POST " + route, decode_pull);
}

GhResult<PullRequest> GitHubClient::get_pull(const Repo& repo, int number) {
  const std::string route = "/repos/{owner}/{repo}/pulls/{pull_number}";
  auto r = impl_->call("GET", route, {repo.owner, repo.name, std::to_string(number)},
                       repo.installation_id);
  return impl_->decode<PullRequest>(r, "GET " + route, decode_pull);
}

GhResult<std::optional<PullRequest>> GitHubClient::find_pull_by_head(const Repo& repo,
                                                                     const std::string& branch) {
  const std::string route = "/repos/{owner}/{repo}/pulls";
  auto r = impl_->call("GET", route, {repo.owner, repo.name}, repo.installation_id, "",
                       "head=" + percent_encode(repo.owner + ":" + branch, false) +
                           "&state=all&sort=created&direction=desc&per_page=1");
  if (!r) return r.error();
  dom::parser parser;
  dom::element doc;
  dom::array arr;
  if (parser.parse(r->body).get(doc) || doc.get_array().get(arr)) return Impl::decode_error("GET " + route);
  for (dom::element e : arr) return std::optional<PullRequest>(decode_pull(e));
  return std::optional<PullRequest>();
}

// ---------------------------------------------------------------- reviews

GhResult<std::vector<Review>> GitHubClient::list_reviews(const Repo& repo, int pull_number) {
  std::vector<Review> out;
  auto r = impl_->paginate("/repos/{owner}/{repo}/pulls/{pull_number}/reviews",
                           {repo.owner, repo.name, std::to_string(pull_number)},
                           repo.installation_id, "", nullptr,
                           [&](dom::element e) { out.push_back(decode_review(e)); });
  if (!r) return r.error();
  return out;
}

GhResult<std::vector<ReviewComment>> GitHubClient::list_review_comments(const Repo& repo,
                                                                        int pull_number) {
  std::vector<ReviewComment> out;
  auto r = impl_->paginate("/repos/{owner}/{repo}/pulls/{pull_number}/comments",
                           {repo.owner, repo.name, std::to_string(pull_number)},
                           repo.installation_id, "", nullptr,
                           [&](dom::element e) { out.push_back(decode_review_comment(e)); });
  if (!r) return r.error();
  return out;
}

GhResult<ReviewComment> GitHubClient::reply_to_review_comment(const Repo& repo, int pull_number,
                                                              int64_t comment_id,
                                                              const std::string& body) {
  const std::string route = "/repos/{owner}/{repo}/pulls/{pull_number}/comments/{comment_id}/replies";
  auto r = impl_->call("POST", route,
                       {repo.owner, repo.name, std::to_string(pull_number), std::to_string(comment_id)},
                       repo.installation_id, to_json({{"body", body}}), "", true);
  return impl_->decode<ReviewComment>(r, "POST " + route, decode_review_comment);
}

// ----------------------------------------------------------------- checks

GhResult<std::vector<CheckRun>> GitHubClient::list_check_runs_for_ref(const Repo& repo,
                                                                      const std::string& ref) {
  std::vector<CheckRun> out;
  auto r = impl_->paginate("/repos/{owner}/{repo}/commits/{ref}/check-runs",
                           {repo.owner, repo.name, ref}, repo.installation_id, "", "check_runs",
                           [&](dom::element e) { out.push_back(decode_check_run(e)); });
  if (!r) return r.error();
  return out;
}

GhResult<std::vector<CheckAnnotation>> GitHubClient::list_check_run_annotations(const Repo& repo,
                                                                                int64_t check_run_id) {
  std::vector<CheckAnnotation> out;
  auto r = impl_->paginate("/repos/{owner}/{repo}/check-runs/{check_run_id}/annotations",
                           {repo.owner, repo.name, std::to_string(check_run_id)},
                           repo.installation_id, "", nullptr, [&](dom::element e) {
                             CheckAnnotation a;
                             a.path = str(e, "path");
                             a.start_line = static_cast<int>(i64(e, "start_line"));
                             a.end_line = static_cast<int>(i64(e, "end_line"));
                             a.annotation_level = str(e, "annotation_level");
                             a.title = str(e, "title");
                             a.message = str(e, "message");
                             out.push_back(std::move(a));
                           });
  if (!r) return r.error();
  return out;
}

namespace {
std::string check_run_json(const CheckRunUpdate& u) {
  boost::json::object o;
  auto put = [&](const char* k, const std::string& v) {
    if (!v.empty()) o[k] = v;
  };
  put("name", u.name);
  put("head_sha", u.head_sha);
  put("status", u.status);
  put("conclusion", u.conclusion);
  put("details_url", u.details_url);
  put("external_id", u.external_id);
  if (!u.title.empty() || !u.summary.empty()) {
    boost::json::object out{{"title", u.title}, {"summary", u.summary}};
    if (!u.text.empty()) out["text"] = u.text;
    o["output"] = out;
  }
  return boost::json::serialize(o);
}
}  // namespace

GhResult<CheckRun> GitHubClient::create_check_run(const Repo& repo, const CheckRunUpdate& run) {
  const std::string route = "/repos/{owner}/{repo}/check-runs";
  auto r = impl_->call("POST", route, {repo.owner, repo.name}, repo.installation_id, check_run_json(run));
  return impl_->decode<CheckRun>(r, "POST " + route, decode_check_run);
}

GhResult<CheckRun> GitHubClient::update_check_run(const Repo& repo, int64_t check_run_id,
                                                  const CheckRunUpdate& run) {
  const std::string route = "/repos/{owner}/{repo}/check-runs/{check_run_id}";
  auto r = impl_->call("PATCH", route, {repo.owner, repo.name, std::to_string(check_run_id)},
                       repo.installation_id, check_run_json(run));
  return impl_->decode<CheckRun>(r, "PATCH " + route, decode_check_run);
}

// ---------------------------------------------------------------- Actions

GhResult<JobLog> GitHubClient::download_job_log(const Repo& repo, int64_t job_id, std::size_t max_bytes) {
  Call c;
  c.route = "/repos/{owner}/{repo}/actions/jobs/{job_id}/logs";
  c.path = expand(c.route, {repo.owner, repo.name, std::to_string(job_id)});
  c.installation = repo.installation_id;
  c.max_body_bytes = std::max<std::size_t>(max_bytes, 64 * 1024 * 1024);
  auto r = impl_->execute(c);
  if (!r) return r.error();
  JobLog log;
  log.total_bytes = r->body.size();
  if (r->body.size() > max_bytes) {
    log.truncated = true;
    log.text = r->body.substr(r->body.size() - max_bytes);
  } else {
    log.text = std::move(r->body);
  }
  return log;
}

// ---------------------------------------------------------------- compare

GhResult<Comparison> GitHubClient::compare(const Repo& repo, const std::string& base,
                                           const std::string& head) {
  const std::string route = "/repos/{owner}/{repo}/compare/{basehead}";
  auto r = impl_->call("GET", route, {repo.owner, repo.name, base + "..." + head}, repo.installation_id);
  return impl_->decode<Comparison>(r, "GET " + route, [](dom::element e) {
    Comparison c;
    c.status = str(e, "status");
    c.ahead_by = static_cast<int>(i64(e, "ahead_by"));
    c.behind_by = static_cast<int>(i64(e, "behind_by"));
    c.total_commits = static_cast<int>(i64(e, "total_commits"));
    if (has_object(e, "merge_base_commit")) c.merge_base_sha = str(child(e, "merge_base_commit"), "sha");
    dom::array files;
    if (!e["files"].get_array().get(files))
      for (dom::element f : files) c.files.push_back({str(f, "filename"), str(f, "status")});
    return c;
  });
}

}  // namespace bottega::github
