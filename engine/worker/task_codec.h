// The workflow Task as JSON, the form it is stored in (tasks.state), and
// the GitHub effects waiting in a task's outbox.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/base/result.h"
#include "engine/workflow/workflow.h"

namespace bottega {

std::string task_to_json(const workflow::Task& task);
// Fails naming the field when the document is not a stored task.
Result<workflow::Task> task_from_json(std::string_view json);

// The effects done on GitHub after a decision commits (the others, turns
// and the pull request, are queue jobs written in the same transaction).
bool is_github_effect(const workflow::Action& action);
std::string effects_to_json(const std::vector<workflow::Action>& actions);
Result<std::vector<workflow::Action>> effects_from_json(std::string_view json);

}  // namespace bottega
