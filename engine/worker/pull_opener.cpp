#include "engine/worker/pull_opener.h"

#include "config/base/redactor.h"
#include "config/base/safe_file.h"
#include "engine/report/comments.h"
#include "engine/report/task_document.h"
#include "engine/worker/github_port.h"
#include "engine/worker/repo_lookups.h"
#include "engine/worker/turn_runner.h"
#include "engine/workspace/workspace.h"

namespace bottega {

PullOpener::PullOpener(GitHubPort& gh, Workspace& workspace, RepoLookups& lookups,
                       TurnRunner& turns)
    : gh_(gh), workspace_(workspace), lookups_(lookups), turns_(turns) {}

Result<PullOpener::Opened> PullOpener::open(const TaskRow& row) {
  const workflow::Task& t = row.task;
  const auto repo = repo_of(row.installation_id, t.repo);
  auto checkout = turns_.check_out(row);
  if (!checkout) return checkout.error();
  const GitRemote& remote = checkout->remote;
  const std::string& worktree = checkout->worktree;
  auto cfg = lookups_.repo_config(repo, row.base_branch);
  if (!cfg) return cfg.error();
  if (!cfg->error.empty()) return make_error(cfg->error);
  if (!cfg->config.plan_commit_path.empty()) {
    std::string path = cfg->config.plan_commit_path;
    if (auto at = path.find("{issue}"); at != std::string::npos)
      path.replace(at, 7, std::to_string(t.issue));
    // Never through a link the agent left in the worktree.
    if (auto w = write_file_beneath(worktree, path, t.document); !w)
      return Opened(workflow::PullRequestFailed{"plan.commit_path: " + w.error().message});
  }
  auto leak = turns_.secret_in_changes(worktree);
  if (!leak) return leak.error();
  if (*leak)
    return Opened(workflow::PullRequestFailed{
        "`" + **leak + "`: the app does not commit or push a secret it holds"});
  auto sha = workspace_.commit_all(
      worktree, redact("bottega: " + t.title + " (#" + std::to_string(t.issue) + ")"));
  if (!sha) return sha.error();
  if (auto p = workspace_.push(worktree, remote, t.branch); !p) return p.error();

  auto existing = gh_.find_pull_by_head(repo, t.branch);
  if (!existing) return make_error("finding the pull request: " + existing.error().describe());
  if (*existing && (*existing)->state == "open")
    return Opened(workflow::PullRequestOpened{(*existing)->number, (*existing)->html_url, t.branch,
                                              (*existing)->head_sha});
  github::NewPullRequest pull;
  pull.title = report::pr_title(t.title);
  pull.head = t.branch;
  pull.base = row.base_branch;
  pull.body = report::render_pr_body(t.issue, report::plan_summary(t.document),
                                     report::todo_section(t.document), "");
  auto created = gh_.create_pull(repo, pull);
  if (!created) return make_error("opening the pull request: " + created.error().describe());
  return Opened(
      workflow::PullRequestOpened{created->number, created->html_url, t.branch, created->head_sha});
}

}  // namespace bottega
