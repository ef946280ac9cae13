// One REST request as the client's core executes it: what the governor,
// the credentials and the caches need to know about it.
// Private to github/. A plain value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace bottega::github::detail {

struct Call {
  std::string method = "GET";
  std::string route;         // template, for logs and errors
  std::string path;          // expanded
  std::string query;         // without '?'
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

}  // namespace bottega::github::detail
