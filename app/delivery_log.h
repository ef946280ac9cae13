// GitHubDeliveryLog: the App's webhook delivery log, as the reconciler needs
// it, read and driven through the GitHub client.
// Thread-safety: as the client (any thread). Ownership: borrows the client.
#pragma once

#include "engine/intake/reconciler.h"
#include "github/client.h"

namespace bottega {

class GitHubDeliveryLog final : public HookDeliveryApi {
 public:
  explicit GitHubDeliveryLog(github::GitHubClient& client) : client_(client) {}

  // Follows GitHub's cursor pagination until `limit` attempts are read.
  Result<std::vector<HookDelivery>> recent_deliveries(std::size_t limit) override;
  Result<void> redeliver(int64_t id) override;

 private:
  github::GitHubClient& client_;
};

}  // namespace bottega
