#include "engine/workspace/worktree_layout.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "config/base/safe_file.h"

namespace bottega::workspace_detail {

namespace fs = std::filesystem;

namespace {

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

}  // namespace

bool valid_component(const std::string& s) {
  return !s.empty() && s != "." && s != ".." && s.front() != '-' &&
         std::all_of(s.begin(), s.end(), name_char);
}

Result<RepoName> parse_repo(const std::string& repo) {
  auto slash = repo.find('/');
  if (slash == std::string::npos)
    return make_error("repository \"" + repo + "\" is not of the form owner/name");
  RepoName r{repo.substr(0, slash), repo.substr(slash + 1)};
  if (!valid_component(r.owner) || !valid_component(r.name))
    return make_error("repository \"" + repo + "\" is not of the form owner/name");
  return r;
}

bool valid_branch(const std::string& b) {
  if (b.empty() || b.front() == '-' || b.front() == '/' || b.back() == '/' || b.back() == '.' ||
      b == "@" || b == "HEAD")
    return false;
  if (b.find("..") != std::string::npos || b.find("//") != std::string::npos ||
      b.find("@{") != std::string::npos || b.find("/.") != std::string::npos || b.front() == '.')
    return false;
  if (b.size() >= 5 && b.compare(b.size() - 5, 5, ".lock") == 0) return false;
  if (b.find(".lock/") != std::string::npos) return false;
  for (unsigned char c : b)
    if (c < 0x20 || c == 0x7f || c == ' ' || c == '~' || c == '^' || c == ':' || c == '?' ||
        c == '*' || c == '[' || c == '\\')
      return false;
  return true;
}

Result<FileLock> lock_cache(const std::string& cache) {
  std::error_code ec;
  fs::create_directories(cache, ec);
  if (ec) return make_error("cannot create " + cache + ": " + ec.message());
  return FileLock::acquire(cache + "/" + kLockName);
}

std::string cache_dir(const std::string& root, const RepoName& repo) {
  return root + "/cache/" + repo.owner + "/" + repo.name + ".git";
}

std::string admin_dir(const std::string& cache, const std::string& task_dir) {
  return cache + "/worktrees/" + task_dir;
}

bool admin_names(const std::string& admin, const std::string& path) {
  auto gitdir = read_regular_file(admin + "/gitdir", 4096);
  return gitdir && trim(*gitdir) == path + "/.git";
}

WorktreeHead worktree_head(const GitRunner& git, const std::string& path, const std::string& cache,
                           const std::string& task_dir) {
  WorktreeHead h;
  const std::string admin = admin_dir(cache, task_dir);
  struct stat st {};
  h.ours = admin_names(admin, path) && ::lstat((path + "/.git").c_str(), &st) == 0;
  if (!h.ours) return h;
  auto head = git.run({{"--git-dir=" + admin, "symbolic-ref", "--quiet", "HEAD"}});
  if (head && head->exit_code == 0) h.ref = first_line(head->out);
  return h;
}

Result<void> forget_admin_dirs(const std::string& cache, const std::string& path,
                               const std::string& task_dir) {
  std::error_code ec;
  std::vector<std::string> doomed{admin_dir(cache, task_dir)};
  for (fs::directory_iterator it(cache + "/worktrees", ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string admin = it->path().string();
    if (admin != doomed.front() && admin_names(admin, path)) doomed.push_back(admin);
  }
  for (const auto& admin : doomed) {
    fs::remove_all(admin, ec);  // never follows a symbolic link
    if (ec) return make_error("cannot remove " + admin + ": " + ec.message());
  }
  return {};
}

Result<TaskTree> find_worktree(const std::string& root, const std::string& worktree) {
  const std::string refused =
      "\"" + worktree + "\" is not a task worktree under " + root + "/worktrees";
  std::error_code ec;
  auto path = fs::canonical(worktree, ec);
  if (ec || path.parent_path() != fs::path(root) / "worktrees" ||
      !fs::is_directory(fs::symlink_status(path, ec)))
    return make_error(refused);
  TaskTree t;
  t.path = path.string();
  t.task_dir = path.filename().string();
  if (!valid_component(t.task_dir)) return make_error(refused);
  std::vector<TaskTree> found;
  for (fs::directory_iterator owners(root + "/cache", ec), end; !ec && owners != end;
       owners.increment(ec)) {
    std::error_code ec2;
    if (!owners->is_directory(ec2) || owners->is_symlink(ec2)) continue;
    for (fs::directory_iterator repos(owners->path(), ec2); !ec2 && repos != end;
         repos.increment(ec2)) {
      const auto& cache = repos->path();
      if (cache.extension() != ".git") continue;
      const std::string admin = admin_dir(cache.string(), t.task_dir);
      if (!admin_names(admin, t.path)) continue;
      TaskTree hit = t;
      hit.cache = cache.string();
      hit.admin = admin;
      hit.repo = owners->path().filename().string() + "/" + cache.stem().string();
      found.push_back(std::move(hit));
    }
  }
  if (found.empty()) return make_error(refused + " (no cache holds its git directory)");
  if (found.size() > 1)
    return make_error("worktree " + t.path + " is claimed by the caches of " + found[0].repo +
                      " and " + found[1].repo);
  return std::move(found.front());
}

Result<void> replace_dot_git(const std::string& worktree, const std::string& content) {
  int dir = ::open(worktree.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dir < 0) return make_error("cannot open " + worktree + ": " + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{dir};
  struct stat st {};
  if (::fstatat(dir, ".git", &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (S_ISDIR(st.st_mode)) {
      std::error_code ec;
      fs::remove_all(worktree + "/.git", ec);  // does not follow links inside
      if (ec) return make_error("cannot remove " + worktree + "/.git: " + ec.message());
    } else if (::unlinkat(dir, ".git", 0) != 0) {
      return make_error("cannot remove " + worktree + "/.git: " + std::strerror(errno));
    }
  }
  int fd = ::openat(dir, ".git", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) return make_error("cannot create " + worktree + "/.git: " + std::strerror(errno));
  std::string_view rest = content;
  while (!rest.empty()) {
    ssize_t n = ::write(fd, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      return make_error("cannot write " + worktree + "/.git: " + std::strerror(e));
    }
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  ::close(fd);
  return {};
}

}  // namespace bottega::workspace_detail
