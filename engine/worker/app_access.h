// The App's access to repositories (spec/intake.md, "The App's access"):
// uninstalled, suspended, or repositories taken out of the installation,
// their live tasks end without another write and the installation's cached
// token is dropped; a suspended installation is recorded so its events
// start nothing until unsuspend. Applying an event again changes nothing,
// so it needs no applied-once record.
// Thread-safety: any thread.
#pragma once

#include <cstdint>

#include "config/base/result.h"
#include "github/webhook/events.h"

namespace bottega {

class Database;
class GitHubPort;
class TaskApplier;

class AppAccess {
 public:
  AppAccess(Database& db, GitHubPort& gh, TaskApplier& applier)
      : db_(db), gh_(gh), applier_(applier) {}

  // An `installation` or `installation_repositories` event.
  [[nodiscard]] Result<void> handle(const WebhookEvent& ev);
  [[nodiscard]] Result<bool> suspended(int64_t installation);

 private:
  Result<void> set_suspended(int64_t installation, bool suspended);

  Database& db_;
  GitHubPort& gh_;
  TaskApplier& applier_;
};

}  // namespace bottega
