#include "github/client/request_core.h"

#include <algorithm>

#include "config/base/metrics.h"
#include "config/base/redactor.h"
#include "github/client/json_read.h"
#include "github/jwt.h"

namespace bottega::github {

namespace dom = simdjson::dom;
using namespace std::chrono_literals;
using detail::Call;
using std::chrono::milliseconds;

namespace {

detail::RateGovernorOptions governor_options(const GitHubClientOptions& o) {
  return {o.secondary_min_wait, o.max_rate_limit_wait, o.mutation_spacing,
          o.content_creations_per_minute};
}

}  // namespace

GitHubClient::Impl::Impl(GitHubClientOptions o, const Clock& c, Sleeper& s)
    : options(std::move(o)),
      clock(c),
      sleeper(s),
      transport(TransportOptions{options.ca_file, options.connect_timeout, options.read_timeout,
                                 options.max_connections_per_host, 5, options.user_agent}),
      governor(governor_options(options), clock, sleeper),
      tokens(clock, options.token_refresh_margin),
      etags(options.etag_cache_entries) {
  api_base = options.api_url;
  while (!api_base.empty() && api_base.back() == '/') api_base.pop_back();
  issuer = options.client_id.empty() ? options.app_id : options.client_id;
}

spdlog::logger& GitHubClient::Impl::log() { return component_log("github"); }

milliseconds GitHubClient::Impl::jittered(milliseconds base, int retry) {
  auto top = base * (1LL << std::min(retry, 16));
  std::lock_guard lock(rng_mutex);
  std::uniform_int_distribution<int64_t> d(top.count() / 2, std::max<int64_t>(top.count(), 1));
  return milliseconds(d(rng));
}

// ------------------------------------------------------------ JWT, tokens

GhResult<std::string> GitHubClient::Impl::jwt() {
  auto made = make_app_jwt(options.private_key_pem, issuer, clock.now());
  if (!made) return GitHubError::local(GitHubError::Kind::auth, made.error().message);
  // A JWT lives at most 10 minutes (iat 60 s back, exp under 10 min).
  remember_secret(*made, "the App JWT", clock.now() + std::chrono::minutes(11));
  return *made;
}

void GitHubClient::Impl::remember_secret(const std::string& value, const char* name,
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

GhResult<std::string> GitHubClient::Impl::token(int64_t installation) {
  return tokens.get(installation, [&]() -> GhResult<detail::TokenCache::Minted> {
    Call call;
    call.method = "POST";
    call.route = "/app/installations/{installation_id}/access_tokens";
    call.path = detail::expand(call.route, {std::to_string(installation)});
    auto reply = execute(call);
    if (!reply) return reply.error();
    std::string token;
    dom::parser parser;
    dom::element doc;
    std::optional<std::chrono::system_clock::time_point> exp;
    if (!parser.parse(reply->body).get(doc)) {
      token = detail::str(doc, "token");
      exp = detail::parse_iso8601(detail::str(doc, "expires_at"));
    }
    if (token.empty() || !exp) {
      GitHubError e = GitHubError::local(GitHubError::Kind::decode,
                                         "installation token answer lacks token or expires_at");
      e.route = "POST " + call.route;
      return e;
    }
    remember_secret(token, "the installation token", *exp);
    return detail::TokenCache::Minted{token, *exp};
  });
}

void GitHubClient::Impl::forget_token(int64_t installation, const std::string& used) {
  tokens.forget(installation, used);
}

// ------------------------------------------------------------------- core

GitHubError GitHubClient::Impl::http_error(const Call& call, const HttpReply& reply) {
  GitHubError e;
  e.kind = GitHubError::Kind::http;
  e.status = reply.status;
  e.route = call.method + " " + call.route;
  e.request_id = std::string(reply.header("x-github-request-id"));
  dom::parser parser;
  dom::element doc;
  if (!parser.parse(reply.body).get(doc)) {
    e.message = detail::str(doc, "message");
    e.documentation_url = detail::str(doc, "documentation_url");
  }
  if (e.message.empty()) e.message = reply.body.substr(0, 200);
  return e;
}

GhResult<ApiResponse> GitHubClient::Impl::execute(const Call& call) {
  const bool mutating = call.method != "GET" && call.method != "HEAD";
  // Mutations are serialized and spaced per installation; App-level calls
  // (tokens, redeliveries) are rare and not spaced.
  const bool spaced = mutating && call.installation != 0 && !call.acknowledgement;
  std::unique_lock<std::mutex> serial;
  if (spaced) {
    std::shared_ptr<std::mutex> m = governor.mutation_lock(call.installation);
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
    if (auto turn = governor.wait_turn(call, spaced); !turn) return turn.error();
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
    std::optional<detail::CachedRead> prior;
    if (call.method == "GET") {
      prior = etags.find(cache_key);
      if (prior) http.headers.emplace_back("If-None-Match", prior->etag);
    }
    const auto started = clock.steady_now();
    auto reply = transport.send(http);
    const auto finished = clock.steady_now();
    const auto ms = std::chrono::duration_cast<milliseconds>(finished - started).count();
    // Spacing counts from the end of this mutation, so the next one
    // reaches GitHub at least mutation_spacing later whatever this one
    // spent waiting for a token or a pooled connection.
    if (spaced) governor.mutation_finished(call.installation, finished);
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
    governor.record_quota(call.installation, *reply);
    const int status = reply->status;
    metrics::add("bottega_github_requests_total",
                 {call.method, call.route, std::to_string(status)});
    log().info("{} {} {} {}ms remaining={} attempt={}{}{}", call.method, call.route, status, ms,
               governor.remaining(call.installation), attempt,
               reply->redirects ? " redirects=" : "",
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
      governor.succeeded(call.installation);
      ApiResponse r;
      r.status = status;
      r.body = std::move(reply->body);
      r.link = std::string(reply->header("link"));
      if (call.method == "GET" && !reply->header("etag").empty())
        etags.remember(cache_key,
                       detail::CachedRead{std::string(reply->header("etag")), r.body, r.link});
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
      auto wait = governor.rate_limit_wait(call.installation, *reply, error);
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
      governor.block(call.installation, *wait);
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

GhResult<ApiResponse> GitHubClient::Impl::call(std::string method, std::string route,
                                               const std::vector<std::string>& params,
                                               int64_t installation, std::string body,
                                               std::string query, bool content_creation,
                                               bool acknowledgement) {
  Call c;
  c.method = std::move(method);
  c.path = detail::expand(route, params);
  c.route = std::move(route);
  c.installation = installation;
  c.body = std::move(body);
  c.query = std::move(query);
  c.content_creation = content_creation;
  c.acknowledgement = acknowledgement;
  return execute(c);
}

GitHubError GitHubClient::Impl::decode_error(const std::string& route) {
  auto e = GitHubError::local(GitHubError::Kind::decode, "the answer is not the JSON expected");
  e.route = route;
  return e;
}

}  // namespace bottega::github
