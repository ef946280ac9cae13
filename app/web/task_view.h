// The board and the task page as HTML (the page frame aside): pure
// functions of what was read, every outside text escaped.
#pragma once

#include <string>
#include <vector>

#include "app/web/task_reads.h"
#include "app/web/transcript_view.h"

namespace bottega::web {

// One column per phase (those with tasks, in the workflow's order), newest
// first, each card linking to the task page, the issue and the PR.
std::string board_html(const std::vector<TaskSummary>& tasks, const std::string& github_web_url);

// The task page's body: the request, the plan (revision, approval, to-do
// count), the facts (phase, iteration, branch, PR, cost), the run table and
// the transcripts, from `items` (collect() from the start); the live stream
// resumes after the last item.
std::string task_html(const TaskDetail& task, const std::vector<StreamItem>& items,
                      const std::string& github_web_url);

}  // namespace bottega::web
