// The refinement pass's end (spec/workflow.md, "Refinement pass"): its
// work is kept only when the repository's tests still pass after it.
#include "config/base/redactor.h"
#include "engine/worker/repo_tests.h"
#include "engine/worker/turn_runner.h"

namespace bottega {

Result<std::string> TurnRunner::settle_refinement(
    const workflow::Task& t, const workflow::TurnFinished& f, const Checkout& checkout,
    const std::string& run_dir, const std::vector<std::string>& test_commands,
    const std::vector<std::string>& sandbox_readable) {
  const std::string& worktree = checkout.worktree;
  auto revert = [&](std::string why) -> Result<std::string> {
    if (auto d = workspace_.discard_changes(worktree); !d) return d.error();
    return why;
  };
  if (f.outcome != workflow::TurnOutcome::succeeded || f.signal == workflow::Signal::blocked)
    return revert("");
  auto refused = unpushable_change(worktree);
  if (!refused) return refused.error();
  if (*refused) return revert((*refused)->why);
  if (!test_commands.empty()) {
    auto tests =
        run_repo_tests(runner_, test_commands, worktree, run_dir + "/tests", sandbox_readable, {});
    if (!tests) return tests.error();
    if (!tests->passed)
      return revert("the repository's tests failed after it: " + redact(tests->summary));
  }
  auto sha = workspace_.commit_all(
      worktree, redact("bottega: " + t.title + " (#" + std::to_string(t.issue) + "), refinement"));
  if (!sha) return sha.error();
  if (*sha)
    if (auto p = workspace_.push(worktree, checkout.remote, t.branch); !p) return p.error();
  return std::string();
}

}  // namespace bottega
