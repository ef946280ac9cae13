// GitHubError and GhResult<T>: how every GitHub operation reports failure.
// A failed call carries what a caller needs to decide what to do next (the
// HTTP status, GitHub's message and documentation URL, the request id to
// quote to GitHub support) and what a status comment can say.
// Thread-safety: plain value types. Ownership: they hold their values.
#pragma once

#include <cassert>
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "config/base/result.h"

namespace bottega::github {

struct GitHubError {
  enum class Kind {
    http,          // GitHub answered with a status >= 400 (see status)
    transport,     // no usable answer: connect, TLS, timeout, reset, bad HTTP
    rate_limited,  // a rate limit that would take too long to wait out
    auth,          // the App credentials themselves are unusable (key, JWT)
    decode,        // GitHub answered 2xx with a body we could not read
  };
  Kind kind = Kind::http;
  int status = 0;                 // HTTP status; 0 when there was none
  std::string message;            // GitHub's "message", or our own words
  std::string documentation_url;  // GitHub's "documentation_url", may be ""
  std::string request_id;         // x-github-request-id, may be ""
  std::string route;              // "GET /repos/{owner}/{repo}/pulls/{pull_number}"
  // For rate_limited: when the limit lifts (system clock).
  std::optional<std::chrono::system_clock::time_point> retry_at;

  static GitHubError transport_failure(std::string message) {
    GitHubError e;
    e.kind = Kind::transport;
    e.message = std::move(message);
    return e;
  }
  static GitHubError local(Kind kind, std::string message) {
    GitHubError e;
    e.kind = kind;
    e.message = std::move(message);
    return e;
  }

  bool is_not_found() const { return kind == Kind::http && status == 404; }
  bool is_unauthorized() const { return kind == Kind::http && status == 401; }
  bool is_forbidden() const { return kind == Kind::http && status == 403; }
  bool is_validation_failed() const { return kind == Kind::http && status == 422; }
  bool is_transport() const { return kind == Kind::transport; }
  bool is_rate_limited() const { return kind == Kind::rate_limited; }
  // Worth trying again later (by a queue retry): transport, 5xx, rate limits.
  bool is_transient() const {
    return kind == Kind::transport || kind == Kind::rate_limited ||
           (kind == Kind::http && status >= 500);
  }

  // One line for logs and status comments: route, status, message, request id.
  std::string describe() const;
};

// A value or a GitHubError; [[nodiscard]] (from Result): a failed GitHub
// call is never silently ignored.
template <class T>
using GhResult = Result<T, GitHubError>;

}  // namespace bottega::github
