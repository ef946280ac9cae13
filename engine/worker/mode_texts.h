// What the plan comment, the status comment and the pull request say about
// the workflow's modes (spec/workflow.md, "Modes"; spec/comments.md): the
// plan comment's footer while questions are open or when the work started
// without approval, the status comment's mode line and next step, and the
// pull request's mode line. Pure functions of the task.
#pragma once

#include <optional>
#include <string>

#include "engine/workflow/workflow.h"

namespace bottega {

// The plan comment's footer for a task in a mode; nullopt: the usual one
// (`/approve` …).
std::optional<std::string> mode_plan_footer(const workflow::Task& t);

// A line for the status comment naming the task's mode ("solo mode",
// "product flow: …"); "" for the usual workflow.
std::string mode_detail(const workflow::Task& t);

// The status comment's next step in a mode's phase; "" when the usual one holds.
std::string mode_next_step(const workflow::Task& t);

// The pull request's line on how the change was made; "" for the usual one.
std::string mode_pull_note(const workflow::Task& t);

}  // namespace bottega
