#include "engine/worker/status_view.h"

#include <algorithm>

#include "engine/report/task_document.h"
#include "engine/worker/mode_texts.h"

namespace bottega {

using workflow::Phase;

namespace {

// The pull request side in a few words: the checks, the fix under way, the caps.
std::string pull_side_detail(const workflow::Task& t) {
  const auto& p = t.pull;
  if (t.pr_number == 0 ||
      (t.phase != Phase::pr_open && t.phase != Phase::fixing && t.phase != Phase::blocked))
    return "";
  std::string out;
  auto add = [&](const std::string& part) { out += (out.empty() ? "" : "; ") + part; };
  // A fix checked by a review turn before its push (shepherd.review_fixes).
  if (t.phase == Phase::fixing && t.turn_role == workflow::Role::review)
    add("reviewing the " + std::string(workflow::to_string(p.fixing)) +
        " fix before it is pushed (review " + std::to_string(p.fix_reviews) + " of " +
        std::to_string(t.max_iterations) + ")");
  else if (t.phase == Phase::fixing && !p.fix_findings.empty())
    add("the review sent the fix back; the fix agent tries again");
  if (t.phase == Phase::fixing) {
    switch (p.fixing) {
      case workflow::FixKind::ci:
        add("fixing CI (" + std::to_string(p.ci_fixes) + " of " + std::to_string(p.max_ci_fixes) +
            ")");
        break;
      case workflow::FixKind::conflicts:
        add("resolving conflicts (" + std::to_string(p.conflict_fixes) + " of " +
            std::to_string(p.max_conflict_fixes) + ")");
        break;
      case workflow::FixKind::review:
        add("addressing review" + (p.reviewer.empty() ? "" : " by @" + p.reviewer));
        break;
      case workflow::FixKind::none:
        break;
    }
  }
  if (p.checks == "passing") {
    add("checks passing");
  } else if (p.checks == "pending") {
    add("checks running");
  } else if (p.checks == "failing") {
    std::string names;
    for (const auto& f : p.failing) names += (names.empty() ? "" : ", ") + f.name;
    add("checks failing" + (names.empty() ? "" : ": " + names));
  }
  if (p.ci_fixes > 0 && t.phase != Phase::fixing)
    add("CI fixes " + std::to_string(p.ci_fixes) + " of " + std::to_string(p.max_ci_fixes));
  if (!p.pending.empty()) add(std::to_string(p.pending.size()) + " review item(s) waiting");
  return out;
}

}  // namespace

report::StatusView status_view(const workflow::Task& t, const std::string& github_web_url,
                               int64_t now) {
  report::StatusView v;
  v.task_id = t.id;
  v.phase = std::string(workflow::to_string(t.phase));
  std::replace(v.phase.begin(), v.phase.end(), '_', ' ');
  if (v.phase == "pr open")
    v.phase = "PR open";
  else if (v.phase == "opening pr")
    v.phase = "opening the PR";
  v.iteration = t.iteration;
  v.max_iterations = t.max_iterations;
  v.tokens_in = t.tokens_in;
  v.tokens_out = t.tokens_out;
  v.cost_usd = t.cost_usd;
  v.max_cost_usd = t.max_cost_usd;
  v.elapsed_seconds = t.started_at ? std::max<int64_t>(0, now - t.started_at) : 0;
  if (t.phase != Phase::idle && t.phase != Phase::planning && t.phase != Phase::awaiting_approval &&
      t.phase != Phase::awaiting_answers) {
    v.branch = t.branch;
    v.branch_url = github_web_url + "/" + t.repo + "/tree/" + t.branch;
  }
  v.pr_number = static_cast<int>(t.pr_number);
  v.pr_url = t.pr_url;
  v.plan_revision = t.plan_revision;
  v.approved_revision = t.approved_revision;
  v.todos = report::count_todos(t.document);
  v.failure_what = t.failure_what;
  v.failure_why = t.failure_why;
  v.stderr_tail = t.stderr_tail;
  v.notes = t.notes;
  v.phase_detail = pull_side_detail(t);
  switch (t.phase) {
    case Phase::awaiting_approval:
      v.next_step =
          "Read the plan, then comment `/approve` to start the work or `/revise <feedback>`.";
      break;
    case Phase::blocked:
      v.next_step = "Comment `/retry` to continue, or `/cancel`.";
      break;
    case Phase::pr_open:
      v.next_step =
          "Review the pull request; a person merges it. A review with changes requested, or "
          "`/fix <request>` on the pull request, starts a fix.";
      break;
    case Phase::idle:
      if (!t.failure_what.empty()) v.next_step = "Fix the problem, then trigger the task again.";
      break;
    default:
      break;
  }
  if (auto next = mode_next_step(t); !next.empty()) v.next_step = next;
  if (v.phase_detail.empty()) v.phase_detail = mode_detail(t);
  return v;
}

}  // namespace bottega
