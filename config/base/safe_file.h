// Safe file helpers: reading and writing files in directories an agent can
// write (a task's worktree, a run directory) without being led elsewhere by
// what it left there. A symbolic link planted by an agent must never turn
// the app's write into a write outside the worktree (say, into the server's
// config), nor its read into a read of /etc/shadow or a FIFO that blocks
// forever.
//
// Thread-safety: plain functions; they hold no state and no open file
// between calls. Two writers of one file race (the last rename wins).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "config/base/result.h"

namespace bottega {

// Writes `content` to `root`/`relative`, creating missing directories
// (0755) on the way. Every component is opened with openat(O_NOFOLLOW) from
// a descriptor of `root` (the root itself is trusted), so no symbolic link
// is ever followed: a link on the way or at the end fails with
// "<relative>: <component> is a symbolic link in the worktree; nothing was
// written" (or "<relative> is a symbolic link ..." for the file itself).
// `relative` must be relative, without empty, "." or ".." components. The
// file (0644) is written under a temporary name beside it and renamed into
// place, so a reader sees the old or the new content, never half of it;
// an existing entry that is not a regular file (a directory, a FIFO) is an
// error and is left as it is.
[[nodiscard]] Result<void> write_file_beneath(const std::string& root, const std::string& relative,
                                              std::string_view content);

// The content of the regular file `path`, at most `max_bytes` of it. The
// last component is opened without following a symbolic link and without
// blocking (O_NOFOLLOW | O_NONBLOCK), so a symlink, FIFO, device or
// directory there is an error naming the path, as is a file larger than
// `max_bytes`. A missing file is an error too ("<path> does not exist");
// callers for whom absence is normal check for it first.
[[nodiscard]] Result<std::string> read_regular_file(const std::string& path, std::size_t max_bytes);

}  // namespace bottega
