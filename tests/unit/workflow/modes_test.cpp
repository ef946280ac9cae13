// The workflow's modes (spec/workflow.md, "Modes"): questions answered in
// the thread, solo mode and the product flow; one test per transition and
// per refusal.
#include <gtest/gtest.h>

#include <algorithm>

#include "engine/report/task_document.h"
#include "engine/workflow/workflow.h"

namespace bottega::workflow {
namespace {

using github::CommandName;

const std::string kPlan =
    "## Overview\nAdd a greeting.\n\n## Testing strategy\n- cat it\n\n"
    "## To-do\n- [ ] create hello.txt\n\n## Review findings\n";
const std::string kQuestions = kPlan +
                               "\n## Questions\n\n1. Hello or hi? Options: (a) hello, (b) hi. I "
                               "would pick (a).\n";
const std::string kDone =
    "## Overview\nAdd a greeting.\n\n## Testing strategy\n- cat it\n\n"
    "## To-do\n- [x] create hello.txt\n\n## Review findings\n";

Actor writer(std::string login = "wanda") { return {std::move(login), false, Permission::write}; }
Actor reader(std::string login = "rita") { return {std::move(login), false, Permission::read}; }

Task fresh() {
  Task t;
  t.id = 7;
  t.repo = "acme/widgets";
  t.issue = 12;
  t.title = "Greet people";
  t.document = report::make_task_document("Greet people", 12, "Please say hello.",
                                          "## Overview\n\n## To-do\n");
  t.branch = "bottega/12-greet-people";
  t.max_iterations = 2;
  return t;
}

CommandEvent command(CommandName name, Actor actor = writer(), std::string args = "",
                     int64_t comment_id = 100, int64_t now = 1000) {
  CommandEvent e;
  e.actor = std::move(actor);
  e.name = name;
  e.args = std::move(args);
  e.comment_id = comment_id;
  e.written_at = now;
  e.now = now;
  return e;
}

CommandEvent trigger() { return command(CommandName::plan, writer(), "", 0); }

TurnFinished finished(const Task& t, std::string signal, const std::string& plan,
                      int64_t now = 2000) {
  TurnFinished f;
  f.turn = t.turn;
  f.role = t.turn_role;
  f.signal = signal.empty() ? Signal::none : parse_signal(signal).value();
  f.document = report::with_plan(t.document, plan);
  f.cost_usd = 0.5;
  f.now = now;
  return f;
}

Answer answer(Actor actor, std::string text, int64_t comment_id = 300) {
  return Answer{std::move(actor), std::move(text), comment_id, 2500};
}

template <class A>
const A* first(const Decision& d) {
  for (const auto& a : d.actions)
    if (auto* x = std::get_if<A>(&a)) return x;
  return nullptr;
}
template <class A>
int count(const Decision& d) {
  int n = 0;
  for (const auto& a : d.actions) n += std::holds_alternative<A>(a);
  return n;
}
std::string replies(const Decision& d) {
  std::string out;
  for (const auto& a : d.actions)
    if (auto* r = std::get_if<Reply>(&a)) out += r->text + "\n";
  return out;
}

Task planning() { return decide(fresh(), trigger()).task; }
Task asking() {
  auto t = planning();
  return decide(t, finished(t, "questions", kQuestions)).task;
}

// --- clarifying questions -------------------------------------------------------------

TEST(Questions, APlanWithQuestionsIsPostedAndAwaitsAnswers) {
  auto t = planning();
  auto d = decide(t, finished(t, "questions", kQuestions));
  EXPECT_EQ(d.task.phase, Phase::awaiting_answers);
  EXPECT_EQ(d.task.plan_revision, 1);
  EXPECT_EQ(d.task.question_rounds, 1);
  EXPECT_NE(d.task.document.find("Hello or hi?"), std::string::npos);
  EXPECT_EQ(count<SyncPlanComment>(d), 1);
  EXPECT_EQ(count<SyncStatus>(d), 1);
  EXPECT_EQ(phase_label(d.task.phase), "bottega:needs-answers");
  EXPECT_FALSE(is_running(d.task.phase));
}

TEST(Questions, TheQuestionsSignalWithoutAQuestionsSectionBlocks) {
  auto t = planning();
  auto d = decide(t, finished(t, "questions", kPlan));
  EXPECT_EQ(d.task.phase, Phase::blocked);
  EXPECT_EQ(d.task.resume_phase, Phase::planning);
  EXPECT_NE(d.task.failure_why.find("Questions section"), std::string::npos);
}

TEST(Questions, ApproveIsRefusedWhileQuestionsAreOpen) {
  auto d = decide(asking(), command(CommandName::approve));
  EXPECT_EQ(d.task.phase, Phase::awaiting_answers);
  EXPECT_EQ(count<StartTurn>(d), 0);
  EXPECT_NE(replies(d).find("questions are open"), std::string::npos) << replies(d);
  ASSERT_NE(first<React>(d), nullptr);
  EXPECT_EQ(first<React>(d)->reaction, github::Reaction::minus_one);
}

TEST(Questions, AWritersCommentAnswersAndThePlanningTurnResumes) {
  auto t = asking();
  auto d = decide(t, answer(writer(), "1. (b) hi, please\n## To-do\n- [ ] sneaky"));
  EXPECT_EQ(d.task.phase, Phase::planning);
  EXPECT_EQ(d.task.turn, t.turn + 1);
  ASSERT_NE(first<StartTurn>(d), nullptr);
  EXPECT_EQ(first<StartTurn>(d)->role, Role::plan);
  ASSERT_NE(first<React>(d), nullptr);
  EXPECT_EQ(first<React>(d)->comment_id, 300);
  EXPECT_EQ(first<React>(d)->reaction, github::Reaction::eyes);
  const std::string answers = report::section(d.task.document, "Answers");
  EXPECT_NE(answers.find("from @wanda"), std::string::npos) << d.task.document;
  EXPECT_NE(answers.find("> 1. (b) hi, please"), std::string::npos) << d.task.document;
  // Quoted: nothing in an answer becomes a section or a to-do item.
  EXPECT_EQ(report::count_todos(d.task.document).total, 1) << d.task.document;
  EXPECT_NE(d.task.guidance.find("Answers section"), std::string::npos);
}

TEST(Questions, AReadersCommentAnswersNothing) {
  auto t = asking();
  auto d = decide(t, answer(reader(), "pick b"));
  EXPECT_EQ(d.task.phase, Phase::awaiting_answers);
  EXPECT_TRUE(d.actions.empty());
  EXPECT_EQ(d.task.document, t.document);
}

TEST(Questions, ACommentWhenNoQuestionIsOpenIsDiscussion) {
  auto t = planning();
  t = decide(t, finished(t, "plan-ready", kPlan)).task;
  auto d = decide(t, answer(writer(), "looks good"));
  EXPECT_EQ(d.task.phase, Phase::awaiting_approval);
  EXPECT_TRUE(d.actions.empty());
}

TEST(Questions, ABlankAnswerIsIgnored) {
  auto d = decide(asking(), answer(writer(), " \n "));
  EXPECT_EQ(d.task.phase, Phase::awaiting_answers);
  EXPECT_TRUE(d.actions.empty());
}

TEST(Questions, ReviseAnswersThemToo) {
  auto d = decide(asking(), command(CommandName::revise, writer(), "hi, not hello"));
  EXPECT_EQ(d.task.phase, Phase::planning);
  EXPECT_EQ(d.task.guidance, "hi, not hello");
  EXPECT_NE(report::section(d.task.document, "Answers").find("> hi, not hello"), std::string::npos);
}

TEST(Questions, TheRevisionAfterTheAnswersIsApproved) {
  auto t = decide(asking(), answer(writer(), "(a)")).task;
  t = decide(t, finished(t, "plan-ready", kPlan, 3000)).task;
  EXPECT_EQ(t.phase, Phase::awaiting_approval);
  EXPECT_EQ(t.plan_revision, 2);
  auto d = decide(t, command(CommandName::approve, writer(), "2", 101, 4000));
  EXPECT_EQ(d.task.phase, Phase::implementing);
  EXPECT_EQ(d.task.approved_revision, 2);
}

TEST(Questions, TheNextRevisionMayAskAgainUpToTheCap) {
  auto t = fresh();
  t.max_question_rounds = 2;
  t = decide(t, trigger()).task;
  t = decide(t, finished(t, "questions", kQuestions)).task;
  t = decide(t, answer(writer(), "(a)")).task;
  auto again = decide(t, finished(t, "questions", kQuestions, 3000));
  EXPECT_EQ(again.task.phase, Phase::awaiting_answers);
  EXPECT_EQ(again.task.plan_revision, 2);
  EXPECT_EQ(again.task.question_rounds, 2);
  t = decide(again.task, answer(writer(), "(b)")).task;
  auto over = decide(t, finished(t, "questions", kQuestions, 4000));
  EXPECT_EQ(over.task.phase, Phase::blocked);
  EXPECT_NE(over.task.failure_why.find("limits.max_question_rounds"), std::string::npos);
}

TEST(Questions, HelpInAwaitingAnswersOffersNoApprove) {
  auto commands = commands_in(Phase::awaiting_answers);
  EXPECT_EQ(std::count(commands.begin(), commands.end(), CommandName::approve), 0);
  EXPECT_EQ(std::count(commands.begin(), commands.end(), CommandName::revise), 1);
  auto help = replies(decide(asking(), command(CommandName::help)));
  EXPECT_EQ(help.find("/approve"), std::string::npos) << help;
  EXPECT_NE(help.find("answers the plan's questions too"), std::string::npos) << help;
  EXPECT_NE(help.find("/plan --solo"), std::string::npos) << help;
}

TEST(Questions, CancelWhileAwaitingAnswers) {
  auto d = decide(asking(), command(CommandName::cancel));
  EXPECT_EQ(d.task.phase, Phase::cancelled);
}

TEST(Questions, SignalParsesAndPrints) {
  EXPECT_EQ(parse_signal("questions"), Signal::questions);
  EXPECT_EQ(to_string(Signal::questions), "questions");
  EXPECT_EQ(parse_phase("awaiting_answers"), Phase::awaiting_answers);
}

// --- solo mode ------------------------------------------------------------------------

TEST(Solo, TheSoloLabelStartsOneAgentWithoutAPlanGate) {
  auto e = trigger();
  e.solo = true;
  auto d = decide(fresh(), e);
  EXPECT_TRUE(d.task.solo);
  EXPECT_EQ(d.task.phase, Phase::implementing);
  EXPECT_EQ(d.task.iteration, 1);
  EXPECT_EQ(d.task.plan_revision, 0);
  ASSERT_NE(first<StartTurn>(d), nullptr);
  EXPECT_EQ(first<StartTurn>(d)->role, Role::solo);
  EXPECT_EQ(to_string(Role::solo), "solo");
  EXPECT_EQ(parse_role("solo"), Role::solo);
}

TEST(Solo, PlanDashDashSoloStartsSoloWithTheRestAsGuidance) {
  auto d = decide(fresh(), command(CommandName::plan, writer(), "--solo keep it short"));
  EXPECT_TRUE(d.task.solo);
  EXPECT_EQ(d.task.guidance, "keep it short");
  ASSERT_NE(first<StartTurn>(d), nullptr);
  EXPECT_EQ(first<StartTurn>(d)->role, Role::solo);
}

TEST(Solo, TheRepositorysModeMakesEveryTaskSolo) {
  auto t = fresh();
  t.solo_by_default = true;
  auto d = decide(t, trigger());
  EXPECT_TRUE(d.task.solo);
  EXPECT_EQ(first<StartTurn>(d)->role, Role::solo);
}

TEST(Solo, SoloWinsOverTheProductFlow) {
  auto e = command(CommandName::plan, writer(), "--solo");
  e.product_reason = "@ana is a listed requester";
  auto d = decide(fresh(), e);
  EXPECT_TRUE(d.task.solo);
  EXPECT_TRUE(d.task.product_reason.empty());
}

Task solo_running() {
  auto e = trigger();
  e.solo = true;
  return decide(fresh(), e).task;
}

TEST(Solo, ReadyWithEveryItemCheckedOpensThePullRequest) {
  auto t = solo_running();
  auto d = decide(t, finished(t, "ready", kDone));
  EXPECT_EQ(d.task.phase, Phase::opening_pr);
  EXPECT_EQ(count<OpenPullRequest>(d), 1);
  EXPECT_EQ(report::count_todos(d.task.document).done, 1);
}

TEST(Solo, ReadyWithoutAToDoListRunsAnotherTurn) {
  auto t = solo_running();
  auto d = decide(t, finished(t, "ready", "## Overview\nDone.\n"));
  EXPECT_EQ(d.task.phase, Phase::implementing);
  EXPECT_EQ(d.task.iteration, 2);
  EXPECT_EQ(first<StartTurn>(d)->role, Role::solo);
  ASSERT_FALSE(d.task.notes.empty());
  EXPECT_NE(d.task.notes.back().find("without a to-do list"), std::string::npos);
}

TEST(Solo, TheIterationCapStillBlocksAndRetryResumesSolo) {
  auto t = solo_running();
  t = decide(t, finished(t, "needs-work", kPlan)).task;
  auto d = decide(t, finished(t, "needs-work", kPlan));
  EXPECT_EQ(d.task.phase, Phase::blocked);
  EXPECT_EQ(d.task.block_cause, BlockCause::iteration_cap);
  auto retried = decide(d.task, command(CommandName::retry));
  EXPECT_EQ(retried.task.phase, Phase::implementing);
  ASSERT_NE(first<StartTurn>(retried), nullptr);
  EXPECT_EQ(first<StartTurn>(retried)->role, Role::solo);
}

TEST(Solo, TheCostCapStillBlocks) {
  auto t = solo_running();
  t.max_cost_usd = 0.4;
  auto d = decide(t, finished(t, "needs-work", kPlan));
  EXPECT_EQ(d.task.phase, Phase::blocked);
  EXPECT_EQ(d.task.block_cause, BlockCause::cost_cap);
}

// --- the product flow -----------------------------------------------------------------

Task product_planning() {
  auto e = trigger();
  e.product_reason = "@ana is a listed requester (product.requesters)";
  return decide(fresh(), e).task;
}

TEST(Product, AReadyPlanStartsTheWorkWithoutApproval) {
  auto t = product_planning();
  EXPECT_EQ(t.phase, Phase::planning);
  auto d = decide(t, finished(t, "plan-ready", kPlan));
  EXPECT_EQ(d.task.phase, Phase::implementing);
  EXPECT_EQ(d.task.approved_revision, 1);
  EXPECT_TRUE(d.task.approved_by.empty());
  ASSERT_NE(first<StartTurn>(d), nullptr);
  EXPECT_EQ(first<StartTurn>(d)->role, Role::implement);
  EXPECT_EQ(count<SyncPlanComment>(d), 1);
  ASSERT_FALSE(d.task.notes.empty());
  EXPECT_NE(d.task.notes.back().find("without approval"), std::string::npos);
}

TEST(Product, WithoutAReasonThePlanWaitsForApproval) {
  auto t = planning();
  auto d = decide(t, finished(t, "plan-ready", kPlan));
  EXPECT_EQ(d.task.phase, Phase::awaiting_approval);
}

TEST(Product, QuestionsStillWaitForAnswers) {
  auto t = product_planning();
  auto d = decide(t, finished(t, "questions", kQuestions));
  EXPECT_EQ(d.task.phase, Phase::awaiting_answers);
}

TEST(Product, ReviseDuringTheWorkStopsItAndPlansAgain) {
  auto t = product_planning();
  t = decide(t, finished(t, "plan-ready", kPlan)).task;
  auto d = decide(t, command(CommandName::revise, writer(), "use hi"));
  EXPECT_EQ(d.task.phase, Phase::planning);
  EXPECT_EQ(d.task.guidance, "use hi");
  ASSERT_NE(first<CancelTurn>(d), nullptr);
  EXPECT_EQ(first<CancelTurn>(d)->turn, t.turn);
  ASSERT_NE(first<StartTurn>(d), nullptr);
  EXPECT_EQ(first<StartTurn>(d)->role, Role::plan);
  // The new revision starts the work again when it is ready.
  auto again = decide(d.task, finished(d.task, "plan-ready", kPlan, 5000));
  EXPECT_EQ(again.task.phase, Phase::implementing);
  EXPECT_EQ(again.task.approved_revision, 2);
}

TEST(Product, ReviseDuringApprovedWorkIsStillRefusedOutsideTheProductFlow) {
  auto t = planning();
  t = decide(t, finished(t, "plan-ready", kPlan)).task;
  t = decide(t, command(CommandName::approve, writer(), "", 101, 3000)).task;
  auto d = decide(t, command(CommandName::revise, writer(), "use hi"));
  EXPECT_EQ(d.task.phase, Phase::implementing);
  EXPECT_EQ(count<StartTurn>(d), 0);
}

TEST(Product, ACancelledTaskStartsAgainInTheFlowItsIssueTakesNow) {
  auto t = decide(product_planning(), command(CommandName::cancel)).task;
  auto d = decide(t, trigger());
  EXPECT_TRUE(d.task.product_reason.empty());
}

// --- the refinement pass ---------------------------------------------------------------

Task refining() {
  auto t = fresh();
  t.refine = true;
  t = decide(t, trigger()).task;
  t = decide(t, finished(t, "plan-ready", kPlan)).task;
  t = decide(t, command(CommandName::approve, writer(), "", 101, 3000)).task;
  t = decide(t, finished(t, "ready", kDone)).task;     // implemented
  return decide(t, finished(t, "ready", kDone)).task;  // reviewed: ready
}

TEST(Refine, AReadyReviewRunsTheRefinementPassFirst) {
  auto t = refining();
  EXPECT_EQ(t.phase, Phase::refining);
  EXPECT_EQ(t.turn_role, Role::refine);
  EXPECT_EQ(phase_label(t.phase), "bottega:working");
  EXPECT_TRUE(is_running(t.phase));
  EXPECT_EQ(parse_role("refine"), Role::refine);
}

TEST(Refine, WithoutRolesRefineTheReadyReviewOpensThePullRequest) {
  auto t = planning();
  t = decide(t, finished(t, "plan-ready", kPlan)).task;
  t = decide(t, command(CommandName::approve, writer(), "", 101, 3000)).task;
  t = decide(t, finished(t, "ready", kDone)).task;
  EXPECT_EQ(decide(t, finished(t, "ready", kDone)).task.phase, Phase::opening_pr);
}

TEST(Refine, KeptWorkGoesToThePullRequestWithItsRecord) {
  auto t = refining();
  auto d = decide(t, finished(t, "ready", kDone + "\n## Refinement\nSimplified a.c.\n"));
  EXPECT_EQ(d.task.phase, Phase::opening_pr);
  EXPECT_EQ(count<OpenPullRequest>(d), 1);
  EXPECT_EQ(report::section(d.task.document, "Refinement"), "Simplified a.c.");
  EXPECT_FALSE(d.task.refine_reverted);
  EXPECT_NE(d.task.notes.back().find("tests pass"), std::string::npos);
}

TEST(Refine, RevertedWorkKeepsTheReviewedDocumentAndSaysWhy) {
  auto t = refining();
  auto f = finished(t, "ready", kDone + "\n## Refinement\nSimplified a.c.\n");
  f.refine_reverted = "the repository's tests failed after it: 1 failed";
  auto d = decide(t, f);
  EXPECT_EQ(d.task.phase, Phase::opening_pr);
  EXPECT_EQ(report::section(d.task.document, "Refinement"), "");
  EXPECT_NE(d.task.notes.back().find("was reverted (the repository's tests failed"),
            std::string::npos);
}

TEST(Refine, AFailedRefinementTurnNeverBlocksTheReviewedWork) {
  auto t = refining();
  auto f = finished(t, "", kDone);
  f.outcome = TurnOutcome::crashed;
  f.message = "exit 2";
  auto d = decide(t, f);
  EXPECT_EQ(d.task.phase, Phase::opening_pr);
  EXPECT_NE(d.task.notes.back().find("ended crashed: exit 2"), std::string::npos);
  EXPECT_TRUE(d.task.refine_reverted) << "its leftovers are not committed with the PR";
  auto blocked = decide(t, finished(t, "blocked", kDone));
  EXPECT_EQ(blocked.task.phase, Phase::opening_pr);
}

TEST(Refine, CancelStopsTheRefinementTurn) {
  auto t = refining();
  auto d = decide(t, command(CommandName::cancel));
  EXPECT_EQ(d.task.phase, Phase::cancelled);
  ASSERT_NE(first<CancelTurn>(d), nullptr);
}

}  // namespace
}  // namespace bottega::workflow
