// The pull request side of a stored task (workflow::PullSide) as JSON: one
// nested object, "pull", of the task's state (task_codec.h). A state stored
// before the PR side existed reads as the defaults.
// Thread-safety: pure functions.
#pragma once

#include <simdjson.h>

#include <boost/json/object.hpp>
#include <string>

#include "engine/workflow/workflow.h"

namespace bottega {

boost::json::object pull_side_to_json(const workflow::PullSide& pull);
// Reads `o` into `pull`; returns the first problem ("" when none).
std::string pull_side_from_json(simdjson::dom::object o, workflow::PullSide& pull);

}  // namespace bottega
