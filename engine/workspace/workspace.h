// Workspace: the git side of a task. One bare clone per repository as a
// cache, one worktree per task on the task's branch, fetch and push with the
// installation token, commits as the App's bot identity. Runs the real git
// program (no libgit2); every call has a deadline. See spec/workspace.md.
//
// The token reaches git only through a credential helper given on the
// command line, reading it from the environment of that one git process:
// never in a URL, a git config file, a log line, an error message, or the
// environment of hooks (hooks never run) or of an agent.
//
// What an agent wrote is data: the app's git never trusts the worktree. It
// runs with --git-dir=<the worktree's admin dir in the cache> and
// --work-tree=<worktree>, never reading <worktree>/.git (the agent may point
// it anywhere), with no system or global config, and with every setting
// that starts a program (fsmonitor, hooks, external diff, ssh, askpass,
// credential helpers, submodules) neutralised on the command line; the
// admin dir and the cache's config are written by the app alone. The agent
// gets a throwaway git dir of its own (prepare_agent_view).
//
// Layout under options.root:
//   cache/<owner>/<repo>.git              bare clone; origin's branches as refs/remotes/origin/*
//   cache/<owner>/<repo>.git/worktrees/<task_dir>   a worktree's admin dir (HEAD, index), locked
//   worktrees/<task_dir>                  a task's worktree (its .git is the agent's)
//   home/                                 git's empty HOME
//
// Thread-safety: every method may be called from any thread, and from
// several processes sharing one root: operations that touch a repository's
// cache (sync, prepare_worktree, push, remove_worktree) take an exclusive
// lock file in the cache. One worktree is used by one caller at a time.
// Ownership: owns nothing but the files under root (and the agent views it
// is asked to make); holds no open files between calls.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "config/base/result.h"

namespace bottega {

struct GitRemote {
  std::string clone_url;  // https://host/owner/repo.git — never carries a credential
  std::string
      token;  // installation token: reaches git only through the credential helper's environment
};

struct WorkspaceOptions {
  std::string root;         // <data_dir>/workspaces; made absolute
  std::string git = "git";  // a name looked up on PATH, or a path
  std::string
      ca_file;  // CA bundle git trusts for HTTPS instead of the system's (tests, GHES); "" = system
  std::string author_name = "bottega[bot]";
  std::string author_email = "bottega[bot]@users.noreply.github.com";
  std::chrono::seconds network_timeout{300};  // each fetch or push, whole
  std::chrono::seconds local_timeout{600};    // each local git call (a checkout of a big tree)
};

// A git directory for the agent: what <worktree>/.git points at during its
// turn. Disposable; nothing the agent does in it reaches the app's git.
struct AgentGitView {
  std::string git_dir;                // the view_dir given, absolute
  std::vector<std::string> readable;  // to show read-only in the sandbox: the cache's object store
};

class Workspace {
 public:
  explicit Workspace(WorkspaceOptions options);

  // Creates the bare clone cache of `repo` ("owner/name") or fetches into it:
  // all branches, pruning those deleted on the remote. Concurrent calls for
  // one repository are serialized (flock, across processes). Fails with
  // "git fetch of owner/name: authentication failed ..." for a refused token,
  // "... timed out ..." when the remote does not answer in network_timeout.
  [[nodiscard]] Result<void> sync(const std::string& repo, const GitRemote& remote);

  // Syncs, then returns the absolute path of the task's worktree
  // <root>/worktrees/<task_dir> on `branch`: reused as is (uncommitted changes
  // kept) when it exists and its admin dir is on that branch; otherwise
  // (re)created (`worktree add --lock`, admin dir <cache>/worktrees/<task_dir>,
  // a stale one removed first), and the local
  // branch reset, from origin/<branch> when the remote has that branch (a
  // host rebuilding another host's task), else from origin/<base_branch>.
  // Fails when neither exists on the remote.
  [[nodiscard]] Result<std::string> prepare_worktree(const std::string& repo,
                                                     const GitRemote& remote,
                                                     const std::string& task_dir,
                                                     const std::string& branch,
                                                     const std::string& base_branch);

  // Builds a throwaway git directory for the agent at `view_dir` (absolute,
  // outside the root: the run directory) and points <worktree>/.git at it
  // ("gitdir: <view_dir>"), replacing whatever .git entry is there without
  // following a link. The view: HEAD on the task branch, packed-refs with the
  // branch (at the app's HEAD) and every origin/* branch of the cache, a copy
  // of the app's index, a minimal config, and an empty writable objects/
  // borrowing the cache's objects through objects/info/alternates. Inside
  // the sandbox `git status`, `git diff origin/main`, `git log`, even
  // `git commit` work; the app never reads the view. A view already at
  // `view_dir` is replaced. Call between turns, not while an agent runs.
  [[nodiscard]] Result<AgentGitView> prepare_agent_view(const std::string& worktree,
                                                        const std::string& view_dir);

  // The per-worktree calls below take `worktree` as returned by
  // prepare_worktree: a directory directly under <root>/worktrees whose
  // admin dir one of the caches holds (found from its name, not from its
  // .git); anything else is refused.

  // Paths (relative to the worktree) changed, added or deleted since HEAD,
  // tracked and untracked but not ignored, sorted. Nested repositories are
  // listed ("dir/"), never looked into.
  [[nodiscard]] Result<std::vector<std::string>> changed_files(const std::string& worktree);

  // Puts the worktree back to HEAD (reset --hard, clean -ffd: ignored files
  // such as build output stay) and returns what was discarded, as
  // changed_files() would have.
  [[nodiscard]] Result<std::vector<std::string>> discard_changes(const std::string& worktree);

  // Commits every change in the worktree (git add -A) with the bot identity
  // as author and committer, without hooks or signing, on the app's HEAD
  // (commits the agent made in its view are not used: their changes are in
  // the files). Symbolic links are committed as links; .git is never
  // committed. nullopt when there was nothing to commit; else the new
  // commit's sha.
  [[nodiscard]] Result<std::optional<std::string>> commit_all(const std::string& worktree,
                                                              const std::string& message);

  // Pushes the app's HEAD of the worktree, from the cache, to
  // refs/heads/<branch> with --force-with-lease, the lease
  // being origin/<branch> as last fetched (absent: the branch must not exist
  // on the remote). Refuses a branch not under "bottega/". A lease broken by
  // someone else's push fails with "... the remote branch changed ...".
  [[nodiscard]] Result<void> push(const std::string& worktree, const GitRemote& remote,
                                  const std::string& branch);

  // Someone else pushed to the task branch (a person): brings the
  // worktree's branch up to origin/<branch> as last fetched, by fast-forward
  // only and only when the worktree has no uncommitted change, so the next
  // turn starts from their commits. true when it moved; false when there
  // was nothing to take or the histories diverged (the push's lease then
  // refuses to overwrite theirs).
  [[nodiscard]] Result<bool> catch_up(const std::string& worktree, const std::string& branch);

  // Merges origin/<base_branch> (as last fetched) into the worktree's
  // branch, as the App's bot, without hooks or signing: the pull request's
  // branch brought up to its base with no force-push. clean: a merge commit
  // was made (sha), or there was nothing to merge (no sha). Otherwise the
  // merge is left in progress in the worktree with its conflicts (the
  // paths, sorted), for a resolve turn whose commit_all completes it, or
  // for abort_merge.
  struct MergeResult {
    bool clean = false;
    std::optional<std::string> sha;
    std::vector<std::string> conflicts;
  };
  [[nodiscard]] Result<MergeResult> merge_base(const std::string& worktree,
                                               const std::string& base_branch,
                                               const std::string& message);
  // The paths origin/<base_branch> (as last fetched) changed since it and
  // the worktree's HEAD parted: what merging or rebasing onto it brings in.
  [[nodiscard]] Result<std::vector<std::string>> base_changes(const std::string& worktree,
                                                              const std::string& base_branch);

  // Gives up a merge left in progress (the worktree back at HEAD).
  [[nodiscard]] Result<void> abort_merge(const std::string& worktree);

  // shepherd.update: rebase. Rebases the worktree's branch onto
  // origin/<base_branch> (as last fetched), the App's bot as committer,
  // without hooks or signing. clean: rebased (sha: the new head), or
  // nothing to do (no sha). Conflicts: the rebase is given up (the worktree
  // back where it was) and they are listed, sorted.
  [[nodiscard]] Result<MergeResult> rebase_onto_base(const std::string& worktree,
                                                     const std::string& base_branch);
  // Puts the worktree's branch at origin/<branch> as last fetched (reset
  // --hard): a rebase starts from the pushed head, never from a rewrite
  // whose push lost its lease.
  [[nodiscard]] Result<void> reset_to_remote(const std::string& worktree,
                                             const std::string& branch);

  // The message of the worktree's HEAD commit (a fix turn run again after a
  // crash finds its own commit by it).
  [[nodiscard]] Result<std::string> head_message(const std::string& worktree);

  // The full sha of the worktree's HEAD.
  [[nodiscard]] Result<std::string> head_sha(const std::string& worktree);

  // Removes the task's worktree, its admin dir and its local branch, without
  // reading anything the agent wrote (no `git worktree remove`). Absent:
  // success.
  [[nodiscard]] Result<void> remove_worktree(const std::string& repo, const std::string& task_dir);

  const WorkspaceOptions& options() const { return options_; }

 private:
  WorkspaceOptions options_;  // root made absolute and canonical
  std::string git_exe_;       // "" when options_.git was not found
};

}  // namespace bottega
