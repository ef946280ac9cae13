// AppAuthCheck: whether GitHub accepts the App's credentials, asked with
// `GET /app` (a JWT request, no installation) at start and then every
// `interval`; /readyz is not ready while the answer is no.
// Thread-safety: not_ready_reason() may be called from any thread.
// Ownership: borrows the client, which must outlive the check.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "github/client.h"

namespace bottega {

class AppAuthCheck {
 public:
  AppAuthCheck(github::GitHubClient& client, std::chrono::milliseconds interval);
  ~AppAuthCheck();  // stops the checks (waits for one in flight)
  AppAuthCheck(const AppAuthCheck&) = delete;
  AppAuthCheck& operator=(const AppAuthCheck&) = delete;

  // nullopt once GitHub accepted the credentials at the last check;
  // otherwise why not (or that the first check is under way).
  std::optional<std::string> not_ready_reason() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bottega
