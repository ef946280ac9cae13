// What a fix turn on a task's pull request is told, and what it answers
// (spec/shepherd.md): the file fix-context.md in the turn's run directory
// (failing checks with their output, annotations and log tails; review
// feedback with its threads; conflicted files), and the agent's answers to
// inline review comments, replies.json in the same directory, read back as
// hostile input.
// Thread-safety: free functions; the GitHub port is called from the caller's thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/base/result.h"
#include "engine/workflow/workflow.h"
#include "github/types.h"

namespace bottega {

class GitHubPort;

// The last `max_lines` lines of a CI log, with ANSI escape sequences and
// each line's leading timestamp (GitHub Actions writes
// "2026-11-27T10:00:00.1234567Z ") removed, and lines cut at 1,000 bytes.
std::string log_tail(std::string_view log, std::size_t max_lines = 200);

// Writes <run_dir>/fix-context.md (and, for failing checks, their log tails
// under <run_dir>/logs/) and returns its path. Fails when GitHub could not be
// asked (the turn is retried).
[[nodiscard]] Result<std::string> write_fix_context(GitHubPort& gh, const github::Repo& repo,
                                                    const workflow::Task& task,
                                                    const std::string& run_dir,
                                                    const std::string& extra = "");

// The agent's answers in <run_dir>/replies.json: {"<comment id>": "answer"}.
// Only ids among `wanted` are taken, each answer cut at 4,000 bytes. A
// missing file is no answers; an unreadable one is no answers and a problem
// in `problem`.
std::vector<std::pair<int64_t, std::string>> read_fix_answers(const std::string& run_dir,
                                                              const std::vector<int64_t>& wanted,
                                                              std::string& problem);

}  // namespace bottega
