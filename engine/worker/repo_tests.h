// The refinement pass's check (spec/workflow.md, "Refinement pass"): the
// repository's configured test commands (commands.test), run by the app —
// not by an agent — in the task's worktree, inside the agents' sandbox
// (the same runner and limits as a turn), with no network. The commands
// run in order under `sh -e`; the first failure fails the run.
// Thread-safety: run_repo_tests() may be called on any thread.
#pragma once

#include <string>
#include <vector>

#include "config/base/result.h"
#include "engine/agents/runner.h"

namespace bottega {

struct RepoTestRun {
  bool passed = false;
  std::string summary;  // "passed" or what failed, with the output's last lines
};

// `readable`, `writable`: more sandbox paths (the worktree's git store).
// Fails only when the run cannot be set up; a failing test is a result.
[[nodiscard]] Result<RepoTestRun> run_repo_tests(
    agents::AgentRunner& runner, const std::vector<std::string>& commands,
    const std::string& worktree, const std::string& run_dir,
    const std::vector<std::string>& readable, const std::vector<std::string>& writable,
    const agents::AgentRunner::ProcessObserver& on_process = {});

}  // namespace bottega
