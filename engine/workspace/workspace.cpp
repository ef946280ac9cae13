#include "engine/workspace/workspace.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <utility>

#include "config/base/log.h"
#include "engine/process/run.h"
#include "engine/workspace/git_command.h"
#include "engine/workspace/git_runner.h"
#include "engine/workspace/worktree_layout.h"

namespace bottega {

namespace fs = std::filesystem;
using workspace_detail::admin_dir;
using workspace_detail::admin_names;
using workspace_detail::cache_dir;
using workspace_detail::check_remote;
using workspace_detail::contains;
using workspace_detail::FileLock;
using workspace_detail::find_worktree;
using workspace_detail::first_line;
using workspace_detail::forget_admin_dirs;
using workspace_detail::GitOutput;
using workspace_detail::GitRunner;
using workspace_detail::kLockName;
using workspace_detail::lock_cache;
using workspace_detail::parse_repo;
using workspace_detail::replace_dot_git;
using workspace_detail::RepoName;
using workspace_detail::trim;
using workspace_detail::UrlParts;
using workspace_detail::valid_branch;
using workspace_detail::valid_component;
using workspace_detail::worktree_head;

namespace {

constexpr const char* kBranchPrefix = "bottega/";

spdlog::logger& log() { return component_log("workspace"); }

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

// Writes a file of the view (a directory the app has just made).
Result<void> write_view_file(const std::string& path, const std::string& content) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << content;
  f.flush();
  if (!f) return make_error("cannot write " + path);
  return {};
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

// The NUL-separated paths of `git diff --name-only -z`, sorted.
std::vector<std::string> nul_separated(const std::string& out) {
  std::vector<std::string> paths;
  for (std::size_t start = 0; start < out.size();) {
    auto end = out.find('\0', start);
    if (end == std::string::npos) end = out.size();
    if (end > start) paths.push_back(out.substr(start, end - start));
    start = end + 1;
  }
  std::sort(paths.begin(), paths.end());
  return paths;
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
  git_exe_ = find_program(options_.git, path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
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
  const std::string admin = admin_dir(cache, task_dir);
  const std::string gd = "--git-dir=" + cache;
  std::error_code ec;
  const std::string what = "worktree " + task_dir + " of " + name->full();
  if (fs::exists(fs::symlink_status(path, ec))) {
    auto head = worktree_head(git, path, cache, task_dir);
    if (head.ref == "refs/heads/" + branch) {
      log().debug("reusing {} at {}", what, path);
      return path;
    }
    log().info("{} at {} is not on {}: recreating it", what, path, branch);
    fs::remove_all(path, ec);  // a link itself, never what it points to
    if (ec) return make_error("cannot remove " + path + ": " + ec.message());
  }
  // Our admin directories are locked (a `worktree prune` never takes one
  // whose .git the agent deleted), so a stale one is removed here.
  if (auto forgot = forget_admin_dirs(cache, path, task_dir); !forgot) return forgot.error();
  // Forget other worktrees whose directories are gone (unlocked ones made
  // by an older version), so their branches can be checked out again.
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
  auto added = git.check(
      {{gd, "worktree", "add", "--quiet", "--lock", "--no-track", "-B", branch, path, start}},
      "git worktree add of " + what);
  if (!added) return added.error();
  // Every later call finds the worktree's git directory by this name.
  if (!admin_names(admin, path))
    return make_error("git worktree add of " + what + ": its git directory is not " + admin);
  log().info("created {} at {} on {} from {} ({})", what, path, branch,
             start.substr(std::strlen("refs/remotes/")), sha->substr(0, 12));
  return path;
}

Result<AgentGitView> Workspace::prepare_agent_view(const std::string& worktree,
                                                   const std::string& view_dir) {
  auto tree = find_worktree(options_.root, worktree);
  if (!tree) return tree.error();
  if (view_dir.empty() || view_dir.front() != '/')
    return make_error("the agent's git directory \"" + view_dir + "\" is not an absolute path");
  const fs::path view = fs::path(view_dir).lexically_normal();
  if (view.filename().empty() || view.string().rfind(tree->path + "/", 0) == 0 ||
      view.string().rfind(options_.root + "/", 0) == 0)
    return make_error("the agent's git directory " + view.string() +
                      " must be outside the workspace root (in the run directory)");
  GitRunner git(options_, git_exe_);
  const std::string what = "the agent's git view of " + tree->path;

  auto branch = git.run({{"--git-dir=" + tree->admin, "symbolic-ref", "--quiet", "HEAD"}});
  if (!branch) return branch.error();
  const std::string head_ref = branch->exit_code == 0 ? first_line(branch->out) : "";
  auto head = resolve(git, tree->admin, "HEAD");
  if (!head) return head.error();
  if (head->empty()) return make_error(what + ": the worktree's HEAD names no commit");
  auto remotes = git.check({{"--git-dir=" + tree->cache, "for-each-ref",
                             "--format=%(objectname) %(refname)", "refs/remotes/origin/"}},
                           "git for-each-ref in " + tree->repo);
  if (!remotes) return remotes.error();

  // packed-refs: the task branch where the app's HEAD is, and origin's
  // branches as last fetched, sorted by name as the header promises.
  std::vector<std::pair<std::string, std::string>> refs;  // name, sha
  if (!head_ref.empty()) refs.emplace_back(head_ref, *head);
  std::istringstream lines(*remotes);
  for (std::string line; std::getline(lines, line);) {
    auto space = line.find(' ');
    if (space == std::string::npos) continue;
    std::string ref = line.substr(space + 1);
    if (ref.size() >= 5 && ref.compare(ref.size() - 5, 5, "/HEAD") == 0) continue;
    refs.emplace_back(std::move(ref), line.substr(0, space));
  }
  std::sort(refs.begin(), refs.end());
  std::string packed = "# pack-refs with: sorted \n";
  for (const auto& [ref, sha] : refs) packed += sha + " " + ref + "\n";

  std::error_code ec;
  fs::remove_all(view, ec);  // last turn's view (a link itself, never its target)
  if (ec) return make_error(what + ": cannot remove " + view.string() + ": " + ec.message());
  for (const char* sub : {"objects/info", "objects/pack", "refs/heads", "refs/tags"}) {
    fs::create_directories(view / sub, ec);
    if (ec)
      return make_error(what + ": cannot create " + (view / sub).string() + ": " + ec.message());
  }
  const std::string v = view.string();
  for (auto [file, content] : std::initializer_list<std::pair<const char*, std::string>>{
           {"HEAD", head_ref.empty() ? *head + "\n" : "ref: " + head_ref + "\n"},
           {"config", "[core]\n\trepositoryformatversion = 0\n\tbare = false\n"},
           {"packed-refs", packed},
           {"objects/info/alternates", tree->cache + "/objects\n"}}) {
    if (auto w = write_view_file(v + "/" + file, content); !w)
      return make_error(what + ": " + w.error().message);
  }
  // The app's index, so the agent's `git status` starts from the same stat
  // data and shows the same changes; the agent's `git add` changes its copy.
  if (fs::exists(tree->admin + "/index", ec)) {
    fs::copy_file(tree->admin + "/index", v + "/index", fs::copy_options::overwrite_existing, ec);
    if (ec) return make_error(what + ": cannot copy the index: " + ec.message());
  }
  if (auto w = replace_dot_git(tree->path, "gitdir: " + v + "\n"); !w)
    return make_error(what + ": " + w.error().message);
  log().debug("prepared {} at {}", what, v);
  return AgentGitView{v, {tree->cache + "/objects"}};
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

  // Not `git worktree remove`: it reads the worktree's .git, which is the
  // agent's. The admin directory and the tree are removed here instead.
  auto head = worktree_head(git, path, cache, task_dir);
  const std::string& branch_ref = head.ref;
  if (auto forgot = forget_admin_dirs(cache, path, task_dir); !forgot) return forgot.error();
  fs::remove_all(path, ec);  // does not follow symbolic links
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
  auto tree = find_worktree(options_.root, worktree);
  if (!tree) return tree.error();
  GitRunner git(options_, git_exe_);
  // No optional locks: an agent's git may be working in the same tree.
  auto out = git.check({tree->args({"status", "--porcelain=v1", "-z", "--untracked-files=all",
                                    "--no-renames", "--ignore-submodules=all"}),
                        tree->path,
                        {"GIT_OPTIONAL_LOCKS=0"}},
                       "git status in " + tree->path);
  if (!out) return out.error();
  return parse_status(*out);
}

Result<std::vector<std::string>> Workspace::discard_changes(const std::string& worktree) {
  auto tree = find_worktree(options_.root, worktree);
  if (!tree) return tree.error();
  auto changed = changed_files(tree->path);
  if (!changed) return changed.error();
  GitRunner git(options_, git_exe_);
  auto reset = git.check(
      {tree->args({"reset", "--hard", "--quiet", "--no-recurse-submodules", "HEAD"}), tree->path},
      "git reset in " + tree->path);
  if (!reset) return reset.error();
  // -ff: a repository the agent cloned or created inside the tree goes too.
  auto clean =
      git.check({tree->args({"clean", "-ffdq"}), tree->path}, "git clean in " + tree->path);
  if (!clean) return clean.error();
  if (!changed->empty())
    log().info("discarded {} changed path(s) in {}", changed->size(), tree->path);
  return changed;
}

Result<std::optional<std::string>> Workspace::commit_all(const std::string& worktree,
                                                         const std::string& message) {
  auto tree = find_worktree(options_.root, worktree);
  if (!tree) return tree.error();
  if (trim(message).empty()) return make_error("a commit needs a message");
  GitRunner git(options_, git_exe_);
  const std::string& path = tree->path;
  auto added = git.check({tree->args({"add", "-A"}), path}, "git add in " + path);
  if (!added) return added.error();
  // Plumbing: no diff driver, external diff or textconv of any config.
  auto staged = git.run({tree->args({"diff-index", "--cached", "--quiet", "HEAD", "--"}), path});
  if (!staged) return staged.error();
  if (staged->exit_code == 0 && !staged->timed_out) return std::optional<std::string>();
  if (staged->exit_code != 1) return git.failure(*staged, {}, "git diff-index in " + path);
  // The environment beats any user.* config; signing and hooks are off.
  auto committed = git.check(
      {tree->args(
           {"-c", "commit.gpgSign=false", "commit", "--quiet", "--no-verify", "-m", message}),
       path,
       {"GIT_AUTHOR_NAME=" + options_.author_name, "GIT_AUTHOR_EMAIL=" + options_.author_email,
        "GIT_COMMITTER_NAME=" + options_.author_name,
        "GIT_COMMITTER_EMAIL=" + options_.author_email}},
      "git commit in " + path);
  if (!committed) return committed.error();
  auto sha = head_sha(path);
  if (!sha) return sha.error();
  log().info("committed {} in {}", sha->substr(0, 12), path);
  return std::optional<std::string>(std::move(*sha));
}

Result<std::string> Workspace::head_sha(const std::string& worktree) {
  auto tree = find_worktree(options_.root, worktree);
  if (!tree) return tree.error();
  GitRunner git(options_, git_exe_);
  auto out = git.check({{"--git-dir=" + tree->admin, "rev-parse", "--verify", "HEAD^{commit}"}},
                       "git rev-parse HEAD in " + tree->path);
  if (!out) return out.error();
  return first_line(*out);
}

Result<void> Workspace::push(const std::string& worktree, const GitRemote& remote,
                             const std::string& branch) {
  if (branch.rfind(kBranchPrefix, 0) != 0 || !valid_branch(branch))
    return make_error("refusing to push to \"" + branch + "\": the app only pushes its own " +
                      kBranchPrefix + " branches");
  auto tree = find_worktree(options_.root, worktree);
  if (!tree) return tree.error();
  auto url = check_remote(remote);
  if (!url) return url.error();
  GitRunner git(options_, git_exe_);
  const std::string& cache = tree->cache;
  const std::string& repo = tree->repo;
  const std::string what = "git push of " + branch + " to " + repo;

  auto lock = FileLock::acquire(cache + "/" + kLockName);
  if (!lock) return lock.error();
  const std::string tracking = "refs/remotes/origin/" + branch;
  auto expected = resolve(git, cache, tracking);
  if (!expected) return expected.error();
  auto head = head_sha(tree->path);
  if (!head) return head.error();
  // The lease: the remote branch is still what we last fetched (or still
  // absent), so a push from elsewhere is never overwritten. Pushed from the
  // cache, by sha: the worktree plays no part.
  GitRunner::Call call{
      {"--git-dir=" + cache, "push", "--quiet", "--no-verify", "--recurse-submodules=no",
       "--force-with-lease=refs/heads/" + branch + ":" + *expected, remote.clone_url,
       *head + ":refs/heads/" + branch},
      "",
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

Result<Workspace::MergeResult> Workspace::merge_base(const std::string& worktree,
                                                     const std::string& base_branch,
                                                     const std::string& message) {
  auto tree = find_worktree(options_.root, worktree);
  if (!tree) return tree.error();
  if (!valid_branch(base_branch))
    return make_error("\"" + base_branch + "\" is not a valid branch name");
  if (trim(message).empty()) return make_error("a merge needs a message");
  GitRunner git(options_, git_exe_);
  const std::string& path = tree->path;
  auto before = head_sha(path);
  if (!before) return before.error();
  auto merged = git.run(
      {tree->args({"-c", "commit.gpgSign=false", "-c", "merge.conflictStyle=merge", "merge",
                   "--no-ff", "--no-edit", "--no-verify", "--quiet", "-m", message,
                   "refs/remotes/origin/" + base_branch}),
       path,
       {"GIT_AUTHOR_NAME=" + options_.author_name, "GIT_AUTHOR_EMAIL=" + options_.author_email,
        "GIT_COMMITTER_NAME=" + options_.author_name,
        "GIT_COMMITTER_EMAIL=" + options_.author_email}});
  if (!merged) return merged.error();
  if (merged->timed_out) return make_error("git merge in " + path + " timed out");
  MergeResult result;
  if (merged->exit_code == 0) {
    result.clean = true;
    auto after = head_sha(path);
    if (!after) return after.error();
    if (*after != *before) result.sha = *after;
    return result;
  }
  auto unmerged = git.check(
      {tree->args({"diff", "--name-only", "--diff-filter=U", "-z", "--no-ext-diff"}), path},
      "git diff of the conflicts in " + path);
  if (!unmerged) return unmerged.error();
  result.conflicts = nul_separated(*unmerged);
  if (result.conflicts.empty())
    return git.failure(*merged, {}, "git merge of origin/" + base_branch + " in " + path);
  return result;
}

Result<std::vector<std::string>> Workspace::base_changes(const std::string& worktree,
                                                         const std::string& base_branch) {
  auto tree = find_worktree(options_.root, worktree);
  if (!tree) return tree.error();
  if (!valid_branch(base_branch))
    return make_error("\"" + base_branch + "\" is not a valid branch name");
  GitRunner git(options_, git_exe_);
  auto out = git.check({tree->args({"diff", "--name-only", "-z", "--no-ext-diff", "--no-renames",
                                    "HEAD...refs/remotes/origin/" + base_branch}),
                        tree->path},
                       "git diff of origin/" + base_branch + " in " + tree->path);
  if (!out) return out.error();
  return nul_separated(*out);
}

Result<void> Workspace::abort_merge(const std::string& worktree) {
  auto tree = find_worktree(options_.root, worktree);
  if (!tree) return tree.error();
  GitRunner git(options_, git_exe_);
  auto aborted = git.run({tree->args({"merge", "--abort"}), tree->path});
  if (!aborted) return aborted.error();
  // No merge in progress is fine; anything left is put back to HEAD.
  auto reset = git.check(
      {tree->args({"reset", "--hard", "--quiet", "--no-recurse-submodules", "HEAD"}), tree->path},
      "git reset in " + tree->path);
  if (!reset) return reset.error();
  return {};
}

Result<Workspace::MergeResult> Workspace::rebase_onto_base(const std::string& worktree,
                                                           const std::string& base_branch) {
  auto tree = find_worktree(options_.root, worktree);
  if (!tree) return tree.error();
  if (!valid_branch(base_branch))
    return make_error("\"" + base_branch + "\" is not a valid branch name");
  GitRunner git(options_, git_exe_);
  const std::string& path = tree->path;
  auto before = head_sha(path);
  if (!before) return before.error();
  auto rebased =
      git.run({tree->args({"-c", "commit.gpgSign=false", "-c", "core.hooksPath=/dev/null", "rebase",
                           "--quiet", "--no-autostash", "refs/remotes/origin/" + base_branch}),
               path,
               {"GIT_COMMITTER_NAME=" + options_.author_name,
                "GIT_COMMITTER_EMAIL=" + options_.author_email}});
  if (!rebased) return rebased.error();
  if (rebased->timed_out) return make_error("git rebase in " + path + " timed out");
  MergeResult result;
  if (rebased->exit_code == 0) {
    result.clean = true;
    auto after = head_sha(path);
    if (!after) return after.error();
    if (*after != *before) result.sha = *after;
    return result;
  }
  auto unmerged = git.check(
      {tree->args({"diff", "--name-only", "--diff-filter=U", "-z", "--no-ext-diff"}), path},
      "git diff of the conflicts in " + path);
  auto aborted = git.run({tree->args({"rebase", "--abort"}), path});
  if (!aborted) return aborted.error();
  if (!unmerged) return unmerged.error();
  result.conflicts = nul_separated(*unmerged);
  if (result.conflicts.empty())
    return git.failure(*rebased, {}, "git rebase onto origin/" + base_branch + " in " + path);
  return result;
}

Result<void> Workspace::reset_to_remote(const std::string& worktree, const std::string& branch) {
  auto tree = find_worktree(options_.root, worktree);
  if (!tree) return tree.error();
  if (!valid_branch(branch)) return make_error("\"" + branch + "\" is not a valid branch name");
  GitRunner git(options_, git_exe_);
  auto reset = git.check({tree->args({"reset", "--hard", "--quiet", "--no-recurse-submodules",
                                      "refs/remotes/origin/" + branch}),
                          tree->path},
                         "git reset in " + tree->path);
  if (!reset) return reset.error();
  return {};
}

Result<std::string> Workspace::head_message(const std::string& worktree) {
  auto tree = find_worktree(options_.root, worktree);
  if (!tree) return tree.error();
  GitRunner git(options_, git_exe_);
  return git.check({{"--git-dir=" + tree->admin, "log", "-1", "--format=%B", "HEAD"}},
                   "git log in " + tree->path);
}

Result<bool> Workspace::catch_up(const std::string& worktree, const std::string& branch) {
  auto tree = find_worktree(options_.root, worktree);
  if (!tree) return tree.error();
  if (!valid_branch(branch)) return make_error("\"" + branch + "\" is not a valid branch name");
  GitRunner git(options_, git_exe_);
  auto remote = resolve(git, tree->cache, "refs/remotes/origin/" + branch);
  if (!remote) return remote.error();
  if (remote->empty()) return false;
  auto head = head_sha(tree->path);
  if (!head) return head.error();
  if (*head == *remote) return false;
  auto ancestor =
      git.run({{"--git-dir=" + tree->cache, "merge-base", "--is-ancestor", *head, *remote}});
  if (!ancestor) return ancestor.error();
  if (ancestor->timed_out) return make_error("git merge-base in " + tree->path + " timed out");
  if (ancestor->exit_code != 0) return false;  // diverged, or ours are ahead
  auto changed = changed_files(tree->path);
  if (!changed) return changed.error();
  if (!changed->empty()) return false;
  auto reset = git.check(
      {tree->args({"reset", "--hard", "--quiet", "--no-recurse-submodules", *remote}), tree->path},
      "git reset in " + tree->path);
  if (!reset) return reset.error();
  log().info("{} caught up with origin/{} at {}", tree->path, branch, remote->substr(0, 12));
  return true;
}

}  // namespace bottega
