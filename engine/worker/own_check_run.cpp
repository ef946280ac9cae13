// The App's own check run on a task PR's head (spec/shepherd.md, "The
// bottega check"): the task's phase, the approved plan revision and the
// review's verdict, so a branch protection rule can require it. Found again
// on the head by its name and app (no id kept), updated in place, or made
// anew when a completed one would go back to in progress.
#include "engine/worker/github_port.h"
#include "engine/worker/outbox.h"
#include "engine/worker/repo_lookups.h"

namespace bottega {

using workflow::Phase;

namespace {

constexpr const char* kCheckName = "bottega";

github::CheckRunUpdate check_of(const workflow::Task& t) {
  github::CheckRunUpdate u;
  u.name = kCheckName;
  u.head_sha = t.pull.head_sha;
  u.details_url = t.pr_url;
  u.external_id = "task-" + std::to_string(t.id);
  const std::string plan = "Plan revision " + std::to_string(t.approved_revision) +
                           (t.approved_by.empty() ? "" : " approved by @" + t.approved_by);
  u.summary = plan + ". The review agent found the work ready against it.";
  switch (t.phase) {
    case Phase::fixing:
      u.status = "in_progress";
      u.title = "Fixing: " + std::string(to_string(t.pull.fixing));
      break;
    case Phase::pr_open:
      u.status = "completed";
      u.conclusion = "success";
      u.title = "Ready for a person's review";
      break;
    case Phase::done:
      u.status = "completed";
      u.conclusion = "success";
      u.title = "Merged";
      break;
    case Phase::blocked:
      u.status = "completed";
      u.conclusion = "failure";
      u.title = "Blocked: " + t.failure_what;
      u.text = t.failure_why;
      break;
    default:  // cancelled (and phases before the PR, which have none)
      u.status = "completed";
      u.conclusion = "neutral";
      u.title = "Cancelled";
      break;
  }
  return u;
}

}  // namespace

Result<void> Outbox::sync_check_run(const TaskRow& row, const github::Repo& repo) {
  const workflow::Task& t = row.task;
  if (t.pr_number == 0 || t.pull.head_sha.empty()) return {};
  const auto update = check_of(t);
  auto runs = gh_.list_check_runs_for_ref(repo, t.pull.head_sha);
  if (!runs) return make_error("check runs: " + runs.error().describe());
  const std::string bot = lookups_.bot();
  const std::string slug = bot.size() > 5 ? bot.substr(0, bot.size() - 5) : "";
  for (const auto& r : *runs) {
    if (r.name != kCheckName || (!slug.empty() && r.app_slug != slug)) continue;
    if (r.status == update.status && r.conclusion == update.conclusion && r.title == update.title)
      return {};  // already says so
    // GitHub does not take a completed run back to in progress: a new run
    // of the same name on the head takes its place (the newest counts).
    if (r.status == "completed" && update.status != "completed") break;
    auto changed = gh_.update_check_run(repo, r.id, update);
    if (!changed) return make_error("check run: " + changed.error().describe());
    return {};
  }
  auto made = gh_.create_check_run(repo, update);
  if (!made) return make_error("check run: " + made.error().describe());
  return {};
}

}  // namespace bottega
