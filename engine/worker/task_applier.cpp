#include "engine/worker/task_applier.h"

#include <pqxx/pqxx>

#include "config/base/log.h"
#include "engine/db/database.h"
#include "engine/queue/queue.h"
#include "engine/report/task_document.h"
#include "engine/worker/job_payloads.h"
#include "engine/worker/outbox.h"
#include "engine/worker/repo_lookups.h"
#include "engine/worker/task_codec.h"
#include "engine/worker/task_engine.h"
#include "engine/worker/task_store.h"

namespace bottega {
namespace {

using workflow::Phase;
using workflow::Task;

// The comment a command event came from; 0 for other events.
int64_t command_comment(const workflow::Event& event) {
  if (auto* c = std::get_if<workflow::CommandEvent>(&event)) return c->comment_id;
  if (auto* m = std::get_if<workflow::MistypedCommand>(&event)) return m->comment_id;
  if (auto* a = std::get_if<workflow::Answer>(&event)) return a->comment_id;
  return 0;
}

void apply_policy(Task& t, const RepoConfig& c) {
  t.command_permission = c.command_permission;
  t.approve_permission = c.approve_permission;
  if (t.phase == Phase::idle || t.phase == Phase::cancelled) {
    t.max_iterations = c.max_iterations;
    t.max_cost_usd = c.max_cost_usd;
    t.solo_by_default = c.solo_mode;
    t.max_question_rounds = c.max_question_rounds;
    auto refine = c.roles.find("refine");
    t.refine = refine != c.roles.end() && !refine->second.harness.empty();
    t.pull.max_ci_fixes = c.max_ci_fixes;
    t.pull.max_conflict_fixes = c.max_conflict_fixes;
    t.pull.review_fixes = c.review_fixes;
    t.pull.rebase = c.update_method == "rebase";
  }
}

JobSpec task_job(const char* kind, const std::string& key, const TaskRow& row,
                 TaskJobPayload payload) {
  JobSpec job;
  job.kind = kind;
  job.task_key = key;
  job.installation_id = row.installation_id;
  job.payload = encode_task_job(payload);
  return job;
}

// A task_effects job for what the outbox holds besides reactions, unless
// one is already queued (under the task's row lock, so two events cannot
// both miss it).
void enqueue_effects(pqxx::transaction_base& tx, const TaskRow& row) {
  const std::string key = task_key(row.task.repo, row.task.issue) + "/effects";
  if (!task_store::effects_wanted(tx, row.task.id, key)) return;
  JobQueue::enqueue(tx, task_job(kTaskEffectsJob, key, row, {row.task.id, 0}));
}

// The decided state, with the jobs it implies and its GitHub effects.
void commit_decision(pqxx::transaction_base& tx, const TaskRow& row,
                     const workflow::Decision& decision) {
  auto& log = component_log("workflow");
  const Task& t = decision.task;
  std::vector<workflow::Action> effects;
  const std::string key = task_key(t.repo, t.issue) + "/agent";
  for (const auto& action : decision.actions) {
    if (is_github_effect(action)) {
      effects.push_back(action);
    } else if (auto* start = std::get_if<workflow::StartTurn>(&action)) {
      JobSpec job = task_job(kAgentTurnJob, key, row, {t.id, start->turn});
      job.max_attempts = 5;  // restarts and crashed workers use attempts too
      job.host = row.worktree_host;
      JobQueue::enqueue(tx, job);
      log.info("task {}: turn {} ({}) queued", task_key(t.repo, t.issue), start->turn,
               workflow::to_string(start->role));
    } else if (std::holds_alternative<workflow::OpenPullRequest>(action)) {
      JobSpec job = task_job(kOpenPullJob, key, row, {t.id, 0});
      job.host = row.worktree_host;
      JobQueue::enqueue(tx, job);
    } else if (std::holds_alternative<workflow::UpdatePull>(action)) {
      // As PullUpdater::enqueue: the base moved while the task was busy.
      JobSpec job = task_job(kUpdatePullJob, t.repo + "/task-" + std::to_string(t.id) + "/update",
                             row, {t.id, 1});
      job.host = row.worktree_host;
      JobQueue::enqueue(tx, job);
    }
    // CancelTurn needs nothing here: the running turn watches its task and
    // stops when the task no longer waits for it.
  }
  const bool ended = t.phase == Phase::done || t.phase == Phase::cancelled;
  if (ended && t.phase != row.task.phase && !row.worktree_host.empty()) {
    JobSpec job =
        task_job(kCleanupJob, key, row, {t.id, 0});  // after the cancelled turn has stopped
    job.host = row.worktree_host;
    JobQueue::enqueue(tx, job);
  }
  task_store::save_decision(tx, t, effects_to_json(effects));
  if (t.phase != row.task.phase)
    log.info("task {}: {} → {}", task_key(t.repo, t.issue), workflow::to_string(row.task.phase),
             workflow::to_string(t.phase));
}

}  // namespace

TaskApplier::TaskApplier(Database& db, RepoLookups& lookups, Outbox& outbox)
    : db_(db), lookups_(lookups), outbox_(outbox) {}

Result<void> TaskApplier::apply(const Incoming& in, const std::string& delivery_id,
                                int64_t task_id) {
  const bool from_delivery = !delivery_id.empty();
  int64_t id = 0;
  try {
    auto conn = db_.acquire();
    if (!conn) return conn.error();
    pqxx::work tx(**conn);
    auto locked = task_id ? task_store::select(tx, task_id, /*for_update=*/true)
                          : task_store::lock(tx, in.repo, in.issue);
    if (!locked) return locked.error();
    if (!*locked && !in.create) return {};  // no task, and this event does not make one
    if (!*locked) {
      TaskRow row;
      row.installation_id = in.installation_id;
      row.base_branch = in.base_branch.empty() ? "main" : in.base_branch;
      row.task.repo = in.repo;
      row.task.issue = in.issue;
      row.task.title = in.title;
      row.task.document = report::make_task_document(
          in.title, in.issue, in.body,
          lookups_.plan_template(repo_of(in.installation_id, in.repo),
                                 in.base_commit.empty() ? in.base_branch : in.base_commit));
      row.task.branch = report::branch_name(in.issue, in.title);
      // Two deliveries may race to make the task: the unique key lets one win.
      try {
        pqxx::subtransaction create(tx, "create_task");
        row.task.id = task_store::insert(create, row);
        create.commit();
        locked->emplace(std::move(row));
      } catch (const pqxx::unique_violation&) {
        auto again = task_store::lock(tx, in.repo, in.issue);
        if (!again || !*again)
          return make_error("task for " + task_key(in.repo, in.issue) + " vanished");
        *locked = std::move(*again);
      }
    }
    TaskRow& row = **locked;
    id = row.task.id;
    if (!delivery_id.empty() && !task_store::record_applied(tx, delivery_id, id)) {
      tx.commit();
      return outbox_.flush(
          id, /*acknowledgements_only=*/true);  // applied before a crash: its 👀 may be left
    }
    // The same comment delivered again under another delivery id (a
    // second hook on the repository, a proxy that retries) is applied
    // once: its comment id is the key.
    if (const int64_t comment = command_comment(in.event);
        comment != 0 && !task_store::record_applied(tx, "comment:" + std::to_string(comment), id)) {
      tx.commit();
      component_log("workflow")
          .info("task {}: the command of comment {} was applied already (delivery {})",
                task_key(in.repo, in.issue), comment, delivery_id);
      return {};
    }
    if (in.plan_comment_id != 0 && in.plan_comment_id != row.plan_comment_id) {
      tx.commit();
      return {};  // a marker in some other comment
    }
    if (in.config) apply_policy(row.task, *in.config);
    auto decision = workflow::decide(row.task, in.event);
    commit_decision(tx, row, decision);
    // An issue or repository that is gone takes no write: what waited to be sent is dropped.
    if (std::holds_alternative<workflow::IssueGone>(in.event) ||
        std::holds_alternative<workflow::AccessLost>(in.event))
      task_store::drop_outbox(tx, id);
    enqueue_effects(tx, row);
    tx.commit();
  } catch (const std::exception& e) {
    return make_error("task " + task_key(in.repo, in.issue) + ": " + e.what());
  }
  if (!from_delivery) return {};  // the engine's own events carry no acknowledgement
  return outbox_.flush(id, /*acknowledgements_only=*/true);
}

}  // namespace bottega
