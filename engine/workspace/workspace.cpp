#include "engine/workspace/workspace.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "config/base/log.h"
#include "engine/process/run.h"
#include "engine/workspace/git_command.h"

namespace bottega {

namespace fs = std::filesystem;
using workspace_detail::GitCommand;
using workspace_detail::GitOutput;

namespace {

constexpr const char* kBranchPrefix = "bottega/";
constexpr const char* kLockName = "bottega.lock";

// The credential helper: answers `get` with the token from its environment,
// and only for the host and protocol the token was meant for (a redirect or
// an insteadOf rewrite to another host gets nothing). Stored, erased and
// other requests are ignored.
constexpr const char* kCredentialHelper =
    "!f() { test \"$1\" = get || exit 0; h=; p=; "
    "while read -r l; do case \"$l\" in host=*) h=\"${l#host=}\";; protocol=*) "
    "p=\"${l#protocol=}\";; esac; done; "
    "test \"$p\" = \"$BOTTEGA_GIT_PROTOCOL\" && test \"$h\" = \"$BOTTEGA_GIT_HOST\" || exit 0; "
    "echo username=x-access-token; printf 'password=%s\\n' \"$BOTTEGA_GIT_TOKEN\"; }; f";

spdlog::logger& log() { return component_log("workspace"); }

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

// One path component we create: letters, digits, '-', '_', '.'; not "." or "..".
bool valid_component(const std::string& s) {
  return !s.empty() && s != "." && s != ".." && s.front() != '-' &&
         std::all_of(s.begin(), s.end(), name_char);
}

struct RepoName {
  std::string owner, name;
  std::string full() const { return owner + "/" + name; }
};

Result<RepoName> parse_repo(const std::string& repo) {
  auto slash = repo.find('/');
  if (slash == std::string::npos)
    return make_error("repository \"" + repo + "\" is not of the form owner/name");
  RepoName r{repo.substr(0, slash), repo.substr(slash + 1)};
  if (!valid_component(r.owner) || !valid_component(r.name))
    return make_error("repository \"" + repo + "\" is not of the form owner/name");
  return r;
}

// git's rules for a branch name (check-ref-format --branch), without a process.
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

// What the credential helper matches against: git's protocol and host (with
// the port, when the URL has one) of the clone URL.
struct UrlParts {
  std::string protocol, host;
};

Result<UrlParts> check_remote(const GitRemote& remote) {
  const auto& url = remote.clone_url;
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos)
    return make_error("clone URL \"" + url + "\" is not an http(s) URL");
  UrlParts parts{url.substr(0, scheme_end), ""};
  if (parts.protocol != "https" && parts.protocol != "http")
    return make_error("clone URL \"" + url + "\" is not an http(s) URL");
  auto host_start = scheme_end + 3;
  auto host_end = url.find('/', host_start);
  parts.host = url.substr(
      host_start, host_end == std::string::npos ? std::string::npos : host_end - host_start);
  // Never echo such a URL back: it holds a credential.
  if (parts.host.find('@') != std::string::npos)
    return make_error(
        "the clone URL carries a credential; give the token apart (GitRemote::token)");
  if (parts.host.empty()) return make_error("clone URL \"" + url + "\" has no host");
  if (remote.token.empty()) return make_error("no installation token given for " + url);
  for (unsigned char c : remote.token)
    if (c < 0x20 || c == 0x7f)
      return make_error("the installation token holds a control character");
  return parts;
}

std::string replace_all(std::string text, const std::string& what, const std::string& with) {
  if (what.empty()) return text;
  for (auto pos = text.find(what); pos != std::string::npos;
       pos = text.find(what, pos + with.size()))
    text.replace(pos, what.size(), with);
  return text;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  std::size_t start = 0;
  while (start < s.size() && (s[start] == '\n' || s[start] == ' ')) ++start;
  return s.substr(start);
}

bool contains(const std::string& text, const char* what) {
  return text.find(what) != std::string::npos;
}

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
Result<FileLock> lock_cache(const std::string& cache) {
  std::error_code ec;
  fs::create_directories(cache, ec);
  if (ec) return make_error("cannot create " + cache + ": " + ec.message());
  return FileLock::acquire(cache + "/" + kLockName);
}

// Runs git for one Workspace: the clean environment, the options every
// call gets, and for network calls the token and the credential helper.
class GitRunner {
 public:
  GitRunner(const WorkspaceOptions& options, const std::string& exe)
      : options_(options), exe_(exe) {}

  struct Call {
    Call() = default;
    Call(std::vector<std::string> a, std::string c = {}, std::vector<std::string> e = {},
         const GitRemote* r = nullptr, const UrlParts* u = nullptr)
        : args(std::move(a)), cwd(std::move(c)), env(std::move(e)), remote(r), url(u) {}
    std::vector<std::string> args;
    std::string cwd;
    std::vector<std::string> env;       // besides the base environment
    const GitRemote* remote = nullptr;  // set: a network call (token, helper, CA, network_timeout)
    const UrlParts* url = nullptr;
  };

  Result<GitOutput> run(const Call& call) const {
    if (exe_.empty()) return make_error("git (\"" + options_.git + "\") was not found on PATH");
    GitCommand command;
    command.exe = exe_;
    command.cwd = call.cwd.empty() ? options_.root : call.cwd;
    command.env = base_env();
    for (const auto& e : call.env) command.env.push_back(e);
    // Hooks never run: a hook would see the token's environment, and the
    // agent can write hook files.
    command.args = {
        "-c", "core.hooksPath=/dev/null", "-c", "core.askPass=", "-c", "credential.helper="};
    command.timeout = options_.local_timeout;
    if (call.remote) {
      command.args.insert(command.args.end(),
                          {"-c", std::string("credential.helper=") + kCredentialHelper, "-c",
                           "http.sslVerify=true"});
      if (!options_.ca_file.empty())
        command.args.insert(command.args.end(), {"-c", "http.sslCAInfo=" + options_.ca_file});
      command.env.push_back("BOTTEGA_GIT_TOKEN=" + call.remote->token);
      command.env.push_back("BOTTEGA_GIT_PROTOCOL=" + call.url->protocol);
      command.env.push_back("BOTTEGA_GIT_HOST=" + call.url->host);
      command.timeout = options_.network_timeout;
    }
    command.args.insert(command.args.end(), call.args.begin(), call.args.end());
    if (log().should_log(spdlog::level::debug)) {
      std::string line;
      for (const auto& a : call.args) line += (line.empty() ? "" : " ") + a;
      log().debug("git {} (in {})", scrub(line, call.remote), command.cwd);
    }
    return workspace_detail::run_git(command);
  }

  // Runs and requires exit 0; returns stdout. `what` names the operation
  // for the error ("git fetch of acme/widgets").
  Result<std::string> check(const Call& call, const std::string& what) const {
    auto out = run(call);
    if (!out) return make_error(what + ": " + out.error().message);
    if (out->exit_code != 0 || out->timed_out) return failure(*out, call, what);
    return std::move(out->out);
  }

  Error failure(const GitOutput& out, const Call& call, const std::string& what) const {
    std::string err = scrub(out.err, call.remote);
    std::string tail = trim(tail_lines(err, 8));
    std::string reason;
    if (out.timed_out) {
      auto limit = call.remote ? options_.network_timeout : options_.local_timeout;
      reason = "timed out after " + std::to_string(limit.count()) + " s" +
               (call.remote ? " (the remote did not answer in time)" : "") + "; git was killed";
    } else if (call.remote &&
               (contains(err, "Authentication failed") ||
                contains(err, "could not read Username") ||
                contains(err, "could not read Password") || contains(err, "returned error: 401") ||
                contains(err, "returned error: 403"))) {
      reason =
          "authentication failed (the installation token was refused: expired, revoked, or without "
          "access to the repository)";
    } else if (call.remote &&
               (contains(err, "not found") || contains(err, "returned error: 404"))) {
      reason = "repository not found (or not visible to the App's installation)";
    } else {
      reason = "git exited with status " + std::to_string(out.exit_code);
    }
    return make_error(what + ": " + reason + (tail.empty() ? "" : ": " + tail));
  }

  std::string scrub(const std::string& text, const GitRemote* remote) const {
    std::string out = remote ? replace_all(text, remote->token, "[REDACTED]") : text;
    return redact(out);
  }

 private:
  std::vector<std::string> base_env() const {
    std::vector<std::string> env;
    const char* path = std::getenv("PATH");
    env.push_back(std::string("PATH=") + (path && *path ? path : "/usr/local/bin:/usr/bin:/bin"));
    env.push_back("HOME=" + options_.root + "/home");
    env.push_back("LANG=C");
    env.push_back("LC_ALL=C");  // git's messages in English: failures are recognized by them
    env.push_back("GIT_TERMINAL_PROMPT=0");
    env.push_back("GIT_CONFIG_NOSYSTEM=1");
    // A directory under worktrees/ that is not a worktree must not be taken
    // for a part of some repository above it.
    env.push_back("GIT_CEILING_DIRECTORIES=" + options_.root + "/worktrees");
    for (const char* name : {"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY",
                             "no_proxy", "ALL_PROXY", "all_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR"})
      if (const char* v = std::getenv(name)) env.push_back(std::string(name) + "=" + v);
    return env;
  }

  const WorkspaceOptions& options_;
  const std::string& exe_;
};

std::string first_line(const std::string& text) { return trim(text.substr(0, text.find('\n'))); }

std::string cache_dir(const std::string& root, const RepoName& repo) {
  return root + "/cache/" + repo.owner + "/" + repo.name + ".git";
}

bool same_path(const std::string& a, const std::string& b) {
  std::error_code ec1, ec2;
  auto ca = fs::canonical(a, ec1), cb = fs::canonical(b, ec2);
  return !ec1 && !ec2 && ca == cb;
}

// A directory under worktrees/ as the cache sees it: `ours` when its .git
// names this cache, and then the ref its HEAD is on ("" when detached).
struct WorktreeHead {
  bool ours = false;
  std::string ref;
};

WorktreeHead worktree_head(const GitRunner& git, const std::string& path, const std::string& cache) {
  WorktreeHead h;
  std::error_code ec;
  if (!fs::is_regular_file(path + "/.git", ec)) return h;
  auto common = git.run({{"rev-parse", "--path-format=absolute", "--git-common-dir"}, path});
  h.ours = common && common->exit_code == 0 && same_path(first_line(common->out), cache);
  if (!h.ours) return h;
  auto head = git.run({{"symbolic-ref", "--quiet", "HEAD"}, path});
  if (head && head->exit_code == 0) h.ref = first_line(head->out);
  return h;
}

// The sha `ref` names in the repository at git_dir, or "" when it names no commit.
Result<std::string> resolve(const GitRunner& git, const std::string& git_dir,
                            const std::string& ref) {
  auto out =
      git.run({{"--git-dir=" + git_dir, "rev-parse", "--verify", "--quiet", ref + "^{commit}"}});
  if (!out) return out.error();
  if (out->timed_out) return make_error("git rev-parse " + ref + " timed out");
  return out->exit_code == 0 ? first_line(out->out) : std::string();
}

// Creates or fetches the cache. The caller holds the repository's lock.
Result<void> sync_locked(const GitRunner& git, const std::string& cache, const RepoName& repo,
                         const GitRemote& remote, const UrlParts& url) {
  const std::string gd = "--git-dir=" + cache;
  if (!fs::exists(cache + "/HEAD")) {
    // No template: no sample hooks, nothing but git's own files.
    auto init = git.check({{"init", "--bare", "--quiet", "--template=", cache}},
                          "git init of " + repo.full());
    if (!init) return init.error();
    log().info("created the cache of {} at {}", repo.full(), cache);
  }
  // Set on every sync: the clone URL may change (a renamed or moved repository).
  auto set_url = git.check({{gd, "config", "remote.origin.url", remote.clone_url}},
                           "git config of " + repo.full());
  if (!set_url) return set_url.error();
  auto set_refspec = git.check({{gd, "config", "--replace-all", "remote.origin.fetch",
                                 "+refs/heads/*:refs/remotes/origin/*"}},
                               "git config of " + repo.full());
  if (!set_refspec) return set_refspec.error();
  auto fetch = git.check({{gd, "fetch", "--quiet", "--prune", "--no-write-fetch-head", "origin"},
                          "",
                          {},
                          &remote,
                          &url},
                         "git fetch of " + repo.full());
  if (!fetch) return fetch.error();
  return {};
}

// `worktree` as a canonical path, when it is one of our task worktrees.
Result<std::string> check_worktree(const std::string& root, const std::string& worktree) {
  std::error_code ec;
  auto path = fs::canonical(worktree, ec);
  if (ec || path.parent_path() != fs::path(root) / "worktrees" ||
      !fs::is_regular_file(path / ".git", ec))
    return make_error("\"" + worktree + "\" is not a task worktree under " + root + "/worktrees");
  return path.string();
}

// Paths with changes (porcelain v1, -z, no renames: "XY path\0" per entry).
std::vector<std::string> parse_status(const std::string& out) {
  std::vector<std::string> files;
  std::size_t pos = 0;
  while (pos < out.size()) {
    auto end = out.find('\0', pos);
    if (end == std::string::npos) end = out.size();
    if (end - pos > 3) files.push_back(out.substr(pos + 3, end - pos - 3));
    pos = end + 1;
  }
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  return files;
}

}  // namespace

Workspace::Workspace(WorkspaceOptions options) : options_(std::move(options)) {
  std::error_code ec;
  fs::path root = fs::absolute(options_.root.empty() ? fs::path(".") : fs::path(options_.root), ec)
                      .lexically_normal();
  for (const char* sub : {"cache", "worktrees", "home"}) fs::create_directories(root / sub, ec);
  auto canonical = fs::weakly_canonical(root, ec);
  options_.root = (ec ? root : canonical).string();
  while (options_.root.size() > 1 && options_.root.back() == '/') options_.root.pop_back();
  const char* path = std::getenv("PATH");
  git_exe_ = find_program(options_.git,
                                            path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
}

Result<void> Workspace::sync(const std::string& repo, const GitRemote& remote) {
  auto name = parse_repo(repo);
  if (!name) return name.error();
  auto url = check_remote(remote);
  if (!url) return url.error();
  const std::string cache = cache_dir(options_.root, *name);
  auto lock = lock_cache(cache);
  if (!lock) return lock.error();
  GitRunner git(options_, git_exe_);
  return sync_locked(git, cache, *name, remote, *url);
}

Result<std::string> Workspace::prepare_worktree(const std::string& repo, const GitRemote& remote,
                                                const std::string& task_dir,
                                                const std::string& branch,
                                                const std::string& base_branch) {
  auto name = parse_repo(repo);
  if (!name) return name.error();
  auto url = check_remote(remote);
  if (!url) return url.error();
  if (!valid_component(task_dir))
    return make_error("task directory \"" + task_dir + "\" is not a plain name");
  if (!valid_branch(branch)) return make_error("\"" + branch + "\" is not a valid branch name");
  if (!valid_branch(base_branch))
    return make_error("\"" + base_branch + "\" is not a valid branch name");

  const std::string cache = cache_dir(options_.root, *name);
  auto lock = lock_cache(cache);
  if (!lock) return lock.error();
  GitRunner git(options_, git_exe_);
  auto synced = sync_locked(git, cache, *name, remote, *url);
  if (!synced) return synced.error();

  const std::string path = options_.root + "/worktrees/" + task_dir;
  const std::string gd = "--git-dir=" + cache;
  std::error_code ec;
  const std::string what = "worktree " + task_dir + " of " + name->full();
  if (fs::exists(fs::symlink_status(path, ec))) {
    auto head = worktree_head(git, path, cache);
    if (head.ref == "refs/heads/" + branch) {
      log().debug("reusing {} at {}", what, path);
      return path;
    }
    log().info("{} at {} is not on {}: recreating it", what, path, branch);
    if (head.ours) (void)git.run({{gd, "worktree", "remove", "--force", "--force", path}});
    fs::remove_all(path, ec);
    if (ec) return make_error("cannot remove " + path + ": " + ec.message());
  }
  // Forget worktrees whose directories are gone, so their branches can be checked out again.
  auto pruned = git.check({{gd, "worktree", "prune"}}, "git worktree prune of " + name->full());
  if (!pruned) return pruned.error();

  std::string start = "refs/remotes/origin/" + branch;
  auto sha = resolve(git, cache, start);
  if (!sha) return sha.error();
  if (sha->empty()) {
    start = "refs/remotes/origin/" + base_branch;
    sha = resolve(git, cache, start);
    if (!sha) return sha.error();
    if (sha->empty())
      return make_error("cannot create " + what + ": neither " + branch + " nor the base branch " +
                        base_branch + " exists in " + name->full());
  }
  auto added =
      git.check({{gd, "worktree", "add", "--quiet", "--no-track", "-B", branch, path, start}},
                "git worktree add of " + what);
  if (!added) return added.error();
  log().info("created {} at {} on {} from {} ({})", what, path, branch,
             start.substr(std::strlen("refs/remotes/")), sha->substr(0, 12));
  return path;
}

Result<void> Workspace::remove_worktree(const std::string& repo, const std::string& task_dir) {
  auto name = parse_repo(repo);
  if (!name) return name.error();
  if (!valid_component(task_dir))
    return make_error("task directory \"" + task_dir + "\" is not a plain name");
  const std::string path = options_.root + "/worktrees/" + task_dir;
  const std::string cache = cache_dir(options_.root, *name);
  std::error_code ec;
  if (!fs::exists(cache + "/HEAD", ec)) {
    fs::remove_all(path, ec);
    if (ec) return make_error("cannot remove " + path + ": " + ec.message());
    return {};
  }
  auto lock = FileLock::acquire(cache + "/" + kLockName);
  if (!lock) return lock.error();
  GitRunner git(options_, git_exe_);
  const std::string gd = "--git-dir=" + cache;

  auto head = worktree_head(git, path, cache);
  const std::string& branch_ref = head.ref;
  if (head.ours) (void)git.run({{gd, "worktree", "remove", "--force", "--force", path}});
  fs::remove_all(path, ec);
  if (ec) return make_error("cannot remove " + path + ": " + ec.message());
  auto pruned = git.check({{gd, "worktree", "prune"}}, "git worktree prune of " + name->full());
  if (!pruned) return pruned.error();
  if (branch_ref.rfind("refs/heads/", 0) == 0) {
    // A branch left behind is harmless (prepare_worktree resets it), so a
    // failure here is logged, not returned.
    auto deleted = git.run({{gd, "update-ref", "-d", branch_ref}});
    if (!deleted || deleted->exit_code != 0)
      log().warn("could not delete {} in the cache of {}: {}", branch_ref, name->full(),
                 deleted ? trim(tail_lines(deleted->err, 3)) : deleted.error().message);
  }
  log().info("removed worktree {} of {}", task_dir, name->full());
  return {};
}

Result<std::vector<std::string>> Workspace::changed_files(const std::string& worktree) {
  auto path = check_worktree(options_.root, worktree);
  if (!path) return path.error();
  GitRunner git(options_, git_exe_);
  // No optional locks: an agent's git may be working in the same tree.
  auto out = git.check({{"status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames"},
                        *path,
                        {"GIT_OPTIONAL_LOCKS=0"}},
                       "git status in " + *path);
  if (!out) return out.error();
  return parse_status(*out);
}

Result<std::vector<std::string>> Workspace::discard_changes(const std::string& worktree) {
  auto path = check_worktree(options_.root, worktree);
  if (!path) return path.error();
  auto changed = changed_files(*path);
  if (!changed) return changed.error();
  GitRunner git(options_, git_exe_);
  auto reset = git.check({{"reset", "--hard", "--quiet", "HEAD"}, *path}, "git reset in " + *path);
  if (!reset) return reset.error();
  // -ff: a repository the agent cloned or created inside the tree goes too.
  auto clean = git.check({{"clean", "-ffdq"}, *path}, "git clean in " + *path);
  if (!clean) return clean.error();
  if (!changed->empty()) log().info("discarded {} changed path(s) in {}", changed->size(), *path);
  return changed;
}

Result<std::optional<std::string>> Workspace::commit_all(const std::string& worktree,
                                                         const std::string& message) {
  auto path = check_worktree(options_.root, worktree);
  if (!path) return path.error();
  if (trim(message).empty()) return make_error("a commit needs a message");
  GitRunner git(options_, git_exe_);
  auto added = git.check({{"add", "-A"}, *path}, "git add in " + *path);
  if (!added) return added.error();
  auto staged = git.run({{"diff", "--cached", "--quiet"}, *path});
  if (!staged) return staged.error();
  if (staged->exit_code == 0 && !staged->timed_out) return std::optional<std::string>();
  if (staged->exit_code != 1) return git.failure(*staged, {}, "git diff in " + *path);
  // The environment beats any user.* config; signing and hooks are off.
  auto committed = git.check(
      {{"-c", "commit.gpgSign=false", "commit", "--quiet", "--no-verify", "-m", message},
       *path,
       {"GIT_AUTHOR_NAME=" + options_.author_name, "GIT_AUTHOR_EMAIL=" + options_.author_email,
        "GIT_COMMITTER_NAME=" + options_.author_name,
        "GIT_COMMITTER_EMAIL=" + options_.author_email}},
      "git commit in " + *path);
  if (!committed) return committed.error();
  auto sha = head_sha(*path);
  if (!sha) return sha.error();
  log().info("committed {} in {}", sha->substr(0, 12), *path);
  return std::optional<std::string>(std::move(*sha));
}

Result<std::string> Workspace::head_sha(const std::string& worktree) {
  auto path = check_worktree(options_.root, worktree);
  if (!path) return path.error();
  GitRunner git(options_, git_exe_);
  auto out =
      git.check({{"rev-parse", "--verify", "HEAD"}, *path}, "git rev-parse HEAD in " + *path);
  if (!out) return out.error();
  return first_line(*out);
}

Result<void> Workspace::push(const std::string& worktree, const GitRemote& remote,
                             const std::string& branch) {
  if (branch.rfind(kBranchPrefix, 0) != 0 || !valid_branch(branch))
    return make_error("refusing to push to \"" + branch + "\": the app only pushes its own " +
                      kBranchPrefix + " branches");
  auto path = check_worktree(options_.root, worktree);
  if (!path) return path.error();
  auto url = check_remote(remote);
  if (!url) return url.error();
  GitRunner git(options_, git_exe_);
  auto common = git.check({{"rev-parse", "--path-format=absolute", "--git-common-dir"}, *path},
                          "git rev-parse in " + *path);
  if (!common) return common.error();
  const std::string cache = first_line(*common);
  // cache/<owner>/<name>.git names the repository in messages.
  fs::path cache_path(cache);
  std::string repo =
      cache_path.parent_path().filename().string() + "/" + cache_path.stem().string();
  const std::string what = "git push of " + branch + " to " + repo;

  auto lock = FileLock::acquire(cache + "/" + kLockName);
  if (!lock) return lock.error();
  const std::string tracking = "refs/remotes/origin/" + branch;
  auto expected = resolve(git, cache, tracking);
  if (!expected) return expected.error();
  auto head = head_sha(*path);
  if (!head) return head.error();
  // The lease: the remote branch is still what we last fetched (or still
  // absent), so a push from elsewhere is never overwritten.
  GitRunner::Call call{
      {"push", "--quiet", "--force-with-lease=refs/heads/" + branch + ":" + *expected,
       remote.clone_url, *head + ":refs/heads/" + branch},
      *path,
      {},
      &remote,
      &*url};
  auto out = git.run(call);
  if (!out) return make_error(what + ": " + out.error().message);
  if (out->timed_out || out->exit_code != 0) {
    if (contains(out->err, "stale info") || contains(out->err, "fetch first"))
      return make_error(
          what +
          ": the remote branch changed since it was last fetched (someone else pushed); "
          "not overwritten: " +
          trim(tail_lines(git.scrub(out->err, &remote), 4)));
    return git.failure(*out, call, what);
  }
  auto updated = git.check({{"--git-dir=" + cache, "update-ref", tracking, *head}},
                           "git update-ref in " + repo);
  if (!updated) return updated.error();
  log().info("pushed {} to {} of {}", head->substr(0, 12), branch, repo);
  return {};
}

}  // namespace bottega
