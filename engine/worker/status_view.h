// What the status comment shows for a task: a pure function of the task,
// GitHub's web address and the time now.
#pragma once

#include <cstdint>
#include <string>

#include "engine/report/comments.h"
#include "engine/workflow/workflow.h"

namespace bottega {

report::StatusView status_view(const workflow::Task& t, const std::string& github_web_url,
                               int64_t now);

}  // namespace bottega
