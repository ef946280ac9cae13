// The last check before an agent's work leaves: does a file the agent
// changed hold a secret the app knows (config/base/redactor.h)? The app
// refuses to commit such work and names the file, never the secret.
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

}  // namespace bottega
