// The modes (spec/workflow.md, "Modes"): questions, solo, the product flow
// and the refinement pass.
#include "engine/report/task_document.h"
#include "engine/workflow/decider.h"

namespace bottega::workflow::detail {

// The refinement pass ended: its work was kept (the tests pass) or thrown
// away by the app; either way the reviewed work goes on to the PR.
Decision Decider::refined(const TurnFinished& e) {
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
bool Decider::take_solo_flag(std::string& args) {
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
Decision Decider::begin_solo(const CommandEvent& e, std::string guidance) {
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

Decision Decider::solo_finished(const TurnFinished& e) {
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
Decision Decider::asked_questions(const TurnFinished& e) {
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
void Decider::answer_questions(const std::string& login, const std::string& text) {
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
Decision Decider::start_without_approval() {
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
Decision Decider::revise_started_work(const CommandEvent& e) {
  stop_running();
  t().iteration = 0;
  begin_planning(e, trim(e.args));
  t().notes.push_back("@" + e.actor.login + " asked for a new plan; the work stopped.");
  return std::move(d_);
}

// Takes the plan part of the document an agent left (the request stays as
// the person wrote it); a document emptied of its to-do list is not taken.
void Decider::take_document(const TurnFinished& e) {
  if (report::count_todos(e.document).total == 0) {
    t().notes.push_back(
        "The " + std::string(to_string(e.role)) + " turn " + std::to_string(e.turn) +
        " left the task document without its to-do list; the previous one was kept.");
    return;
  }
  t().document = report::with_plan(t().document, report::plan_part(e.document));
}

Decision Decider::implemented(const TurnFinished& e) {
  take_document(e);
  if (over_budget()) return block_budget(Phase::reviewing);
  start_turn(Phase::reviewing, Role::review);
  act(SyncStatus{});
  return std::move(d_);
}

Decision Decider::reviewed(const TurnFinished& e) {
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

}  // namespace bottega::workflow::detail
