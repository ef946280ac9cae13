#include "github/error.h"

namespace bottega::github {

std::string GitHubError::describe() const {
  std::string out = route.empty() ? std::string("GitHub") : route;
  switch (kind) {
    case Kind::http:
      out += ": HTTP " + std::to_string(status);
      break;
    case Kind::transport:
      out += ": connection failed";
      break;
    case Kind::rate_limited:
      out += ": rate limited";
      break;
    case Kind::auth:
      out += ": App authentication failed";
      break;
    case Kind::decode:
      out += ": unreadable answer";
      break;
  }
  if (!message.empty()) out += ": " + message;
  if (!request_id.empty()) out += " (request " + request_id + ")";
  return out;
}

}  // namespace bottega::github
