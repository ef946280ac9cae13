#include "app/github_port.h"

#include <simdjson.h>

namespace bottega {

std::string GitHubClientPort::app_slug() {
  {
    std::lock_guard lock(mutex_);
    if (!slug_.empty()) return slug_;
  }
  // Asked outside the lock: two threads asking at once get the same answer.
  auto app = client_.request("GET", "/app", {}, 0);
  simdjson::dom::parser parser;
  std::string_view s;
  if (!app || parser.parse(app->body).get_object()["slug"].get(s)) return "";
  std::lock_guard lock(mutex_);
  slug_ = std::string(s);
  return slug_;
}

}  // namespace bottega
