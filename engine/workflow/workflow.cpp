#include "engine/workflow/workflow.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

#include "engine/report/comments.h"
#include "engine/report/task_document.h"

namespace bottega::workflow {
namespace {

using github::CommandName;

constexpr std::array<std::pair<Phase, std::string_view>, 12> kPhases = {{
    {Phase::idle, "idle"},
    {Phase::planning, "planning"},
    {Phase::awaiting_approval, "awaiting_approval"},
    {Phase::awaiting_answers, "awaiting_answers"},
    {Phase::implementing, "implementing"},
    {Phase::reviewing, "reviewing"},
    {Phase::refining, "refining"},
    {Phase::opening_pr, "opening_pr"},
    {Phase::pr_open, "pr_open"},
    {Phase::blocked, "blocked"},
    {Phase::cancelled, "cancelled"},
    {Phase::done, "done"},
}};

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

// Builds one decision: the task as it becomes and what to do about it.
class Decider {
 public:
  explicit Decider(const Task& task) : d_{task, {}} {}

  Decision operator()(const CommandEvent& e) {
    if (e.actor.is_bot) return std::move(d_);
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
    }
    return std::move(d_);
  }

  Decision operator()(const MistypedCommand& e) {
    if (e.actor.is_bot) return std::move(d_);
    if (e.actor.permission < t().command_permission) return std::move(d_);
    react(e.comment_id, github::Reaction::confused);
    reply("`" + e.typed + "` is not a command. Did you mean `" + e.suggestion +
          "`? Comment `/help` for the commands you can use now.");
    return std::move(d_);
  }

  Decision operator()(const PlanEdited& e) {
    if (e.actor.is_bot) return std::move(d_);
    // A plan awaiting approval, or one whose revision's planning turn failed.
    const bool editable = t().phase == Phase::awaiting_approval ||
                          (t().phase == Phase::blocked && t().resume_phase == Phase::planning &&
                           t().plan_revision > 0 && t().approved_revision == 0);
    if (!e.plan || report::parse_plan_marker(*e.plan)) {
      // A marker was deleted: what is left is not a plan we can read back.
      t().notes.push_back(
          "An edit of the plan comment by @" + e.actor.login +
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

  Decision operator()(const TurnFinished& e) {
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
      return block(BlockCause::verdict,
                   "The " + std::string(to_string(e.role)) + " agent is blocked",
                   e.signal_reason.empty() ? "it gave no reason" : e.signal_reason);

    switch (e.role) {
      case Role::plan:
        return planned(e);
      case Role::implement:
        return implemented(e);
      case Role::review:
        return reviewed(e);
      case Role::solo:
        return solo_finished(e);
      case Role::refine:
        return refined(e);
    }
    return std::move(d_);
  }

  Decision operator()(const PullRequestOpened& e) {
    if (t().phase != Phase::opening_pr) return std::move(d_);
    t().phase = Phase::pr_open;
    t().pr_number = e.number;
    t().pr_url = e.url;
    if (!e.branch.empty()) t().branch = e.branch;
    clear_failure();
    act(SyncStatus{});
    return std::move(d_);
  }

  Decision operator()(const PullRequestFailed& e) {
    if (t().phase != Phase::opening_pr) return std::move(d_);
    return block(BlockCause::failure, "Opening the pull request failed", e.why);
  }

  Decision operator()(const PullRequestClosed& e) {
    if (t().phase != Phase::pr_open && t().phase != Phase::blocked) return std::move(d_);
    if (t().pr_number == 0) return std::move(d_);
    t().phase = e.merged ? Phase::done : Phase::cancelled;
    t().notes.push_back(e.merged ? "The pull request was merged."
                                 : "The pull request was closed without merging.");
    act(SyncStatus{});
    return std::move(d_);
  }

  Decision operator()(const IssueClosed&) {
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
  Decision operator()(const IssueGone& e) {
    if (t().phase == Phase::idle || t().phase == Phase::cancelled || t().phase == Phase::done ||
        t().phase == Phase::pr_open)  // the pull request lives on in this repository
      return std::move(d_);
    stop_running();
    t().phase = Phase::cancelled;
    t().notes.push_back(e.why);
    return std::move(d_);
  }

  Decision operator()(const AccessLost& e) {
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
  Decision operator()(const Answer& e) {
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

 private:
  Task& t() { return d_.task; }
  void act(Action a) { d_.actions.push_back(std::move(a)); }
  void react(int64_t comment_id, github::Reaction reaction) {
    if (comment_id != 0) act(React{comment_id, reaction});
  }
  void reply(std::string text) { act(Reply{std::move(text)}); }

  static std::string trim(std::string_view s) {
    auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) return "";
    auto e = s.find_last_not_of(" \t\r\n");
    return std::string(s.substr(b, e - b + 1));
  }

  // An accepted command: 👀 at once.
  void accept(const CommandEvent& e) { react(e.comment_id, github::Reaction::eyes); }

  // A command that does not apply now: 👎 and why (the sender is allowed,
  // so the reason helps them).
  Decision refuse(const CommandEvent& e, const std::string& why) {
    react(e.comment_id, github::Reaction::minus_one);
    reply("@" + e.actor.login + " `" + command_text(e.name) + "` " + why);
    return std::move(d_);
  }

  // Not allowed: 👎 every time, one reply per person per task.
  Decision refuse_permission(const CommandEvent& e, Permission needed) {
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

  Decision invalid_config(const CommandEvent& e) {
    react(e.comment_id, github::Reaction::minus_one);
    t().failure_what = "The repository configuration is invalid, so the task did not start";
    t().failure_why = e.config_error;
    t().stderr_tail.clear();
    act(SyncStatus{});
    return std::move(d_);
  }

  void clear_failure() {
    t().failure_what.clear();
    t().failure_why.clear();
    t().stderr_tail.clear();
    t().block_cause = BlockCause::none;
  }

  void start_turn(Phase phase, Role role) {
    t().phase = phase;
    t().turn += 1;
    t().turn_role = role;
    act(StartTurn{role, t().turn});
  }

  void stop_running() {
    if (t().phase == Phase::planning || t().phase == Phase::implementing ||
        t().phase == Phase::reviewing || t().phase == Phase::refining)
      act(CancelTurn{t().turn});
  }

  void new_revision(int64_t now) {
    t().plan_revision += 1;
    t().plan_revised_at = now;
    t().approved_revision = 0;
    t().approved_by.clear();
  }

  void begin_planning(const CommandEvent& e, std::string guidance) {
    accept(e);
    clear_failure();
    t().guidance = std::move(guidance);
    if (t().started_at == 0) t().started_at = e.now;
    start_turn(Phase::planning, Role::plan);
    act(SyncStatus{});
  }

  Decision plan(const CommandEvent& e) {
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
          return refuse(e,
                        "is not available: the plan was approved and work started; use `/retry`.");
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

  Decision revise(const CommandEvent& e) {
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

  Decision approve(const CommandEvent& e) {
    if (t().phase == Phase::awaiting_answers)
      return refuse(e,
                    "is not possible while the plan's questions are open: answer them in a "
                    "comment here (or `/revise <answers>`); the next plan revision can be "
                    "approved.");
    if (t().phase != Phase::awaiting_approval) {
      if (t().plan_revision == 0 || t().phase == Phase::idle || t().phase == Phase::planning)
        return refuse(
            e, "has nothing to approve: no plan awaits approval" +
                   std::string(t().phase == Phase::planning ? " yet (a plan is being written)."
                                                            : "."));
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

  Decision cancel(const CommandEvent& e) {
    if (t().phase == Phase::idle || t().phase == Phase::cancelled || t().phase == Phase::done)
      return refuse(e, "has nothing to cancel.");
    accept(e);
    stop_running();
    t().phase = Phase::cancelled;
    t().notes.push_back("Cancelled by @" + e.actor.login + ".");
    act(SyncStatus{});
    return std::move(d_);
  }

  Decision retry(const CommandEvent& e) {
    if (t().phase != Phase::blocked)
      return refuse(
          e, "only resumes a blocked task; this one is " + std::string(to_string(t().phase)) + ".");
    accept(e);
    if (t().block_cause == BlockCause::iteration_cap) {
      t().max_iterations += 1;  // one more round, granted by a person
      t().iteration += 1;       // resumes with implementing
      t().notes.push_back("@" + e.actor.login + " granted one more iteration (now " +
                          std::to_string(t().max_iterations) + ").");
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
      default:
        start_turn(Phase::implementing, t().solo ? Role::solo : Role::implement);
        break;
    }
    act(SyncStatus{});
    return std::move(d_);
  }

  Decision status(const CommandEvent& e) {
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

  Decision help(const CommandEvent& e) {
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
      }
      text += "\n";
    }
    reply(text);
    return std::move(d_);
  }

  // resume: where /retry picks up; idle = the phase that stopped.
  Decision block(BlockCause cause, std::string what, std::string why, std::string stderr_tail = "",
                 Phase resume = Phase::idle) {
    t().resume_phase = resume == Phase::idle ? t().phase : resume;
    t().phase = Phase::blocked;
    t().block_cause = cause;
    t().failure_what = std::move(what);
    t().failure_why = std::move(why);
    t().stderr_tail = std::move(stderr_tail);
    act(SyncStatus{});
    return std::move(d_);
  }

  Decision turn_failed(const TurnFinished& e) {
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

  bool over_budget() const {
    return d_.task.max_cost_usd > 0 && d_.task.cost_usd >= d_.task.max_cost_usd;
  }
  // The turn that spent the budget is done: /retry goes on with the next.
  Decision block_budget(Phase next) {
    return block(BlockCause::cost_cap, "The cost budget is spent",
                 "this task has cost " + money(t().cost_usd) + " of its " +
                     money(t().max_cost_usd) + " budget; `/retry` grants another budget's worth",
                 "", next);
  }

  Decision planned(const TurnFinished& e) {
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

  // --- the modes (spec/workflow.md, "Modes") -----------------------------------------

  // The refinement pass ended: its work was kept (the tests pass) or thrown
  // away by the app; either way the reviewed work goes on to the PR.
  Decision refined(const TurnFinished& e) {
    std::string why = e.refine_reverted;
    if (why.empty() && e.outcome != TurnOutcome::succeeded)
      why = "the refinement agent ended " + std::string(to_string(e.outcome)) +
            (e.message.empty() ? "" : ": " + e.message);
    if (why.empty() && e.signal == Signal::blocked)
      why = "the refinement agent signalled blocked" +
            (e.signal_reason.empty() ? std::string() : ": " + e.signal_reason);
    t().refine_reverted = !why.empty();
    if (!why.empty()) {
      t().notes.push_back("The refinement pass was reverted (" + why +
                          "); the reviewed code is kept.");
    } else {
      take_document(e);
      t().notes.push_back("The refinement pass changed the code; the repository's tests pass.");
    }
    t().phase = Phase::opening_pr;
    act(OpenPullRequest{});
    act(SyncStatus{});
    return std::move(d_);
  }

  // "--solo" as a word of /plan's arguments: taken out of the guidance.
  static bool take_solo_flag(std::string& args) {
    bool found = false;
    std::string out, word;
    auto flush = [&] {
      if (word == "--solo") {
        found = true;
      } else if (!word.empty()) {
        if (!out.empty() && out.back() != '\n') out += ' ';
        out += word;
      }
      word.clear();
    };
    for (char c : args) {
      if (c == ' ' || c == '\t' || c == '\n') {
        flush();
        if (c == '\n') out += '\n';
      } else {
        word += c;
      }
    }
    flush();
    if (found) args = trim(out);
    return found;
  }

  // Solo mode: one agent turn plans, implements and checks; no plan gate.
  Decision begin_solo(const CommandEvent& e, std::string guidance) {
    accept(e);
    clear_failure();
    t().solo = true;
    t().product_reason.clear();
    t().guidance = trim(guidance);
    if (t().started_at == 0) t().started_at = e.now;
    t().iteration = 1;
    start_turn(Phase::implementing, Role::solo);
    act(SyncStatus{});
    return std::move(d_);
  }

  Decision solo_finished(const TurnFinished& e) {
    if (!e.evidence.empty()) t().evidence = e.evidence;
    if (report::count_todos(e.document).total > 0)
      t().document = report::with_plan(t().document, report::plan_part(e.document));
    auto todos = report::count_todos(t().document);
    const bool ready = e.signal == Signal::ready && todos.total > 0 && todos.done == todos.total;
    if (e.signal == Signal::ready && !ready)
      t().notes.push_back(
          todos.total == 0
              ? "The solo agent signalled ready without a to-do list in the task document."
              : "The solo agent signalled ready with " + std::to_string(todos.total - todos.done) +
                    " to-do item(s) unchecked; it goes on.");
    if (ready) {
      t().phase = Phase::opening_pr;
      act(OpenPullRequest{});
      act(SyncStatus{});
      return std::move(d_);
    }
    if (t().iteration >= t().max_iterations)
      return block(BlockCause::iteration_cap, "The iteration cap was reached",
                   "the solo agent did not finish its to-do list in " +
                       std::to_string(t().iteration) + " of " + std::to_string(t().max_iterations) +
                       " turns; `/retry` grants one more, or `/cancel`",
                   "", Phase::implementing);
    t().iteration += 1;
    if (over_budget()) return block_budget(Phase::implementing);
    start_turn(Phase::implementing, Role::solo);
    act(SyncStatus{});
    return std::move(d_);
  }

  // The planner asked: the plan so far and its questions are posted as a
  // new revision, which cannot be approved until they are answered.
  Decision asked_questions(const TurnFinished& e) {
    if (trim(report::section(e.document, "Questions")).empty())
      return block(BlockCause::failure, "The plan agent asked questions without writing them",
                   "it signalled `questions`, but the task document has no Questions section "
                   "with the questions");
    if (t().question_rounds >= t().max_question_rounds)
      return block(BlockCause::failure, "The plan agent asked questions again",
                   "it asked " + std::to_string(t().question_rounds + 1) +
                       " rounds of questions; the limit is " +
                       std::to_string(t().max_question_rounds) +
                       " (limits.max_question_rounds). Answer with `/revise <answers>` or "
                       "`/plan <guidance>`");
    t().document = report::with_plan(t().document, report::plan_part(e.document));
    t().guidance.clear();
    t().question_rounds += 1;
    new_revision(e.now);
    t().phase = Phase::awaiting_answers;
    act(SyncPlanComment{});
    act(SyncStatus{});
    return std::move(d_);
  }

  // The answers go to the end of the task document, quoted (so nothing in
  // them becomes a heading or a to-do item), under an Answers section.
  void answer_questions(const std::string& login, const std::string& text) {
    std::string doc = t().document;
    while (!doc.empty() && (doc.back() == '\n' || doc.back() == ' ')) doc.pop_back();
    doc += "\n\n## Answers\n\nTo the questions of plan revision " +
           std::to_string(t().plan_revision) + ", from @" + login + ":\n\n";
    std::string body = trim(text);
    std::size_t start = 0;
    while (start <= body.size()) {
      auto end = body.find('\n', start);
      if (end == std::string::npos) end = body.size();
      std::string line = body.substr(start, end - start);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      doc += line.empty() ? ">\n" : "> " + line + "\n";
      start = end + 1;
    }
    t().document = std::move(doc);
  }

  // The product flow: the ready plan starts the work at once; the plan
  // comment says who would have approved it and that /cancel stops it.
  Decision start_without_approval() {
    clear_failure();
    t().approved_revision = t().plan_revision;
    t().approved_by.clear();
    t().iteration = 1;
    t().notes.clear();
    t().notes.push_back("Plan revision " + std::to_string(t().plan_revision) +
                        " started without approval: " + t().product_reason + ".");
    start_turn(Phase::implementing, Role::implement);
    act(SyncPlanComment{});
    act(SyncStatus{});
    return std::move(d_);
  }

  // /revise on a product-flow task whose work started: the work stops and
  // a new revision is planned (which starts again when ready).
  Decision revise_started_work(const CommandEvent& e) {
    stop_running();
    t().iteration = 0;
    begin_planning(e, trim(e.args));
    t().notes.push_back("@" + e.actor.login + " asked for a new plan; the work stopped.");
    return std::move(d_);
  }

  // Takes the plan part of the document an agent left (the request stays as
  // the person wrote it); a document emptied of its to-do list is not taken.
  void take_document(const TurnFinished& e) {
    if (report::count_todos(e.document).total == 0) {
      t().notes.push_back(
          "The " + std::string(to_string(e.role)) + " turn " + std::to_string(e.turn) +
          " left the task document without its to-do list; the previous one was kept.");
      return;
    }
    t().document = report::with_plan(t().document, report::plan_part(e.document));
  }

  Decision implemented(const TurnFinished& e) {
    take_document(e);
    if (over_budget()) return block_budget(Phase::reviewing);
    start_turn(Phase::reviewing, Role::review);
    act(SyncStatus{});
    return std::move(d_);
  }

  Decision reviewed(const TurnFinished& e) {
    take_document(e);
    if (!e.evidence.empty()) t().evidence = e.evidence;
    auto todos = report::count_todos(t().document);
    const bool ready = e.signal == Signal::ready && todos.done == todos.total;
    if (e.signal == Signal::ready && !ready)
      t().notes.push_back("The reviewer signalled ready with " +
                          std::to_string(todos.total - todos.done) +
                          " to-do item(s) unchecked; treated as needs-work.");
    if (ready && t().refine) {
      t().refine_reverted = false;
      start_turn(Phase::refining, Role::refine);
      act(SyncStatus{});
      return std::move(d_);
    }
    if (ready) {
      t().phase = Phase::opening_pr;
      act(OpenPullRequest{});
      act(SyncStatus{});
      return std::move(d_);
    }
    if (t().iteration >= t().max_iterations)
      return block(BlockCause::iteration_cap, "The iteration cap was reached",
                   "the reviewer still found work after " + std::to_string(t().iteration) + " of " +
                       std::to_string(t().max_iterations) +
                       " iterations; `/retry` grants one more, or `/cancel`",
                   "", Phase::implementing);
    t().iteration += 1;
    if (over_budget()) return block_budget(Phase::implementing);
    start_turn(Phase::implementing, Role::implement);
    act(SyncStatus{});
    return std::move(d_);
  }

  Decision d_;
};

}  // namespace

// A switch without a default: a phase added without a name does not compile.
std::string_view to_string(Phase phase) {
  switch (phase) {
    case Phase::idle:
      return "idle";
    case Phase::planning:
      return "planning";
    case Phase::awaiting_approval:
      return "awaiting_approval";
    case Phase::awaiting_answers:
      return "awaiting_answers";
    case Phase::implementing:
      return "implementing";
    case Phase::reviewing:
      return "reviewing";
    case Phase::refining:
      return "refining";
    case Phase::opening_pr:
      return "opening_pr";
    case Phase::pr_open:
      return "pr_open";
    case Phase::blocked:
      return "blocked";
    case Phase::cancelled:
      return "cancelled";
    case Phase::done:
      return "done";
  }
  return "idle";  // not reached: every enumerator returns above
}

std::string_view to_string(Signal signal) {
  switch (signal) {
    case Signal::none:
      return "";
    case Signal::plan_ready:
      return "plan-ready";
    case Signal::ready:
      return "ready";
    case Signal::needs_work:
      return "needs-work";
    case Signal::blocked:
      return "blocked";
    case Signal::questions:
      return "questions";
  }
  return "";  // not reached: every enumerator returns above
}

std::optional<Signal> parse_signal(std::string_view name) {
  for (Signal s :
       {Signal::plan_ready, Signal::ready, Signal::needs_work, Signal::blocked, Signal::questions})
    if (to_string(s) == name) return s;
  return std::nullopt;
}

std::optional<Phase> parse_phase(std::string_view name) {
  for (const auto& [p, n] : kPhases)
    if (n == name) return p;
  return std::nullopt;
}

std::string_view phase_label(Phase phase) {
  switch (phase) {
    case Phase::idle:
      return "";
    case Phase::planning:
      return "bottega:planning";
    case Phase::awaiting_approval:
      return "bottega:awaiting-approval";
    case Phase::awaiting_answers:
      return "bottega:needs-answers";
    case Phase::implementing:
    case Phase::reviewing:
    case Phase::refining:
    case Phase::opening_pr:
      return "bottega:working";
    case Phase::pr_open:
      return "bottega:pr-open";
    case Phase::blocked:
      return "bottega:blocked";
    case Phase::cancelled:
      return "bottega:cancelled";
    case Phase::done:
      return "bottega:done";
  }
  return "";
}

const std::vector<std::string_view>& all_phase_labels() {
  static const std::vector<std::string_view> labels = {
      "bottega:planning", "bottega:awaiting-approval", "bottega:working", "bottega:pr-open",
      "bottega:blocked",  "bottega:cancelled",         "bottega:done",    "bottega:needs-answers"};
  return labels;
}

std::string_view to_string(Role role) {
  switch (role) {
    case Role::plan:
      return "plan";
    case Role::implement:
      return "implement";
    case Role::review:
      return "review";
    case Role::solo:
      return "solo";
    case Role::refine:
      return "refine";
  }
  return "plan";
}

std::optional<Role> parse_role(std::string_view name) {
  for (Role r : {Role::plan, Role::implement, Role::review, Role::solo, Role::refine})
    if (to_string(r) == name) return r;
  return std::nullopt;
}

std::string_view to_string(TurnOutcome outcome) {
  switch (outcome) {
    case TurnOutcome::succeeded:
      return "succeeded";
    case TurnOutcome::agent_error:
      return "agent_error";
    case TurnOutcome::timed_out:
      return "timed_out";
    case TurnOutcome::cancelled:
      return "cancelled";
    case TurnOutcome::crashed:
      return "crashed";
    case TurnOutcome::setup_failed:
      return "setup_failed";
    case TurnOutcome::budget_reached:
      return "budget_reached";
    case TurnOutcome::refused:
      return "refused";
  }
  return "crashed";
}

bool is_running(Phase phase) {
  return phase == Phase::planning || phase == Phase::implementing || phase == Phase::reviewing ||
         phase == Phase::refining || phase == Phase::opening_pr;
}

std::vector<github::CommandName> commands_in(Phase phase) {
  using C = CommandName;
  switch (phase) {
    case Phase::idle:
      return {C::plan, C::status, C::help};
    case Phase::planning:
      return {C::cancel, C::status, C::help};
    case Phase::awaiting_approval:
      return {C::approve, C::revise, C::plan, C::cancel, C::status, C::help};
    case Phase::awaiting_answers:
      return {C::revise, C::plan, C::cancel, C::status, C::help};
    case Phase::implementing:
    case Phase::reviewing:
    case Phase::refining:
    case Phase::opening_pr:
    case Phase::pr_open:
      return {C::cancel, C::status, C::help};
    case Phase::blocked:
      return {C::retry, C::plan, C::revise, C::cancel, C::status, C::help};
    case Phase::cancelled:
      return {C::plan, C::status, C::help};
    case Phase::done:
      return {C::status, C::help};
  }
  return {C::help};
}

Decision decide(const Task& task, const Event& event) { return std::visit(Decider(task), event); }

}  // namespace bottega::workflow
