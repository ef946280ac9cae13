#include "engine/workflow/workflow.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "engine/report/comments.h"
#include "engine/report/task_document.h"
#include "engine/workflow/decider.h"

namespace bottega::workflow {
namespace detail {

std::string command_text(CommandName name) {
  std::string out = "/";
  out +=
      github::to_string(name);  // appended: GCC 12 -O2 warns (falsely, -Wrestrict) on "/" + string
  return out;
}

std::string money(double usd) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "$%.2f", usd);
  return buf;
}

Decision Decider::operator()(const MistypedCommand& e) {
  if (e.actor.is_bot) return std::move(d_);
  if (e.actor.permission < t().command_permission) return std::move(d_);
  react(e.comment_id, github::Reaction::confused);
  reply("`" + e.typed + "` is not a command. Did you mean `" + e.suggestion +
        "`? Comment `/help` for the commands you can use now.");
  return std::move(d_);
}

Decision Decider::operator()(const PlanEdited& e) {
  if (e.actor.is_bot) return std::move(d_);
  // A plan awaiting approval, or one whose revision's planning turn failed.
  const bool editable = t().phase == Phase::awaiting_approval ||
                        (t().phase == Phase::blocked && t().resume_phase == Phase::planning &&
                         t().plan_revision > 0 && t().approved_revision == 0);
  if (!e.plan || report::parse_plan_marker(*e.plan)) {
    // A marker was deleted: what is left is not a plan we can read back.
    t().notes.push_back("An edit of the plan comment by @" + e.actor.login +
                        " was not read back and was undone: it removed the plan's begin or end "
                        "marker. Edit only between the markers, or comment `/revise <feedback>`.");
    act(SyncPlanComment{});
    act(SyncStatus{});
    return std::move(d_);
  }
  std::string current = report::plan_part(t().document);
  if (trim(*e.plan) == trim(current)) return std::move(d_);  // our own re-render, or no change
  if (!editable || e.actor.permission < t().command_permission) {
    // Put the plan back: only an authorized edit of a plan awaiting
    // approval makes a new revision.
    t().notes.push_back("An edit of the plan comment by @" + e.actor.login + " was undone: " +
                        (editable
                             ? "editing the plan needs " +
                                   std::string(to_string(t().command_permission)) + " permission"
                             : "the plan can only be edited while it awaits approval"));
    act(SyncPlanComment{});
    act(SyncStatus{});
    return std::move(d_);
  }
  t().document = report::with_plan(t().document, *e.plan);
  clear_failure();
  new_revision(e.now);
  t().phase = Phase::awaiting_approval;
  t().notes.push_back("Plan revision " + std::to_string(t().plan_revision) + " is an edit by @" +
                      e.actor.login + "; it needs its own approval.");
  act(SyncPlanComment{});
  act(SyncStatus{});
  return std::move(d_);
}

Decision Decider::operator()(const TurnFinished& e) {
  if (e.turn != t().turn || !is_running(t().phase) || t().phase == Phase::opening_pr)
    return std::move(d_);  // a stale or duplicate report
  t().tokens_in += e.tokens_in;
  t().tokens_out += e.tokens_out;
  t().cost_usd += e.cost_usd;
  if (!e.discarded_files.empty()) {
    std::string list;
    for (std::size_t i = 0; i < e.discarded_files.size() && i < 10; ++i)
      list += (i ? ", " : "") + std::string("`") + e.discarded_files[i] + "`";
    if (e.discarded_files.size() > 10) list += ", …";
    t().notes.push_back("The " + std::string(to_string(e.role)) + " turn " +
                        std::to_string(e.turn) + " changed files, which were discarded (" + list +
                        "): only the implementer changes code.");
  }
  if (e.role == Role::refine) return refined(e);
  if (e.outcome != TurnOutcome::succeeded) return turn_failed(e);
  if (e.signal == Signal::blocked)
    return block(BlockCause::verdict, "The " + std::string(to_string(e.role)) + " agent is blocked",
                 e.signal_reason.empty() ? "it gave no reason" : e.signal_reason);

  switch (e.role) {
    case Role::plan:
      return planned(e);
    case Role::implement:
      return implemented(e);
    case Role::review:
      return t().phase == Phase::fixing ? fix_reviewed(e) : reviewed(e);
    case Role::solo:
      return solo_finished(e);
    case Role::refine:
      return refined(e);
    case Role::fix:
      return fixed(e);
  }
  return std::move(d_);
}

Decision Decider::operator()(const PullRequestOpened& e) {
  if (t().phase != Phase::opening_pr) return std::move(d_);
  t().phase = Phase::pr_open;
  t().pr_number = e.number;
  t().pr_url = e.url;
  if (!e.branch.empty()) t().branch = e.branch;
  t().pull.head_sha = e.head_sha;
  clear_failure();
  act(SyncStatus{});
  return std::move(d_);
}

Decision Decider::operator()(const PullRequestFailed& e) {
  if (t().phase != Phase::opening_pr) return std::move(d_);
  return block(BlockCause::failure, "Opening the pull request failed", e.why);
}

Decision Decider::operator()(const PullRequestClosed& e) {
  // A merge is the truth even after the issue's close (which a merge
  // sends too, in either order) cancelled a fix turn.
  const bool merged_after_cancel = e.merged && t().phase == Phase::cancelled;
  if (t().phase != Phase::pr_open && t().phase != Phase::blocked && t().phase != Phase::fixing &&
      !merged_after_cancel)
    return std::move(d_);
  if (t().pr_number == 0) return std::move(d_);
  stop_running();
  t().pull.fixing = FixKind::none;
  t().phase = e.merged ? Phase::done : Phase::cancelled;
  t().notes.push_back(e.merged ? "The pull request was merged."
                               : "The pull request was closed without merging.");
  act(SyncStatus{});
  return std::move(d_);
}

Decision Decider::operator()(const IssueClosed&) {
  if (t().phase == Phase::idle || t().phase == Phase::cancelled || t().phase == Phase::done ||
      t().phase == Phase::pr_open)  // a PR that closes the issue keeps its own lifecycle
    return std::move(d_);
  stop_running();
  t().phase = Phase::cancelled;
  t().notes.push_back("The issue was closed.");
  act(SyncStatus{});
  return std::move(d_);
}

// Like a close, but the issue cannot be written to: the running turn
// stops and the task ends without touching the issue (no status, no
// labels).
Decision Decider::operator()(const IssueGone& e) {
  if (t().phase == Phase::idle || t().phase == Phase::cancelled || t().phase == Phase::done ||
      t().phase == Phase::pr_open)  // the pull request lives on in this repository
    return std::move(d_);
  stop_running();
  t().phase = Phase::cancelled;
  t().notes.push_back(e.why);
  return std::move(d_);
}

Decision Decider::operator()(const AccessLost& e) {
  if (t().phase == Phase::idle || t().phase == Phase::cancelled || t().phase == Phase::done)
    return std::move(d_);
  stop_running();
  t().phase = Phase::cancelled;
  t().notes.push_back(e.why);
  return std::move(d_);
}

// A comment while the plan's questions are open answers them: the
// planning turn runs again with the answers in the task document. Other
// comments (a reader's, or any when no question is open) are discussion.
Decision Decider::operator()(const Answer& e) {
  if (e.actor.is_bot || t().phase != Phase::awaiting_answers) return std::move(d_);
  if (e.actor.permission < t().command_permission) return std::move(d_);
  if (trim(e.text).empty()) return std::move(d_);
  react(e.comment_id, github::Reaction::eyes);
  answer_questions(e.actor.login, e.text);
  clear_failure();
  t().guidance = "@" + e.actor.login +
                 " answered your questions: read the Answers section of the task document.";
  start_turn(Phase::planning, Role::plan);
  act(SyncStatus{});
  return std::move(d_);
}

void Decider::clear_failure() {
  t().failure_what.clear();
  t().failure_why.clear();
  t().stderr_tail.clear();
  t().block_cause = BlockCause::none;
}

void Decider::start_turn(Phase phase, Role role) {
  t().phase = phase;
  t().turn += 1;
  t().turn_role = role;
  act(StartTurn{role, t().turn});
}

void Decider::stop_running() {
  if (t().phase == Phase::planning || t().phase == Phase::implementing ||
      t().phase == Phase::reviewing || t().phase == Phase::refining || t().phase == Phase::fixing)
    act(CancelTurn{t().turn});
}

void Decider::new_revision(int64_t now) {
  t().plan_revision += 1;
  t().plan_revised_at = now;
  t().approved_revision = 0;
  t().approved_by.clear();
}

void Decider::begin_planning(const CommandEvent& e, std::string guidance) {
  accept(e);
  clear_failure();
  t().guidance = std::move(guidance);
  if (t().started_at == 0) t().started_at = e.now;
  start_turn(Phase::planning, Role::plan);
  act(SyncStatus{});
}

// resume: where /retry picks up; idle = the phase that stopped.
Decision Decider::block(BlockCause cause, std::string what, std::string why,
                        std::string stderr_tail, Phase resume) {
  t().resume_phase = resume == Phase::idle ? t().phase : resume;
  t().phase = Phase::blocked;
  t().block_cause = cause;
  t().failure_what = std::move(what);
  t().failure_why = std::move(why);
  t().stderr_tail = std::move(stderr_tail);
  act(SyncStatus{});
  return std::move(d_);
}

Decision Decider::turn_failed(const TurnFinished& e) {
  const std::string role(to_string(e.role));
  std::string what;
  switch (e.outcome) {
    case TurnOutcome::timed_out:
      what = "The " + role + " agent timed out";
      break;
    case TurnOutcome::crashed:
      what = "The " + role + " agent crashed";
      break;
    case TurnOutcome::agent_error:
      what = "The " + role + " agent reported an error";
      break;
    case TurnOutcome::setup_failed:
      what = "The " + role + " turn could not start";
      break;
    case TurnOutcome::cancelled:
      what = "The " + role + " agent was stopped";
      break;
    case TurnOutcome::refused:
      what = "The " + role + " turn's work was refused";
      break;
    case TurnOutcome::budget_reached:
      // The gateway stopped the agent mid-turn: /retry runs the same turn again.
      return block(BlockCause::cost_cap, "The cost budget was spent during the " + role + " turn",
                   "this task has cost " + money(t().cost_usd) + " of its " +
                       money(t().max_cost_usd) + " budget" +
                       (e.message.empty() ? "" : " (" + e.message + ")") +
                       "; `/retry` grants another budget's worth and runs the turn again",
                   e.stderr_tail);
    case TurnOutcome::succeeded:
      break;
  }
  return block(BlockCause::failure, what, e.message.empty() ? "no reason given" : e.message,
               e.stderr_tail);
}

// The turn that spent the budget is done: /retry goes on with the next.
Decision Decider::block_budget(Phase next) {
  return block(BlockCause::cost_cap, "The cost budget is spent",
               "this task has cost " + money(t().cost_usd) + " of its " + money(t().max_cost_usd) +
                   " budget; `/retry` grants another budget's worth",
               "", next);
}

Decision Decider::planned(const TurnFinished& e) {
  if (e.signal == Signal::questions) return asked_questions(e);
  if (e.signal != Signal::plan_ready)
    return block(BlockCause::failure, "The plan agent ended without signalling plan-ready",
                 e.signal == Signal::none ? "it never ran `bottega signal plan-ready`"
                                          : "it signalled `" + std::string(to_string(e.signal)) +
                                                "`, which a planning turn cannot",
                 e.stderr_tail);
  auto todos = report::count_todos(e.document);
  if (todos.total == 0)
    return block(BlockCause::failure, "The plan has no to-do items",
                 "the planning agent signalled plan-ready but the task document's To-do section "
                 "has no `- [ ]` items");
  t().document = report::with_plan(t().document, report::plan_part(e.document));
  t().guidance.clear();
  new_revision(e.now);
  if (!t().product_reason.empty()) return start_without_approval();
  t().phase = Phase::awaiting_approval;
  // No budget check here: approval is a person's decision, and the next
  // turn's cost is checked when it ends.
  act(SyncPlanComment{});
  act(SyncStatus{});
  return std::move(d_);
}

}  // namespace detail

Decision decide(const Task& task, const Event& event) {
  return std::visit(detail::Decider(task), event);
}

}  // namespace bottega::workflow
