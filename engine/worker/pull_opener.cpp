#include "engine/worker/pull_opener.h"

#include "config/base/redactor.h"
#include "config/base/safe_file.h"
#include "engine/report/comments.h"
#include "engine/report/task_document.h"
#include "engine/worker/github_port.h"
#include "engine/worker/mode_texts.h"
#include "engine/worker/repo_lookups.h"
#include "engine/worker/turn_runner.h"
#include "engine/workspace/workspace.h"

namespace bottega {

namespace {
// What the reviewer verified, where a person reviewing the PR looks.
std::string pull_extras(const workflow::Task& t) {
  std::string out;
  if (std::string qa = report::qa_results(t.document); !qa.empty()) out = "### QA results\n\n" + qa;
  if (std::string refined = report::section(t.document, "Refinement"); !refined.empty())
    out += std::string(out.empty() ? "" : "\n\n") + "### Refinement\n\n" + refined;
  if (!t.evidence.empty()) {
    out += std::string(out.empty() ? "" : "\n\n") + "### Evidence\n";
    for (const auto& line : t.evidence) out += "\n- " + line;
  }
  return out;
}
}  // namespace

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
  // A refinement that was not kept leaves nothing to commit (one whose turn
  // died may have left its edits in the worktree).
  if (t.refine_reverted)
    if (auto d = workspace_.discard_changes(worktree); !d) return d.error();
  if (!cfg->config.plan_commit_path.empty()) {
    std::string path = cfg->config.plan_commit_path;
    if (auto at = path.find("{issue}"); at != std::string::npos)
      path.replace(at, 7, std::to_string(t.issue));
    // Never through a link the agent left in the worktree.
    if (auto w = write_file_beneath(worktree, path, t.document); !w)
      return Opened(workflow::PullRequestFailed{"plan.commit_path: " + w.error().message});
  }
  auto refused = turns_.unpushable_change(worktree);
  if (!refused) return refused.error();
  if (*refused) return Opened(workflow::PullRequestFailed{(*refused)->why});
  auto sha = workspace_.commit_all(
      worktree, redact("bottega: " + t.title + " (#" + std::to_string(t.issue) + ")"));
  if (!sha) return sha.error();
  if (auto p = workspace_.push(worktree, remote, t.branch); !p) return p.error();

  github::NewPullRequest pull;
  pull.title = report::pr_title(t.title);
  pull.head = t.branch;
  pull.base = row.base_branch;
  pull.body =
      report::render_pr_body(t.issue, report::plan_summary(t.document),
                             report::todo_section(t.document), pull_extras(t), mode_pull_note(t));
  // Opened first, asked after: GitHub refuses a second open pull request
  // for a branch (422), which is how an earlier try whose answer was lost
  // shows. One request on the way every task takes, where asking first
  // took two.
  auto created = gh_.create_pull(repo, pull);
  if (created)
    return Opened(workflow::PullRequestOpened{created->number, created->html_url, t.branch,
                                              created->head_sha});
  if (!created.error().is_validation_failed())
    return make_error("opening the pull request: " + created.error().describe());
  auto existing = gh_.find_pull_by_head(repo, t.branch);
  if (!existing) return make_error("finding the pull request: " + existing.error().describe());
  if (*existing && (*existing)->state == "open")
    return Opened(workflow::PullRequestOpened{(*existing)->number, (*existing)->html_url, t.branch,
                                              (*existing)->head_sha});
  return make_error("opening the pull request: " + created.error().describe());
}

}  // namespace bottega
