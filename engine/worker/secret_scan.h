// The last check before an agent's work leaves: does a file the agent
// changed hold a secret the app knows (config/base/redactor.h), or is it a
// workflow file GitHub will not take from the App? The app refuses to
// commit such work and names the file, never the secret.
// Thread-safety: a pure function of the files and the registered secrets.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/base/result.h"

namespace bottega {

// Looks at each of `paths` (relative to `worktree`, as Workspace::changed_files
// gives them): a regular file's bytes, read in chunks without following a
// symbolic link, and a symbolic link's target text. A path that no longer
// exists (a deletion) or is not a file is skipped. nullopt: nothing found;
// otherwise "<path> (it holds <what the secret is>)". Fails when a file
// cannot be read.
[[nodiscard]] Result<std::optional<std::string>> find_secret_in_files(
    const std::string& worktree, const std::vector<std::string>& paths);

// A GitHub Actions workflow (under .github/workflows/, or that directory or
// .github itself as changed_files names a link or nested repository):
// GitHub refuses an
// App's push that creates, changes or deletes one without the `workflows`
// permission, a merge that brings one in included.
bool is_workflow_file(const std::string& path);

// Why the agent's changed `paths` may not leave, as a sentence naming the
// file: a GitHub Actions workflow (GitHub refuses an App's push that
// changes one without the `workflows` permission, which the App does not
// ask for: workflows run with the repository's secrets), or a file holding
// a secret (find_secret_in_files). A workflow change would be refused by
// every later push too, so the work holding it must be undone, not kept.
struct UnpushableChange {
  std::string why;
  bool workflow = false;
};
[[nodiscard]] Result<std::optional<UnpushableChange>> unpushable_change(
    const std::string& worktree, const std::vector<std::string>& paths);

}  // namespace bottega
