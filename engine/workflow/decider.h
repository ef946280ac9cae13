// The workflow's decider: builds one Decision from (task, event). Internal
// to engine/workflow: its members are defined by subject in workflow.cpp
// (events and turns), workflow_commands.cpp, workflow_modes.cpp (questions,
// solo, product, refining) and workflow_pull.cpp (the pull request side).
// Thread-safety: one Decider per decide() call.
#pragma once

#include <string>
#include <string_view>

#include "engine/workflow/workflow.h"

namespace bottega::workflow::detail {

using github::CommandName;

std::string command_text(CommandName name);
std::string money(double usd);

// Builds one decision: the task as it becomes and what to do about it.
class Decider {
 public:
  explicit Decider(const Task& task) : d_{task, {}} {}
  Decision operator()(const CommandEvent& e);
  Decision operator()(const MistypedCommand& e);
  Decision operator()(const PlanEdited& e);
  Decision operator()(const TurnFinished& e);
  Decision operator()(const PullRequestOpened& e);
  Decision operator()(const PullRequestFailed& e);
  Decision operator()(const PullRequestClosed& e);
  Decision operator()(const IssueClosed&);
  // Like a close, but the issue cannot be written to: the running turn
  // stops and the task ends without touching the issue (no status, no
  // labels).
  Decision operator()(const IssueGone& e);
  Decision operator()(const AccessLost& e);
  // A comment while the plan's questions are open answers them: the
  // planning turn runs again with the answers in the task document. Other
  // comments (a reader's, or any when no question is open) are discussion.
  Decision operator()(const Answer& e);
  Decision operator()(const PullRequestReopened&);
  // A review or a comment mentioning the App. Nothing from a bot nobody
  // trusted, nor from someone without the command permission, reaches an
  // agent; neither gets an answer (a review is no command).
  Decision operator()(const FeedbackArrived& e);
  Decision operator()(const ChecksCompleted& e);
  Decision operator()(const PullHeadMoved& e);
  Decision operator()(const MergeabilityKnown& e);
  Decision operator()(const BaseMoved& e);

 private:
  Task& t() { return d_.task; }
  void act(Action a) { d_.actions.push_back(std::move(a)); }
  void react(int64_t comment_id, github::Reaction reaction) {
    if (comment_id != 0) act(React{comment_id, reaction});
  }
  void reply(std::string text) { act(Reply{std::move(text), on_pull_}); }
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
  // --- commands (workflow_commands.cpp) ---
  Decision refuse(const CommandEvent& e, const std::string& why);
  // Not allowed: 👎 every time, one reply per person per task.
  Decision refuse_permission(const CommandEvent& e, Permission needed);
  Decision invalid_config(const CommandEvent& e);
  void clear_failure();
  void start_turn(Phase phase, Role role);
  void stop_running();
  void new_revision(int64_t now);
  void begin_planning(const CommandEvent& e, std::string guidance);
  Decision plan(const CommandEvent& e);
  Decision revise(const CommandEvent& e);
  Decision approve(const CommandEvent& e);
  Decision cancel(const CommandEvent& e);
  Decision retry(const CommandEvent& e);
  Decision status(const CommandEvent& e);
  Decision help(const CommandEvent& e);
  // resume: where /retry picks up; idle = the phase that stopped.
  Decision block(BlockCause cause, std::string what, std::string why, std::string stderr_tail = "",
                 Phase resume = Phase::idle);
  Decision turn_failed(const TurnFinished& e);
  bool over_budget() const {
    return d_.task.max_cost_usd > 0 && d_.task.cost_usd >= d_.task.max_cost_usd;
  }
  // The turn that spent the budget is done: /retry goes on with the next.
  Decision block_budget(Phase next);
  Decision planned(const TurnFinished& e);
  // --- the modes (workflow_modes.cpp) ---
  // The refinement pass ended: its work was kept (the tests pass) or thrown
  // away by the app; either way the reviewed work goes on to the PR.
  Decision refined(const TurnFinished& e);
  // "--solo" as a word of /plan's arguments: taken out of the guidance.
  static bool take_solo_flag(std::string& args);
  // Solo mode: one agent turn plans, implements and checks; no plan gate.
  Decision begin_solo(const CommandEvent& e, std::string guidance);
  Decision solo_finished(const TurnFinished& e);
  // The planner asked: the plan so far and its questions are posted as a
  // new revision, which cannot be approved until they are answered.
  Decision asked_questions(const TurnFinished& e);
  // The answers go to the end of the task document, quoted (so nothing in
  // them becomes a heading or a to-do item), under an Answers section.
  void answer_questions(const std::string& login, const std::string& text);
  // The product flow: the ready plan starts the work at once; the plan
  // comment says who would have approved it and that /cancel stops it.
  Decision start_without_approval();
  // /revise on a product-flow task whose work started: the work stops and
  // a new revision is planned (which starts again when ready).
  Decision revise_started_work(const CommandEvent& e);
  // --- turns (workflow.cpp) ---
  // Takes the plan part of the document an agent left (the request stays as
  // the person wrote it); a document emptied of its to-do list is not taken.
  void take_document(const TurnFinished& e);
  Decision implemented(const TurnFinished& e);
  Decision reviewed(const TurnFinished& e);
  // --- the pull request side (workflow_pull.cpp) ---
  // A task whose pull request is open and watched (blocked on its PR side
  // included: feedback gathered then waits for /retry).
  bool watching_pull() const {
    const Task& t = d_.task;
    if (t.pr_number == 0) return false;
    return t.phase == Phase::pr_open || t.phase == Phase::fixing ||
           (t.phase == Phase::blocked &&
            (t.resume_phase == Phase::fixing || t.resume_phase == Phase::pr_open));
  }
  Decision start_fix(FixKind kind);
  void start_review_fix();
  // Feedback is gathered: it starts a turn on an idle PR and waits for the
  // next turn otherwise (never two turns on one branch).
  Decision gather(const std::vector<Feedback>& items, const std::string& who);
  Decision fix(const CommandEvent& e);
  // A fix turn ended: reviewed first (shepherd.review_fixes) or done.
  Decision fixed(const TurnFinished& e);
  // The review of a fix ended: ready → pushed (by the runner) and done;
  // otherwise back to the fix agent with the findings, within the cap.
  Decision fix_reviewed(const TurnFinished& e);
  // The fix is pushed (or changed nothing): replies, then the next turn or idle.
  Decision fix_done(const TurnFinished& e);
  // The task is idle on its open PR again: an owed base update is queued.
  void back_to_pull();

  bool on_pull_ = false;  // the command was written on the pull request
  Decision d_;
};

}  // namespace bottega::workflow::detail
