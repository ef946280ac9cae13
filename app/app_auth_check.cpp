#include "app/app_auth_check.h"

#include <mutex>

#include "app/jobs.h"
#include "config/base/log.h"

namespace bottega {

struct AppAuthCheck::Impl {
  github::GitHubClient& client;
  mutable std::mutex mutex;
  std::optional<std::string> reason =
      std::string("the App's credentials are being checked with GitHub");
  std::unique_ptr<PeriodicTask> task;

  explicit Impl(github::GitHubClient& c) : client(c) {}

  void check() {
    auto answer = client.request("GET", "/app", {}, 0);
    std::optional<std::string> now;
    if (!answer) {
      const auto& e = answer.error();
      if (e.is_unauthorized() || e.kind == github::GitHubError::Kind::auth)
        now = "GitHub refuses the App's credentials (" + e.describe() +
              "): check app.id (or app.client_id) and app.private_key_file";
      else
        now = "the App's credentials cannot be checked: " + e.describe();
    }
    std::lock_guard lock(mutex);
    if (now != reason) {
      if (now)
        component_log("github").error("{}", *now);
      else
        component_log("github").info("GitHub accepts the App's credentials");
    }
    reason = std::move(now);
  }
};

AppAuthCheck::AppAuthCheck(github::GitHubClient& client, std::chrono::milliseconds interval)
    : impl_(std::make_unique<Impl>(client)) {
  impl_->task = std::make_unique<PeriodicTask>(
      interval, [impl = impl_.get()] { impl->check(); }, /*run_now=*/true);
}

AppAuthCheck::~AppAuthCheck() { impl_->task.reset(); }

std::optional<std::string> AppAuthCheck::not_ready_reason() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->reason;
}

}  // namespace bottega
