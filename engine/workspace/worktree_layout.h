// Where the workspace keeps things on disk and who owns them: the bare
// clone cache of each repository and its lock, the task worktrees and
// their admin directories in the cache (the app's git), and the names the
// workspace accepts for them. Internal to the workspace module.
//
// Thread-safety: plain functions and values; a FileLock excludes every
// other thread and process taking the same file.
#pragma once

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "config/base/result.h"
#include "engine/workspace/git_runner.h"

namespace bottega::workspace_detail {

// The lock file of a repository's cache, in the cache directory.
inline constexpr const char* kLockName = "bottega.lock";

// One path component we create: letters, digits, '-', '_', '.'; not "." or "..".
bool valid_component(const std::string& s);

struct RepoName {
  std::string owner, name;
  std::string full() const { return owner + "/" + name; }
};

Result<RepoName> parse_repo(const std::string& repo);

// git's rules for a branch name (check-ref-format --branch), without a process.
bool valid_branch(const std::string& b);

// An exclusive flock on a file; released when destroyed. Locks taken through
// separate open() calls exclude each other across threads and processes alike.
class FileLock {
 public:
  static Result<FileLock> acquire(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return make_error("cannot open lock file " + path + ": " + std::strerror(errno));
    while (::flock(fd, LOCK_EX) != 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      return make_error("cannot lock " + path + ": " + std::strerror(e));
    }
    return FileLock(fd);
  }
  FileLock(FileLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  FileLock& operator=(FileLock&&) = delete;
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the flock
  }

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_;
};

// The cache directory, made if missing, locked against every other thread
// and process working on it.
Result<FileLock> lock_cache(const std::string& cache);

std::string cache_dir(const std::string& root, const RepoName& repo);

// The admin directory of the task worktree <root>/worktrees/<task_dir> in
// `cache`: where the app's git keeps the worktree's HEAD and index. Only the
// app writes it; the agent never sees it.
std::string admin_dir(const std::string& cache, const std::string& task_dir);

// Whether the admin directory `admin` belongs to the worktree at `path`: its
// gitdir file (written by `git worktree add`) names <path>/.git.
bool admin_names(const std::string& admin, const std::string& path);

// The worktree at `path` as the cache sees it: `ours` when the cache has its
// admin directory and the directory has a .git entry (of any kind: a plain
// directory left in its place by a crash or a half-made worktree has none),
// and then the ref its HEAD is on ("" when detached). Read from the admin
// directory, never from the worktree's .git (the agent's).
struct WorktreeHead {
  bool ours = false;
  std::string ref;
};

WorktreeHead worktree_head(const GitRunner& git, const std::string& path, const std::string& cache,
                           const std::string& task_dir);

// Removes every admin directory of the cache that belongs to the worktree
// at `path` (and the one named `task_dir`, whoever it names), so that
// `git worktree add` makes <cache>/worktrees/<task_dir> afresh. Locked
// entries are never pruned by git: this is how ours go.
Result<void> forget_admin_dirs(const std::string& cache, const std::string& path,
                               const std::string& task_dir);

// A task worktree as the app's git sees it: its directory, and the admin
// directory in the cache that holds its HEAD and index.
struct TaskTree {
  std::string path;      // <root>/worktrees/<task_dir>, canonical
  std::string task_dir;  // its name
  std::string cache;     // <root>/cache/<owner>/<name>.git
  std::string admin;     // <cache>/worktrees/<task_dir>
  std::string repo;      // owner/name, for messages

  // git arguments working on this worktree: the git dir and the work tree
  // given explicitly, so the worktree's .git (the agent's) is never read.
  std::vector<std::string> args(std::initializer_list<std::string> rest) const {
    std::vector<std::string> a{"--git-dir=" + admin, "--work-tree=" + path};
    a.insert(a.end(), rest.begin(), rest.end());
    return a;
  }
};

// `worktree` when it is one of our task worktrees: a directory (not a
// symbolic link) directly under <root>/worktrees whose admin directory one
// of the caches holds. The cache is found from the worktree's name, never
// from anything inside the worktree.
Result<TaskTree> find_worktree(const std::string& root, const std::string& worktree);

// Replaces whatever <worktree>/.git is (a file, a directory, a symbolic
// link: the agent's to make) with a file holding `content`, following no
// link: the directory is opened without following one, the entry is
// removed (a link itself, never its target) and created with O_EXCL.
Result<void> replace_dot_git(const std::string& worktree, const std::string& content);

}  // namespace bottega::workspace_detail
