// The commands on the issue and the pull request (spec/workflow.md, "Commands").
#include <algorithm>

#include "engine/workflow/decider.h"

namespace bottega::workflow::detail {

Decision Decider::operator()(const CommandEvent& e) {
  if (e.actor.is_bot) return std::move(d_);
  on_pull_ = e.on_pull;
  // A label or an assignment is no request to plan again: only a task with
  // nothing under way starts, and nobody is answered about the rest.
  if (e.is_trigger() && t().phase != Phase::idle && t().phase != Phase::cancelled)
    return std::move(d_);
  if (!e.config_error.empty() && e.name == CommandName::plan) return invalid_config(e);
  const bool approving = e.name == CommandName::approve;
  const Permission needed = approving ? t().approve_permission : t().command_permission;
  // /help and /status only read: anyone who can read the repository may ask.
  const bool read_only = e.name == CommandName::help || e.name == CommandName::status;
  if (!read_only && e.actor.permission < needed) return refuse_permission(e, needed);
  if (read_only && e.actor.permission < Permission::read)
    return refuse_permission(e, Permission::read);

  switch (e.name) {
    case CommandName::plan:
      return plan(e);
    case CommandName::revise:
      return revise(e);
    case CommandName::approve:
      return approve(e);
    case CommandName::cancel:
      return cancel(e);
    case CommandName::retry:
      return retry(e);
    case CommandName::status:
      return status(e);
    case CommandName::help:
      return help(e);
    case CommandName::fix:
      return fix(e);
  }
  return std::move(d_);
}

// A command that does not apply now: 👎 and why (the sender is allowed,
// so the reason helps them).
Decision Decider::refuse(const CommandEvent& e, const std::string& why) {
  react(e.comment_id, github::Reaction::minus_one);
  reply("@" + e.actor.login + " `" + command_text(e.name) + "` " + why);
  return std::move(d_);
}

// Not allowed: 👎 every time, one reply per person per task.
Decision Decider::refuse_permission(const CommandEvent& e, Permission needed) {
  react(e.comment_id, github::Reaction::minus_one);
  auto& refused = t().refused_users;
  if (std::find(refused.begin(), refused.end(), e.actor.login) == refused.end()) {
    refused.push_back(e.actor.login);
    reply("@" + e.actor.login + " `" + command_text(e.name) + "` needs " +
          std::string(to_string(needed)) + " permission on this repository (you have " +
          std::string(to_string(e.actor.permission)) + ").");
  }
  return std::move(d_);
}

Decision Decider::invalid_config(const CommandEvent& e) {
  react(e.comment_id, github::Reaction::minus_one);
  t().failure_what = "The repository configuration is invalid, so the task did not start";
  t().failure_why = e.config_error;
  t().stderr_tail.clear();
  act(SyncStatus{});
  return std::move(d_);
}

Decision Decider::plan(const CommandEvent& e) {
  std::string guidance = e.args;
  const bool solo_asked = take_solo_flag(guidance) || e.solo;
  switch (t().phase) {
    case Phase::idle:
    case Phase::cancelled:
      t().started_at = e.now;
      t().iteration = 0;
      t().notes.clear();
      t().question_rounds = 0;
      t().solo = solo_asked || t().solo_by_default;
      t().product_reason = t().solo ? "" : e.product_reason;
      if (t().solo) return begin_solo(e, guidance);
      begin_planning(e, guidance);
      return std::move(d_);
    case Phase::awaiting_approval:
    case Phase::awaiting_answers:
      if (solo_asked) return begin_solo(e, guidance);
      begin_planning(e, guidance);
      return std::move(d_);
    case Phase::blocked:
      if (t().approved_revision != 0 && t().resume_phase != Phase::planning)
        return refuse(e, "is not available: the plan was approved and work started; use `/retry`.");
      if (solo_asked) return begin_solo(e, guidance);
      begin_planning(e, guidance);
      return std::move(d_);
    case Phase::planning:
      return refuse(e, "is not needed: a plan is being written now.");
    case Phase::done:
      return refuse(e, "is not available: this task is done.");
    default:
      return refuse(e,
                    "is not available: the plan was approved and work is under way; `/cancel` "
                    "first to plan again.");
  }
}

Decision Decider::revise(const CommandEvent& e) {
  if (trim(e.args).empty())
    return refuse(e, "needs feedback: `/revise <what to change in the plan>`.");
  if (t().phase == Phase::awaiting_answers) {
    answer_questions(e.actor.login, e.args);  // the feedback answers them too
    begin_planning(e, trim(e.args));
    return std::move(d_);
  }
  if (t().phase == Phase::awaiting_approval ||
      (t().phase == Phase::blocked && t().approved_revision == 0 && t().plan_revision > 0)) {
    begin_planning(e, trim(e.args));
    return std::move(d_);
  }
  if (!t().product_reason.empty() && !t().solo &&
      (t().phase == Phase::implementing || t().phase == Phase::reviewing ||
       (t().phase == Phase::blocked && t().plan_revision > 0)))
    return revise_started_work(e);
  if (t().phase == Phase::planning) return refuse(e, "must wait: a plan is being written now.");
  if (t().plan_revision == 0) return refuse(e, "has no plan to revise: comment `/plan` first.");
  return refuse(e, "is only possible while the plan awaits approval.");
}

Decision Decider::approve(const CommandEvent& e) {
  if (t().phase == Phase::awaiting_answers)
    return refuse(e,
                  "is not possible while the plan's questions are open: answer them in a "
                  "comment here (or `/revise <answers>`); the next plan revision can be "
                  "approved.");
  if (t().phase != Phase::awaiting_approval) {
    if (t().plan_revision == 0 || t().phase == Phase::idle || t().phase == Phase::planning)
      return refuse(
          e,
          "has nothing to approve: no plan awaits approval" +
              std::string(t().phase == Phase::planning ? " yet (a plan is being written)." : "."));
    if (t().approved_revision != 0)
      return refuse(e, "is not needed: plan revision " + std::to_string(t().approved_revision) +
                           " was already approved.");
    return refuse(e, "is only possible while a plan awaits approval.");
  }
  const int current = t().plan_revision;
  const auto asked = github::parse_revision_argument(e.args);
  if (asked.kind == github::RevisionArgument::Kind::invalid) {
    const std::string n = std::to_string(current);
    return refuse(e, "takes nothing or the plan revision to approve: `/approve`, `/approve " + n +
                         "` or `/approve r" + n + "`.");
  }
  if (asked.kind == github::RevisionArgument::Kind::revision && asked.revision != current)
    return refuse(e, "names plan revision " + std::to_string(asked.revision) +
                         ", but the current plan is revision " + std::to_string(current) +
                         ": read it and approve that one.");
  if (e.written_at != 0 && e.written_at < t().plan_revised_at)
    return refuse(e, "was written before plan revision " + std::to_string(current) +
                         " was made: read the current plan and approve again.");
  accept(e);
  clear_failure();
  t().approved_revision = current;
  t().approved_by = e.actor.login;
  t().iteration = 1;
  t().notes.clear();
  start_turn(Phase::implementing, Role::implement);
  act(SyncPlanComment{});
  act(SyncStatus{});
  return std::move(d_);
}

Decision Decider::cancel(const CommandEvent& e) {
  if (t().phase == Phase::idle || t().phase == Phase::cancelled || t().phase == Phase::done)
    return refuse(e, "has nothing to cancel.");
  accept(e);
  stop_running();
  t().phase = Phase::cancelled;
  t().notes.push_back("Cancelled by @" + e.actor.login + ".");
  act(SyncStatus{});
  return std::move(d_);
}

Decision Decider::retry(const CommandEvent& e) {
  if (t().phase != Phase::blocked)
    return refuse(
        e, "only resumes a blocked task; this one is " + std::string(to_string(t().phase)) + ".");
  accept(e);
  if (t().block_cause == BlockCause::iteration_cap) {
    t().max_iterations += 1;  // one more round, granted by a person
    t().iteration += 1;       // resumes with implementing
    t().notes.push_back("@" + e.actor.login + " granted one more iteration (now " +
                        std::to_string(t().max_iterations) + ").");
  } else if (t().block_cause == BlockCause::ci_cap) {
    t().pull.max_ci_fixes += 1;  // one more fix turn, granted by a person
    t().pull.ci_fixes += 1;
    t().notes.push_back("@" + e.actor.login + " granted one more CI fix (now " +
                        std::to_string(t().pull.max_ci_fixes) + ").");
  } else if (t().block_cause == BlockCause::conflict_cap) {
    t().pull.max_conflict_fixes += 1;
    t().pull.conflict_fixes += 1;
    t().notes.push_back("@" + e.actor.login + " granted one more conflict resolution (now " +
                        std::to_string(t().pull.max_conflict_fixes) + ").");
  } else if (t().block_cause == BlockCause::cost_cap && t().max_cost_usd > 0) {
    t().max_cost_usd += t().max_cost_usd;
    t().notes.push_back("@" + e.actor.login + " raised the cost budget to " +
                        money(t().max_cost_usd) + ".");
  }
  const Phase resume = t().resume_phase;
  clear_failure();
  if (!trim(e.args).empty()) t().guidance = trim(e.args);
  switch (resume) {
    case Phase::planning:
      start_turn(Phase::planning, Role::plan);
      break;
    case Phase::reviewing:
      start_turn(Phase::reviewing, Role::review);
      break;
    case Phase::opening_pr:
      t().phase = Phase::opening_pr;
      act(OpenPullRequest{});
      break;
    case Phase::fixing:
      if (t().pull.fixing == FixKind::none) t().pull.fixing = FixKind::review;
      start_turn(Phase::fixing, Role::fix);
      break;
    case Phase::pr_open:
      t().phase = Phase::pr_open;
      if (!t().pull.pending.empty())
        start_review_fix();
      else
        back_to_pull();
      break;
    default:
      start_turn(Phase::implementing, t().solo ? Role::solo : Role::implement);
      break;
  }
  act(SyncStatus{});
  return std::move(d_);
}

Decision Decider::status(const CommandEvent& e) {
  accept(e);
  act(SyncStatus{});
  std::string line =
      "@" + e.actor.login + " this task is **" + std::string(to_string(t().phase)) + "**";
  if (t().iteration > 0 && t().phase != Phase::idle)
    line += ", iteration " + std::to_string(t().iteration) + " of " +
            std::to_string(t().max_iterations);
  if (t().plan_revision > 0) line += ", plan revision " + std::to_string(t().plan_revision);
  line += "; cost so far " + money(t().cost_usd) + ". The status comment has the details.";
  reply(line);
  return std::move(d_);
}

Decision Decider::help(const CommandEvent& e) {
  accept(e);
  std::string text =
      "Commands you can use now (the task is **" + std::string(to_string(t().phase)) + "**):\n";
  for (CommandName c : commands_in(t().phase)) {
    text += "- `" + command_text(c);
    switch (c) {
      case CommandName::plan:
        text +=
            " [guidance]` — write a plan (or a new one) for this issue; `/plan --solo` "
            "lets one agent plan, implement and check it without a plan gate";
        break;
      case CommandName::revise:
        text += " <feedback>` — a new plan revision from your feedback";
        if (t().phase == Phase::awaiting_answers)
          text += " (it answers the plan's questions too; so does any comment of yours here)";
        break;
      case CommandName::approve:
        text += "` — approve the current plan revision and start the work";
        break;
      case CommandName::cancel:
        text += "` — stop the task (and its running agent)";
        break;
      case CommandName::retry:
        text += " [note]` — resume where the task stopped";
        break;
      case CommandName::status:
        text += "` — where the task stands";
        break;
      case CommandName::help:
        text += "` — this list";
        break;
      case CommandName::fix:
        text += " <request>` — a change to the pull request, made by an agent and pushed";
        break;
    }
    text += "\n";
  }
  reply(text);
  return std::move(d_);
}

}  // namespace bottega::workflow::detail
