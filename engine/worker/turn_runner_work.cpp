// The turn runner's edges around the agent (spec/workflow.md): the task's
// worktree checked out, the agent's outcome read into the workflow's
// terms, and an implementation or fix turn's work kept (committed and
// pushed: never a secret the app holds, never an unresolved conflict).
#include "config/base/redactor.h"
#include "engine/agents/runner.h"
#include "engine/worker/github_port.h"
#include "engine/worker/repo_tests.h"
#include "engine/worker/secret_scan.h"
#include "engine/worker/task_store.h"
#include "engine/worker/turn_runner.h"

namespace bottega {

Result<TurnRunner::Checkout> TurnRunner::check_out(const TaskRow& row) {
  const workflow::Task& t = row.task;
  auto token = gh_.installation_token(row.installation_id);
  if (!token) return make_error("no installation token: " + token.error().describe());
  Checkout c{GitRemote{options_.github_web_url + "/" + t.repo + ".git", *token}, ""};
  // prepare_worktree fetches the repository first (under the cache lock).
  auto worktree =
      workspace_.prepare_worktree(t.repo, c.remote, task_dir(t), t.branch, row.base_branch);
  if (!worktree) return worktree.error();
  if (row.worktree_host != options_.host)
    if (auto h = task_store::hold_worktree(db_, row.task.id, options_.host); !h) return h.error();
  c.worktree = std::move(*worktree);
  return c;
}

Result<std::optional<UnpushableChange>> TurnRunner::unpushable_change(const std::string& worktree) {
  auto changed = workspace_.changed_files(worktree);
  if (!changed) return changed.error();
  return bottega::unpushable_change(worktree, *changed);
}

workflow::TurnFinished TurnRunner::turn_finished_from(const agents::Outcome& outcome) {
  workflow::TurnFinished f;
  switch (outcome.kind) {
    case agents::OutcomeKind::succeeded:
      f.outcome = workflow::TurnOutcome::succeeded;
      break;
    case agents::OutcomeKind::agent_error:
      f.outcome = workflow::TurnOutcome::agent_error;
      break;
    case agents::OutcomeKind::timed_out:
      f.outcome = workflow::TurnOutcome::timed_out;
      break;
    case agents::OutcomeKind::cancelled:
      f.outcome = workflow::TurnOutcome::cancelled;
      break;
    case agents::OutcomeKind::crashed:
      f.outcome = workflow::TurnOutcome::crashed;
      break;
    case agents::OutcomeKind::budget_reached:
      f.outcome = workflow::TurnOutcome::budget_reached;
      break;
  }
  f.message = outcome.message;
  f.stderr_tail = outcome.stderr_tail;
  f.tokens_in = outcome.usage.input_tokens + outcome.usage.cached_input_tokens +
                outcome.usage.cache_write_tokens;
  f.tokens_out = outcome.usage.output_tokens;
  f.cost_usd = outcome.usage.cost_usd.value_or(0);
  return f;
}

Result<std::string> TurnRunner::failing_test(const std::vector<std::string>& test_commands,
                                             const std::string& worktree,
                                             const std::string& run_dir,
                                             const std::vector<std::string>& sandbox_readable) {
  for (std::size_t i = 0; i < test_commands.size(); ++i) {
    auto run = run_repo_tests(runner_, {test_commands[i]}, worktree,
                              run_dir + "/tests-" + std::to_string(i + 1), sandbox_readable, {});
    if (!run) return run.error();
    if (!run->passed) return "`" + test_commands[i] + "` failed: " + redact(run->summary);
  }
  return std::string();
}

Result<bool> TurnRunner::keep_work(const workflow::Task& t, workflow::TurnFinished& f,
                                   const Checkout& checkout, const std::string& run_dir,
                                   const std::vector<std::string>& conflicts,
                                   const std::vector<std::string>& test_commands,
                                   const std::vector<std::string>& sandbox_readable) {
  if (f.outcome != workflow::TurnOutcome::succeeded) return false;
  const bool fixing = t.turn_role == workflow::Role::fix;
  const std::string& worktree = checkout.worktree;
  // Reported as the turn's own failure, with what the agent spent.
  auto failed = [&](std::string why) {
    workflow::TurnFinished s = setup_failed(std::move(why));
    s.tokens_in = f.tokens_in;
    s.tokens_out = f.tokens_out;
    s.cost_usd = f.cost_usd;
    f = std::move(s);
    return true;
  };
  // Work holding a secret the app knows, or a workflow change GitHub would
  // refuse, is not committed (so never pushed).
  auto refused = unpushable_change(worktree);
  if (!refused) return refused.error();
  if (auto unresolved = marker_left(worktree, conflicts); !*refused && unresolved) {
    f.outcome = workflow::TurnOutcome::refused;
    f.message = "`" + *unresolved + "` still holds conflict markers; `/retry` runs it again";
    return true;
  }
  if (*refused && (*refused)->workflow) {
    // Left in the worktree it would refuse every later turn's work too.
    if (auto d = workspace_.discard_changes(worktree); !d) return d.error();
    f.outcome = workflow::TurnOutcome::refused;
    f.message = (*refused)->why +
                ". The turn's work was undone: `/revise` the plan without it, or `/retry`";
    return true;
  }
  if (*refused) {
    f.outcome = workflow::TurnOutcome::refused;
    f.message = (*refused)->why + "; remove it from the file and `/retry`";
    return true;
  }
  // A resolution is committed only when the repository's tests pass on it.
  if (fixing && !conflicts.empty()) {
    auto failed_test = failing_test(test_commands, worktree, run_dir, sandbox_readable);
    if (!failed_test) return failed_test.error();
    if (!failed_test->empty()) {
      // The merge is given up: /retry merges again and resolves afresh.
      if (auto aborted = workspace_.abort_merge(worktree); !aborted) return aborted.error();
      f.outcome = workflow::TurnOutcome::refused;
      f.message = "the repository's tests fail after the conflict resolution: " + *failed_test +
                  "; nothing was pushed, and `/retry` resolves the conflicts again";
      return true;
    }
  }
  auto sha = workspace_.commit_all(
      worktree,
      redact(fixing ? "bottega: " + std::string(to_string(t.pull.fixing)) + " for #" +
                          std::to_string(t.pr_number) + " (" + t.title + ")\n\n" + fix_trailer(t)
                    : "bottega: " + t.title + " (#" + std::to_string(t.issue) + "), iteration " +
                          std::to_string(t.iteration)));
  if (!sha) return failed("commit: " + sha.error().message);
  // A fix waits for its review (shepherd.review_fixes): committed, pushed
  // by the review turn that passes it.
  if (fixing && t.pull.review_fixes) {
    if (*sha) f.committed_sha = **sha;
    take_answers(t, run_dir, f);
    return false;
  }
  // Pushed after every implementation turn: another host can rebuild
  // the worktree from the branch.
  if (*sha && fixing) {
    if (auto p = push_fix(t, checkout, f); !p) return failed("push: " + p.error().message);
  } else if (*sha) {
    if (auto p = workspace_.push(worktree, checkout.remote, t.branch); !p)
      return failed("push: " + p.error().message);
  }
  if (fixing) take_answers(t, run_dir, f);
  return false;
}

}  // namespace bottega
