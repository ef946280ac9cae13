// GitHubClient::Impl, the request core every operation goes through:
// credentials (the App JWT, installation tokens), the rate governor, the
// one HTTPS transport, retries and the ETag cache; and the helpers the
// operation files share to call a route, follow pagination and decode an
// answer. The operations themselves live in app.cpp, repos.cpp, issues.cpp,
// pulls.cpp and checks.cpp, grouped by resource.
//
// Thread-safety: as GitHubClient's, everything may be called from any
// thread. Locks: the governor's, the token cache's and the ETag cache's
// each guard their own state only and are never held across a request; a
// spaced mutation holds its installation's mutation lock (from the
// governor) for the whole request, retries included; rng_mutex and
// minted_mutex guard only the jitter generator and the minted list.
// Private to github/.
#pragma once

#include <simdjson.h>

#include <chrono>
#include <mutex>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "config/base/log.h"
#include "github/client.h"
#include "github/client/call.h"
#include "github/client/etag_cache.h"
#include "github/client/rate_governor.h"
#include "github/client/token_cache.h"
#include "github/client/url.h"
#include "github/http_transport.h"

namespace bottega::github {

struct GitHubClient::Impl {
  GitHubClientOptions options;
  const Clock& clock;
  Sleeper& sleeper;
  HttpTransport transport;
  std::string api_base;  // without trailing slash
  std::string issuer;

  detail::RateGovernor governor;
  detail::TokenCache tokens;
  detail::EtagCache etags;

  std::mutex rng_mutex;
  std::mt19937_64 rng{std::random_device{}()};

  // Credentials this client minted and registered with the redactor, with
  // when they stop being valid.
  std::mutex minted_mutex;
  std::vector<std::pair<std::string, std::chrono::system_clock::time_point>> minted;

  Impl(GitHubClientOptions o, const Clock& c, Sleeper& s);

  spdlog::logger& log();

  std::chrono::milliseconds jittered(std::chrono::milliseconds base, int retry);

  // ------------------------------------------------------------ JWT, tokens

  GhResult<std::string> jwt();

  // Registers a minted credential with the redactor until it has expired;
  // expired ones are unregistered here, so a long-running client does not
  // grow the redactor with every JWT it signs.
  void remember_secret(const std::string& value, const char* name,
                       std::chrono::system_clock::time_point expires);

  GhResult<std::string> token(int64_t installation);
  void forget_token(int64_t installation, const std::string& used);

  // ------------------------------------------------------------------- core

  GitHubError http_error(const detail::Call& call, const HttpReply& reply);

  GhResult<ApiResponse> execute(const detail::Call& call);

  GhResult<ApiResponse> call(std::string method, std::string route,
                             const std::vector<std::string>& params, int64_t installation,
                             std::string body = "", std::string query = "",
                             bool content_creation = false, bool acknowledgement = false);

  // GETs every page (per_page=100) and hands each array element to `each`.
  template <class F>
  GhResult<void> paginate(const std::string& route, const std::vector<std::string>& params,
                          int64_t installation, std::string query, const char* array_key,
                          F&& each) {
    namespace dom = simdjson::dom;
    detail::Call c;
    c.route = route;
    c.path = detail::expand(route, params);
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
      auto next = detail::next_link(r->link);
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

  static GitHubError decode_error(const std::string& route);

  // Parses the body and decodes it with f(element).
  template <class T, class F>
  GhResult<T> decode(const GhResult<ApiResponse>& r, const std::string& route, F&& f) {
    if (!r) return r.error();
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.parse(r->body).get(doc)) return decode_error(route);
    return f(doc);
  }
};

namespace detail {
// The answer of a call whose body nobody reads.
inline GhResult<void> void_result(const GhResult<ApiResponse>& r) {
  if (!r) return r.error();
  return {};
}
}  // namespace detail

}  // namespace bottega::github
