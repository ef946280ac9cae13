#include "engine/worker/outbox.h"

#include <algorithm>
#include <chrono>

#include "engine/db/database.h"
#include "engine/report/comments.h"
#include "engine/report/task_document.h"
#include "engine/worker/github_port.h"
#include "engine/worker/mode_texts.h"
#include "engine/worker/repo_lookups.h"
#include "engine/worker/status_view.h"
#include "engine/worker/task_codec.h"
#include "engine/worker/task_store.h"

namespace bottega {

using workflow::Phase;
using workflow::Task;

Outbox::Outbox(Database& db, GitHubPort& gh, RepoLookups& lookups, const Clock& clock,
               std::string github_web_url, std::string public_url)
    : db_(db),
      gh_(gh),
      lookups_(lookups),
      clock_(clock),
      github_web_url_(std::move(github_web_url)),
      public_url_(std::move(public_url)) {}

Result<void> Outbox::flush(int64_t task_id, bool acknowledgements_only) {
  try {
    auto conn = db_.acquire();
    if (!conn) return conn.error();
    pqxx::work tx(**conn);
    if (!acknowledgements_only) task_store::lock_flusher(tx, task_id);
    auto loaded = task_store::select(tx, task_id, /*for_update=*/false);
    if (!loaded) return loaded.error();
    if (!*loaded) return {};
    TaskRow& row = **loaded;
    auto effects = effects_from_json(row.outbox);
    if (!effects) return effects.error();
    const auto repo = repo_of(row.installation_id, row.task.repo);

    // Reactions first (they acknowledge at once), then replies, then one
    // sync of each comment whatever the number of requests. Each step
    // names the outbox entries it stands for.
    std::vector<std::pair<workflow::Action, std::vector<std::string>>> steps;
    auto entry = [](const workflow::Action& a) { return effects_to_json({a}); };
    auto take_all = [&](auto is, workflow::Action step) {
      std::vector<std::string> entries;
      for (auto& a : *effects)
        if (is(a)) entries.push_back(entry(a));
      if (!entries.empty()) steps.emplace_back(std::move(step), std::move(entries));
    };
    for (auto& a : *effects)
      if (std::holds_alternative<workflow::React>(a)) steps.push_back({a, {entry(a)}});
    if (!acknowledgements_only) {
      for (auto& a : *effects)
        if (std::holds_alternative<workflow::Reply>(a) ||
            std::holds_alternative<workflow::ReplyInThread>(a) ||
            std::holds_alternative<workflow::RerunFailedJobs>(a))
          steps.push_back({a, {entry(a)}});
      take_all([](auto& a) { return std::holds_alternative<workflow::SyncPlanComment>(a); },
               workflow::SyncPlanComment{});
      take_all([](auto& a) { return std::holds_alternative<workflow::SyncStatus>(a); },
               workflow::SyncStatus{});
    }
    if (steps.empty()) return {};

    std::string failure;
    std::vector<std::string> done;
    for (auto& [action, entries] : steps) {
      auto result = perform(row, repo, action);
      if (!result) {
        failure = result.error().message;
        break;
      }
      done.insert(done.end(), entries.begin(), entries.end());
    }

    // Events may have added effects meanwhile: take out only what was done.
    auto current = task_store::select(tx, task_id, /*for_update=*/true);
    if (!current) return current.error();
    if (!*current) return {};
    auto now_there = effects_from_json((*current)->outbox);
    if (!now_there) return now_there.error();
    std::vector<workflow::Action> left;
    for (auto& a : *now_there) {
      auto it = std::find(done.begin(), done.end(), entry(a));
      if (it != done.end()) {
        done.erase(it);
      } else {
        left.push_back(a);
      }
    }
    if (acknowledgements_only) {
      task_store::save_outbox(tx, task_id, effects_to_json(left));
    } else {
      task_store::save_flushed(tx, row, effects_to_json(left));
    }
    tx.commit();
    if (!failure.empty()) return make_error(failure);
  } catch (const std::exception& e) {
    return make_error("task " + std::to_string(task_id) + " effects: " + e.what());
  }
  return {};
}

namespace {
template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;
}  // namespace

// One handler per action: an action added to the workflow without one here
// does not compile.
Result<void> Outbox::perform(TaskRow& row, const github::Repo& repo,
                             const workflow::Action& action) {
  const Task& t = row.task;
  return std::visit(
      Overloaded{
          [&](const workflow::React& react) -> Result<void> {
            auto r = gh_.react_to_issue_comment(repo, react.comment_id, react.reaction);
            if (!r && !r.error().is_not_found())
              return make_error("reaction: " + r.error().describe());
            return {};
          },
          [&](const workflow::Reply& reply) -> Result<void> {
            const int64_t where = reply.on_pull && t.pr_number ? t.pr_number : t.issue;
            auto r = gh_.create_issue_comment(repo, static_cast<int>(where), reply.text);
            if (!r) return make_error("reply: " + r.error().describe());
            return {};
          },
          [&](const workflow::ReplyInThread& reply) { return reply_in_thread(row, repo, reply); },
          [&](const workflow::RerunFailedJobs& rerun) -> Result<void> {
            auto r = gh_.rerun_failed_jobs(repo, rerun.workflow_run_id);
            // 403: it runs again already (someone re-ran it); 404: the run is gone.
            if (!r && r.error().status != 403 && !r.error().is_not_found())
              return make_error("re-run: " + r.error().describe());
            return {};
          },
          [&](const workflow::SyncPlanComment&) { return sync_plan_comment(row, repo); },
          [&](const workflow::SyncStatus&) { return sync_status(row, repo); },
          // Jobs, not effects: committed with the decision (task_applier),
          // never in the outbox.
          [](const workflow::StartTurn&) -> Result<void> { return {}; },
          [](const workflow::CancelTurn&) -> Result<void> { return {}; },
          [](const workflow::OpenPullRequest&) -> Result<void> { return {}; },
          [](const workflow::UpdatePull&) -> Result<void> { return {}; },
      },
      action);
}

// The reply carries a marker of its turn and comment, and is looked for
// before it is posted: a crash between posting and recording it never
// makes a second reply in the thread.
Result<void> Outbox::reply_in_thread(TaskRow& row, const github::Repo& repo,
                                     const workflow::ReplyInThread& reply) {
  const Task& t = row.task;
  const std::string marker = "<!-- bottega:reply " + std::to_string(t.id) + ":" +
                             std::to_string(reply.turn) + ":" + std::to_string(reply.comment_id) +
                             " -->";
  auto existing = gh_.list_review_comments(repo, static_cast<int>(t.pr_number));
  if (!existing) return make_error("review comments: " + existing.error().describe());
  for (const auto& c : *existing)
    if (c.body.find(marker) != std::string::npos) return {};
  auto r = gh_.reply_to_review_comment(repo, static_cast<int>(t.pr_number), reply.comment_id,
                                       reply.text + "\n\n" + marker);
  if (!r && !r.error().is_not_found())  // the comment was deleted: nothing to answer
    return make_error("thread reply: " + r.error().describe());
  return {};
}

Result<void> Outbox::sync_plan_comment(TaskRow& row, const github::Repo& repo) {
  const Task& t = row.task;
  if (t.plan_revision == 0) return {};
  const auto footer = mode_plan_footer(t);
  auto body =
      footer ? report::render_plan_comment(t.id, t.plan_revision, report::plan_part(t.document),
                                           *footer, t.phase == Phase::awaiting_answers)
             : report::render_plan_comment(t.id, t.plan_revision, report::plan_part(t.document),
                                           to_string(t.approve_permission));
  if (t.approved_revision == t.plan_revision && !t.approved_by.empty())
    body += "\n\n✅ Approved by @" + t.approved_by + ".";
  return upsert_comment(repo, t, task_store::MarkedComment::plan, body, row.plan_comment_id,
                        [&](const std::string& b) {
                          auto m = report::parse_plan_marker(b);
                          return m && m->task_id == t.id;
                        });
}

Result<void> Outbox::sync_status(TaskRow& row, const github::Repo& repo) {
  const Task& t = row.task;
  const int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
  auto view = status_view(t, github_web_url_, now);
  if (!public_url_.empty()) view.task_url = public_url_ + "/tasks/" + std::to_string(t.id);
  auto body = report::render_status_comment(view);
  if (auto r =
          upsert_comment(repo, t, task_store::MarkedComment::status, body, row.status_comment_id,
                         [&](const std::string& b) {
                           auto m = report::parse_status_marker(b);
                           return m && *m == t.id;
                         });
      !r)
    return r;
  if (auto r = sync_check_run(row, repo); !r) return r;
  return sync_label(row, repo);
}

template <class IsOurs>
Result<void> Outbox::upsert_comment(const github::Repo& repo, const Task& t,
                                    task_store::MarkedComment which, const std::string& body,
                                    int64_t& comment_id, IsOurs is_ours) {
  if (comment_id < 0) {
    // A post that may have gone through before a crash (or a failure that
    // hid its answer): the comment is found again by its marker instead of
    // being posted twice.
    comment_id = 0;
    auto comments = gh_.list_issue_comments(repo, static_cast<int>(t.issue));
    if (!comments) {
      comment_id = -1;
      return make_error("comments: " + comments.error().describe());
    }
    const std::string me = lookups_.bot();
    for (const auto& c : *comments)
      if ((me.empty() ? c.user.type == "Bot" : c.user.login == me) && is_ours(c.body))
        comment_id = c.id;
  }
  if (comment_id > 0) {
    auto r = gh_.update_issue_comment(repo, comment_id, body);
    if (r) return {};
    if (!r.error().is_not_found()) return make_error("comment update: " + r.error().describe());
    comment_id = 0;  // deleted by someone: post it again
  }
  if (auto noted = task_store::note_posting(db_, t.id, which); !noted) return noted;
  auto r = gh_.create_issue_comment(repo, static_cast<int>(t.issue), body);
  if (!r) {
    comment_id = -1;  // it may be there all the same
    return make_error("comment: " + r.error().describe());
  }
  comment_id = r->id;
  return {};
}

namespace {
std::vector<std::string> split_labels(const std::string& list) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < list.size()) {
    auto comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    if (comma > start) out.push_back(list.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}
}  // namespace

// The issue carries exactly the phase's label. Which phase labels the task
// may have put on the issue is recorded before each change (applied_label,
// "a,b"), so a crash between adding one and removing another leaves none
// behind, without reading the issue's labels first.
Result<void> Outbox::sync_label(TaskRow& row, const github::Repo& repo) {
  const std::string wanted(workflow::phase_label(row.task.phase));
  if (wanted == row.applied_label) return {};
  const int issue = static_cast<int>(row.task.issue);
  auto on_issue = split_labels(row.applied_label);
  if (!wanted.empty() && std::find(on_issue.begin(), on_issue.end(), wanted) == on_issue.end()) {
    std::string may_carry = row.applied_label.empty() ? wanted : row.applied_label + "," + wanted;
    if (auto noted = task_store::note_labels(db_, row.task.id, may_carry); !noted) return noted;
    row.applied_label = may_carry;
    if (auto made =
            ensure_label(repo, wanted, row.task.phase == Phase::blocked ? "d73a4a" : "5319e7");
        !made)
      return made;
    if (auto r = gh_.add_labels(repo, issue, {wanted}); !r)
      return make_error("label: " + r.error().describe());
  }
  for (const auto& name : on_issue) {
    if (name == wanted) continue;
    if (auto r = gh_.remove_label(repo, issue, name); !r)
      return make_error("label: " + r.error().describe());
  }
  row.applied_label = wanted;
  return {};
}

// Each label is made once per repository while this process lives.
Result<void> Outbox::ensure_label(const github::Repo& repo, const std::string& name,
                                  const std::string& color) {
  const std::string key = repo.full_name() + ":" + name;
  {
    std::lock_guard lock(mutex_);
    if (labels_made_.count(key)) return {};
  }
  if (auto r = gh_.ensure_label(repo, github::Label{name, color, ""}); !r)
    return make_error("label: " + r.error().describe());
  std::lock_guard lock(mutex_);
  labels_made_.insert(key);
  return {};
}

}  // namespace bottega
