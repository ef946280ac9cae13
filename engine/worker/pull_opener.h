// Opens the task's pull request: writes the task document where the
// repository asks (plan.commit_path, never through a link), commits what is
// left, pushes and opens the PR, or finds the one already open for the
// branch (after a crash or a retry).
// Thread-safety: open() may be called on any thread.
#pragma once

#include <variant>

#include "config/base/result.h"
#include "engine/worker/task_row.h"

namespace bottega {

class RepoLookups;
class TurnRunner;
class Workspace;
class GitHubPort;

class PullOpener {
 public:
  PullOpener(GitHubPort& gh, Workspace& workspace, RepoLookups& lookups, TurnRunner& turns);

  // Opened, or Failed for what retrying cannot mend (work the app refuses
  // to send); an error for trouble worth retrying.
  using Opened = std::variant<workflow::PullRequestOpened, workflow::PullRequestFailed>;
  [[nodiscard]] Result<Opened> open(const TaskRow& row);

 private:
  GitHubPort& gh_;
  Workspace& workspace_;
  RepoLookups& lookups_;
  TurnRunner& turns_;
};

}  // namespace bottega
