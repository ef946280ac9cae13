// The App's own check run on a task PR's head (spec/shepherd.md, "The
// bottega check"): the task's phase, the approved plan revision and the
// review's verdict, so a branch protection rule can require it. Its id is
// kept with the task (and what it last said), so a sync that changes
// nothing costs nothing and one that does costs one request; it is looked
// for on the head by its name and app only when a creation's answer may
// have been lost. Made anew when a completed one would go back to in
// progress.
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

// What a run says, as tasks.check_run_said keeps it ("completed\nsuccess\nMerged").
std::string said_by(const std::string& status, const std::string& conclusion,
                    const std::string& title) {
  return status + "\n" + conclusion + "\n" + title;
}

}  // namespace

Result<void> Outbox::sync_check_run(TaskRow& row, const github::Repo& repo) {
  const workflow::Task& t = row.task;
  if (t.pr_number == 0 || t.pull.head_sha.empty()) return {};
  const auto update = check_of(t);
  const std::string said = said_by(update.status, update.conclusion, update.title);
  // A head the kept run is not on has none of ours, unless one may have
  // been made on it ('*': a task from before runs were kept).
  if (row.check_run_head != t.pull.head_sha && row.check_run_head != "*") {
    row.check_run_id = 0;
    row.check_run_said.clear();
  }
  row.check_run_head = t.pull.head_sha;
  if (row.check_run_id < 0) {
    auto found = find_check_run(repo, t.pull.head_sha);
    if (!found) return found.error();
    row.check_run_id = found->first;
    row.check_run_said = found->second;
  }
  if (row.check_run_id > 0) {
    if (row.check_run_said == said) return {};  // already says so
    // GitHub does not take a completed run back to in progress: a new run
    // of the same name on the head takes its place (the newest counts).
    const bool completed = row.check_run_said.rfind("completed\n", 0) == 0;
    if (!completed || update.status == "completed") {
      auto changed = gh_.update_check_run(repo, row.check_run_id, update);
      if (changed) {
        row.check_run_said = said;
        return {};
      }
      if (!changed.error().is_not_found())
        return make_error("check run: " + changed.error().describe());
    }
  }
  if (auto noted = task_store::note_check_run_posting(db_, t.id, t.pull.head_sha); !noted)
    return noted;
  row.check_run_id = -1;
  auto made = gh_.create_check_run(repo, update);
  if (!made) return make_error("check run: " + made.error().describe());
  row.check_run_id = made->id;
  row.check_run_said = said;
  return {};
}

Result<std::pair<int64_t, std::string>> Outbox::find_check_run(const github::Repo& repo,
                                                               const std::string& head) {
  auto runs = gh_.list_check_runs_for_ref(repo, head);
  if (!runs) return make_error("check runs: " + runs.error().describe());
  const std::string bot = lookups_.bot();
  const std::string slug = bot.size() > 5 ? bot.substr(0, bot.size() - 5) : "";
  for (const auto& r : *runs)  // the newest first
    if (r.name == kCheckName && (slug.empty() || r.app_slug == slug))
      return std::make_pair(r.id, said_by(r.status, r.conclusion, r.title));
  return std::make_pair(int64_t{0}, std::string());
}

}  // namespace bottega
