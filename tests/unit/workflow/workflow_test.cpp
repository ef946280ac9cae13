// The workflow state machine: one test per transition and per refusal
// (spec/workflow.md has the table).
#include "engine/workflow/workflow.h"

#include <gtest/gtest.h>

#include "engine/report/task_document.h"

namespace bottega::workflow {
namespace {

using github::CommandName;

const std::string kPlan =
    "## Overview\nAdd a greeting.\n\n## Implementation plan\n- hello.txt\n\n## Testing strategy\n- "
    "cat it\n\n"
    "## To-do\n- [ ] create hello.txt\n- [ ] say hello\n\n## Review findings\n";
const std::string kDone =
    "## Overview\nAdd a greeting.\n\n## Implementation plan\n- hello.txt\n\n## Testing strategy\n- "
    "cat it\n\n"
    "## To-do\n- [x] create hello.txt\n- [x] say hello\n\n## Review findings\n";

Actor writer(std::string login = "wanda") { return {std::move(login), false, Permission::write}; }
Actor reader(std::string login = "rita") { return {std::move(login), false, Permission::read}; }
Actor bot() { return {"dependabot[bot]", true, Permission::write}; }

Task fresh() {
  Task t;
  t.id = 7;
  t.repo = "acme/widgets";
  t.issue = 12;
  t.title = "Greet people";
  t.document = report::make_task_document("Greet people", 12, "Please say hello.",
                                          "## Overview\n\n## To-do\n");
  t.branch = "bottega/12-greet-people";
  t.max_iterations = 3;
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

TurnFinished finished(const Task& t, std::string signal, std::string document = kDone,
                      TurnOutcome outcome = TurnOutcome::succeeded) {
  TurnFinished f;
  f.turn = t.turn;
  f.role = t.turn_role;
  f.outcome = outcome;
  f.signal = signal.empty() ? Signal::none : parse_signal(signal).value();
  f.document = report::with_plan(t.document, document);
  f.tokens_in = 100;
  f.tokens_out = 10;
  f.cost_usd = 0.5;
  f.now = 2000;
  return f;
}

template <class A>
int count(const Decision& d) {
  int n = 0;
  for (const auto& a : d.actions) n += std::holds_alternative<A>(a);
  return n;
}

template <class A>
const A* first(const Decision& d) {
  for (const auto& a : d.actions)
    if (auto* x = std::get_if<A>(&a)) return x;
  return nullptr;
}

std::string reactions(const Decision& d) {
  std::string out;
  for (const auto& a : d.actions)
    if (auto* r = std::get_if<React>(&a))
      out += std::string(r->reaction == github::Reaction::eyes        ? "eyes"
                         : r->reaction == github::Reaction::minus_one ? "-1"
                         : r->reaction == github::Reaction::confused  ? "confused"
                                                                      : "other") +
             ";";
  return out;
}

std::string replies(const Decision& d) {
  std::string out;
  for (const auto& a : d.actions)
    if (auto* r = std::get_if<Reply>(&a)) out += r->text + "\n";
  return out;
}

Task planning() { return decide(fresh(), command(CommandName::plan, writer(), "", 0)).task; }
Task awaiting() {
  auto t = planning();
  return decide(t, finished(t, "plan-ready", kPlan)).task;
}
Task implementing() {
  return decide(awaiting(), command(CommandName::approve, writer(), "", 101, 3000)).task;
}
Task reviewing() {
  auto t = implementing();
  return decide(t, finished(t, "ready")).task;
}
Task opening() {
  auto t = reviewing();
  return decide(t, finished(t, "ready")).task;
}
Task pr_open() {
  return decide(opening(), PullRequestOpened{41, "https://github.test/acme/widgets/pull/41", ""})
      .task;
}
Task blocked_implementing() {
  auto t = implementing();
  return decide(t, finished(t, "", kDone, TurnOutcome::crashed)).task;
}

// --- triggers -------------------------------------------------------------------------

TEST(Workflow, TriggerByWriterStartsPlanning) {
  auto d = decide(fresh(), command(CommandName::plan, writer(), "", 0, 500));
  EXPECT_EQ(d.task.phase, Phase::planning);
  EXPECT_EQ(d.task.turn, 1);
  EXPECT_EQ(d.task.started_at, 500);
  ASSERT_NE(first<StartTurn>(d), nullptr);
  EXPECT_EQ(first<StartTurn>(d)->role, Role::plan);
  EXPECT_EQ(first<StartTurn>(d)->turn, 1);
  EXPECT_EQ(count<SyncStatus>(d), 1);
  EXPECT_EQ(count<React>(d), 0);  // a label has no comment to react to
}

TEST(Workflow, PlanCommandCarriesGuidanceAndIsAcknowledged) {
  auto d = decide(fresh(), command(CommandName::plan, writer(), "keep it short"));
  EXPECT_EQ(d.task.phase, Phase::planning);
  EXPECT_EQ(d.task.guidance, "keep it short");
  EXPECT_EQ(reactions(d), "eyes;");
}

TEST(Workflow, RefusesTriggerFromReaderOnceWithReply) {
  auto d = decide(fresh(), command(CommandName::plan, reader()));
  EXPECT_EQ(d.task.phase, Phase::idle);
  EXPECT_EQ(count<StartTurn>(d), 0);
  EXPECT_EQ(reactions(d), "-1;");
  EXPECT_NE(replies(d).find("needs write permission"), std::string::npos) << replies(d);
  auto again = decide(d.task, command(CommandName::plan, reader()));
  EXPECT_EQ(reactions(again), "-1;");
  EXPECT_EQ(count<Reply>(again), 0);  // one reply per person per task
}

TEST(Workflow, IgnoresBotsEntirely) {
  for (auto name : {CommandName::plan, CommandName::approve, CommandName::help}) {
    auto d = decide(awaiting(), command(name, bot()));
    EXPECT_TRUE(d.actions.empty());
    EXPECT_EQ(d.task.phase, Phase::awaiting_approval);
  }
}

TEST(Workflow, InvalidConfigStartsNothingAndReportsIt) {
  auto e = command(CommandName::plan, writer(), "", 0);
  e.config_error = ".github/bottega.yml line 3: limits.max_iterations: expected a whole number";
  auto d = decide(fresh(), e);
  EXPECT_EQ(d.task.phase, Phase::idle);
  EXPECT_EQ(count<StartTurn>(d), 0);
  EXPECT_EQ(count<SyncStatus>(d), 1);
  EXPECT_NE(d.task.failure_why.find("limits.max_iterations"), std::string::npos);
}

// A trigger (label, assignment) is comment_id 0: it starts idle and
// cancelled tasks only, and is ignored silently everywhere else.
TEST(Workflow, TriggerOnATaskWithAPlanOrWorkUnderWayDoesNothing) {
  auto blocked_planning = [] {
    auto t = planning();
    return decide(t, finished(t, "", kPlan, TurnOutcome::crashed)).task;
  };
  auto blocked_plan_revision = [] {
    auto t = decide(awaiting(), command(CommandName::revise, writer(), "more")).task;
    return decide(t, finished(t, "", kPlan, TurnOutcome::crashed)).task;
  };
  auto done = [] { return decide(pr_open(), PullRequestClosed{true}).task; };
  struct PhaseCase {
    const char* what;
    Task task;
  };
  for (const PhaseCase& c :
       {PhaseCase{"planning", planning()}, PhaseCase{"awaiting_approval", awaiting()},
        PhaseCase{"implementing", implementing()}, PhaseCase{"reviewing", reviewing()},
        PhaseCase{"opening_pr", opening()}, PhaseCase{"pr_open", pr_open()},
        PhaseCase{"blocked in planning", blocked_planning()},
        PhaseCase{"blocked before approval", blocked_plan_revision()},
        PhaseCase{"blocked after approval", blocked_implementing()}, PhaseCase{"done", done()}}) {
    for (const Actor& actor : {writer(), reader()}) {
      auto trigger = command(CommandName::plan, actor, "", 0, 9000);
      auto d = decide(c.task, trigger);
      EXPECT_TRUE(d.actions.empty()) << c.what << " " << actor.login << ": " << replies(d);
      EXPECT_EQ(d.task.phase, c.task.phase) << c.what;
      EXPECT_EQ(d.task.turn, c.task.turn) << c.what;
      EXPECT_EQ(d.task.plan_revision, c.task.plan_revision) << c.what;
      trigger.config_error = "bad config";  // not reported on a task under way either
      EXPECT_TRUE(decide(c.task, trigger).actions.empty()) << c.what;
    }
  }
}

TEST(Workflow, TriggerStartsAnIdleOrCancelledTask) {
  auto cancelled = decide(awaiting(), command(CommandName::cancel)).task;
  for (const Task& t : {fresh(), cancelled}) {
    auto d = decide(t, command(CommandName::plan, writer(), "", 0, 9000));
    EXPECT_EQ(d.task.phase, Phase::planning);
    EXPECT_EQ(d.task.turn, t.turn + 1);
  }
}

TEST(Workflow, PlanCommentOnATaskUnderWayIsStillAnswered) {
  for (const Task& t : {planning(), implementing()}) {
    auto d = decide(t, command(CommandName::plan));
    EXPECT_EQ(reactions(d), "-1;");
    EXPECT_EQ(count<Reply>(d), 1);
  }
  auto d = decide(awaiting(), command(CommandName::plan));
  EXPECT_EQ(d.task.phase, Phase::planning);
}

TEST(Workflow, RefusesPlanWhilePlanning) {
  auto d = decide(planning(), command(CommandName::plan));
  EXPECT_EQ(d.task.phase, Phase::planning);
  EXPECT_EQ(d.task.turn, 1);
  EXPECT_EQ(reactions(d), "-1;");
  EXPECT_EQ(count<Reply>(d), 1);
}

TEST(Workflow, RefusesPlanWhileImplementing) {
  auto d = decide(implementing(), command(CommandName::plan));
  EXPECT_EQ(d.task.phase, Phase::implementing);
  EXPECT_EQ(reactions(d), "-1;");
}

TEST(Workflow, PlanAgainFromCancelledStartsOver) {
  auto cancelled = decide(awaiting(), command(CommandName::cancel)).task;
  auto d = decide(cancelled, command(CommandName::plan));
  EXPECT_EQ(d.task.phase, Phase::planning);
  EXPECT_EQ(count<StartTurn>(d), 1);
}

// --- planning ---------------------------------------------------------------------------

TEST(Workflow, PlanReadyPostsRevisionOneAndAwaitsApproval) {
  auto t = planning();
  auto d = decide(t, finished(t, "plan-ready", kPlan));
  EXPECT_EQ(d.task.phase, Phase::awaiting_approval);
  EXPECT_EQ(d.task.plan_revision, 1);
  EXPECT_EQ(d.task.plan_revised_at, 2000);
  EXPECT_EQ(count<SyncPlanComment>(d), 1);
  EXPECT_NE(d.task.document.find("create hello.txt"), std::string::npos);
  EXPECT_NE(d.task.document.find("> Please say hello."), std::string::npos);
  EXPECT_EQ(d.task.cost_usd, 0.5);
}

TEST(Workflow, PlanTurnCannotRewriteTheRequest) {
  auto t = planning();
  auto f = finished(t, "plan-ready", kPlan);
  f.document = "# Greet people (#12)\n\n## Request\n\n> Something else\n\n" + kPlan;
  auto d = decide(t, f);
  EXPECT_NE(d.task.document.find("> Please say hello."), std::string::npos);
  EXPECT_EQ(d.task.document.find("Something else"), std::string::npos);
}

TEST(Workflow, PlanWithoutSignalBlocks) {
  auto t = planning();
  auto d = decide(t, finished(t, "", kPlan));
  EXPECT_EQ(d.task.phase, Phase::blocked);
  EXPECT_EQ(d.task.resume_phase, Phase::planning);
  EXPECT_NE(d.task.failure_what.find("without signalling"), std::string::npos);
}

TEST(Workflow, PlanWithoutTodoItemsBlocks) {
  auto t = planning();
  auto d = decide(t, finished(t, "plan-ready", "## Overview\nnothing\n\n## To-do\n\n"));
  EXPECT_EQ(d.task.phase, Phase::blocked);
  EXPECT_NE(d.task.failure_what.find("no to-do"), std::string::npos);
}

TEST(Workflow, BlockedVerdictBlocksWithReason) {
  auto t = planning();
  auto f = finished(t, "blocked", kPlan);
  f.signal_reason = "the repository is empty";
  auto d = decide(t, f);
  EXPECT_EQ(d.task.phase, Phase::blocked);
  EXPECT_EQ(d.task.block_cause, BlockCause::verdict);
  EXPECT_EQ(d.task.failure_why, "the repository is empty");
}

TEST(Workflow, CrashedTurnBlocksWithStderr) {
  auto t = implementing();
  auto f = finished(t, "", kDone, TurnOutcome::crashed);
  f.message = "killed by signal 11";
  f.stderr_tail = "Segmentation fault";
  auto d = decide(t, f);
  EXPECT_EQ(d.task.phase, Phase::blocked);
  EXPECT_EQ(d.task.resume_phase, Phase::implementing);
  EXPECT_NE(d.task.failure_what.find("crashed"), std::string::npos);
  EXPECT_EQ(d.task.stderr_tail, "Segmentation fault");
}

TEST(Workflow, TimedOutTurnBlocks) {
  auto t = reviewing();
  auto d = decide(t, finished(t, "", kDone, TurnOutcome::timed_out));
  EXPECT_EQ(d.task.phase, Phase::blocked);
  EXPECT_EQ(d.task.resume_phase, Phase::reviewing);
  EXPECT_NE(d.task.failure_what.find("timed out"), std::string::npos);
}

TEST(Workflow, TurnThatCouldNotStartBlocks) {
  auto t = planning();
  auto d = decide(t, finished(t, "", kPlan, TurnOutcome::setup_failed));
  EXPECT_EQ(d.task.phase, Phase::blocked);
  EXPECT_NE(d.task.failure_what.find("could not start"), std::string::npos);
}

TEST(Workflow, BudgetReachedMidTurnBlocksOnTheCostCapAndRetryRunsTheSameTurn) {
  auto t = implementing();
  t.max_cost_usd = 0.4;
  auto f = finished(t, "", kDone, TurnOutcome::budget_reached);
  f.message = "the model gateway refused a request";
  auto blocked = decide(t, f).task;
  EXPECT_EQ(blocked.phase, Phase::blocked);
  EXPECT_EQ(blocked.block_cause, BlockCause::cost_cap);
  EXPECT_EQ(blocked.resume_phase, Phase::implementing);
  EXPECT_NE(blocked.failure_what.find("budget"), std::string::npos);
  EXPECT_NE(blocked.failure_why.find("gateway refused"), std::string::npos);
  auto d = decide(blocked, command(CommandName::retry));
  EXPECT_EQ(d.task.max_cost_usd, 0.8);
  EXPECT_EQ(d.task.phase, Phase::implementing);
  EXPECT_EQ(d.task.turn, blocked.turn + 1);
}

TEST(Workflow, RefusedWorkBlocksWithTheReason) {
  auto t = implementing();
  auto f = finished(t, "ready", kDone, TurnOutcome::refused);
  f.message = "`notes.txt` contains a secret the app holds (the turn's model token)";
  auto d = decide(t, f);
  EXPECT_EQ(d.task.phase, Phase::blocked);
  EXPECT_EQ(d.task.block_cause, BlockCause::failure);
  EXPECT_EQ(d.task.resume_phase, Phase::implementing);
  EXPECT_NE(d.task.failure_what.find("refused"), std::string::npos);
  EXPECT_NE(d.task.failure_why.find("notes.txt"), std::string::npos);
}

TEST(Workflow, IgnoresStaleTurnReports) {
  auto t = implementing();
  auto f = finished(t, "ready");
  f.turn = t.turn - 1;
  auto d = decide(t, f);
  EXPECT_TRUE(d.actions.empty());
  EXPECT_EQ(d.task.phase, Phase::implementing);
  EXPECT_EQ(d.task.cost_usd, t.cost_usd);
}

// --- approval ---------------------------------------------------------------------------

TEST(Workflow, ApproveByWriterStartsImplementation) {
  auto d = decide(awaiting(), command(CommandName::approve, writer(), "", 101, 3000));
  EXPECT_EQ(d.task.phase, Phase::implementing);
  EXPECT_EQ(d.task.approved_revision, 1);
  EXPECT_EQ(d.task.approved_by, "wanda");
  EXPECT_EQ(d.task.iteration, 1);
  EXPECT_EQ(reactions(d), "eyes;");
  ASSERT_NE(first<StartTurn>(d), nullptr);
  EXPECT_EQ(first<StartTurn>(d)->role, Role::implement);
}

TEST(Workflow, RefusesApproveFromReader) {
  auto d = decide(awaiting(), command(CommandName::approve, reader()));
  EXPECT_EQ(d.task.phase, Phase::awaiting_approval);
  EXPECT_EQ(count<StartTurn>(d), 0);
  EXPECT_EQ(reactions(d), "-1;");
}

TEST(Workflow, ApprovalMayNeedAHigherLevel) {
  auto t = awaiting();
  t.approve_permission = Permission::maintain;
  auto d = decide(t, command(CommandName::approve, writer()));
  EXPECT_EQ(d.task.phase, Phase::awaiting_approval);
  EXPECT_NE(replies(d).find("needs maintain permission"), std::string::npos);
  Actor maintainer{"mo", false, Permission::maintain};
  EXPECT_EQ(decide(t, command(CommandName::approve, maintainer, "", 5, 3000)).task.phase,
            Phase::implementing);
}

TEST(Workflow, RefusesApproveBeforeAnyPlan) {
  for (const Task& t : {fresh(), planning()}) {
    auto d = decide(t, command(CommandName::approve));
    EXPECT_EQ(d.task.phase, t.phase);
    EXPECT_EQ(count<StartTurn>(d), 0);
    EXPECT_EQ(reactions(d), "-1;");
    EXPECT_NE(replies(d).find("nothing to approve"), std::string::npos);
  }
}

TEST(Workflow, RefusesApproveNamingAStaleRevision) {
  auto t = awaiting();
  t.plan_revision = 2;
  auto d = decide(t, command(CommandName::approve, writer(), "1", 102, 5000));
  EXPECT_EQ(d.task.phase, Phase::awaiting_approval);
  EXPECT_NE(replies(d).find("current plan is revision 2"), std::string::npos);
  EXPECT_EQ(decide(t, command(CommandName::approve, writer(), "r2", 103, 5000)).task.phase,
            Phase::implementing);
}

// A revision with trailing words or punctuation is still that revision.
TEST(Workflow, ApproveNamingAStaleRevisionWithTrailingTextIsRefused) {
  auto t = awaiting();
  t.plan_revision = 2;
  for (const char* args : {"1 lgtm", "r1.", "1, thanks", "revision 1: ship it"}) {
    auto d = decide(t, command(CommandName::approve, writer(), args, 102, 5000));
    EXPECT_EQ(d.task.phase, Phase::awaiting_approval) << args;
    EXPECT_EQ(d.task.approved_revision, 0) << args;
    EXPECT_EQ(reactions(d), "-1;") << args;
    EXPECT_NE(replies(d).find("names plan revision 1, but the current plan is revision 2"),
              std::string::npos)
        << args << ": " << replies(d);
  }
  for (const char* args : {"2 lgtm", "r2.", "revision 2!"}) {
    auto d = decide(t, command(CommandName::approve, writer(), args, 103, 5000));
    EXPECT_EQ(d.task.phase, Phase::implementing) << args;
    EXPECT_EQ(d.task.approved_revision, 2) << args;
  }
}

// Replaces the old rule that words after /approve approved the current revision.
TEST(Workflow, ApproveWithAnArgumentThatIsNoRevisionIsRefusedWithTheFormsExpected) {
  auto t = awaiting();
  t.plan_revision = 2;
  for (const char* args : {"looks great", "lgtm", "#2", "v2"}) {
    auto d = decide(t, command(CommandName::approve, writer(), args, 105, 5000));
    EXPECT_EQ(d.task.phase, Phase::awaiting_approval) << args;
    EXPECT_EQ(d.task.approved_revision, 0) << args;
    EXPECT_EQ(count<StartTurn>(d), 0) << args;
    EXPECT_EQ(reactions(d), "-1;") << args;
    const std::string reply = replies(d);
    for (const char* form : {"`/approve`", "`/approve 2`", "`/approve r2`"})
      EXPECT_NE(reply.find(form), std::string::npos) << args << ": " << reply;
  }
}

TEST(Workflow, CostCapAfterReviewResumesWithTheNextImplementation) {
  auto t = reviewing();
  t.max_cost_usd = 0.4;
  auto blocked = decide(t, finished(t, "needs-work", kPlan)).task;
  EXPECT_EQ(blocked.phase, Phase::blocked);
  EXPECT_EQ(blocked.block_cause, BlockCause::cost_cap);
  auto d = decide(blocked, command(CommandName::retry));
  EXPECT_EQ(d.task.phase, Phase::implementing);
  EXPECT_EQ(d.task.iteration, 2);
}

TEST(Workflow, RefusesApproveWrittenBeforeTheCurrentRevision) {
  auto t = awaiting();  // revision made at 2000
  auto d = decide(t, command(CommandName::approve, writer(), "", 104, 1500));
  EXPECT_EQ(d.task.phase, Phase::awaiting_approval);
  EXPECT_NE(replies(d).find("written before"), std::string::npos);
}

TEST(Workflow, RefusesApproveTwice) {
  auto d = decide(implementing(), command(CommandName::approve));
  EXPECT_EQ(d.task.phase, Phase::implementing);
  EXPECT_NE(replies(d).find("already approved"), std::string::npos);
}

// --- revisions --------------------------------------------------------------------------

TEST(Workflow, ReviseStartsANewPlanningTurnWithFeedback) {
  auto d = decide(awaiting(), command(CommandName::revise, writer(), "also wave"));
  EXPECT_EQ(d.task.phase, Phase::planning);
  EXPECT_EQ(d.task.guidance, "also wave");
  EXPECT_EQ(first<StartTurn>(d)->role, Role::plan);
  auto t = d.task;
  auto next = decide(t, finished(t, "plan-ready", kPlan));
  EXPECT_EQ(next.task.plan_revision, 2);
  EXPECT_EQ(next.task.approved_revision, 0);
  EXPECT_TRUE(next.task.guidance.empty());
}

TEST(Workflow, RefusesReviseWithoutFeedback) {
  auto d = decide(awaiting(), command(CommandName::revise, writer(), "  "));
  EXPECT_EQ(d.task.phase, Phase::awaiting_approval);
  EXPECT_EQ(reactions(d), "-1;");
}

TEST(Workflow, RefusesReviseAfterApproval) {
  auto d = decide(implementing(), command(CommandName::revise, writer(), "change it"));
  EXPECT_EQ(d.task.phase, Phase::implementing);
  EXPECT_EQ(reactions(d), "-1;");
}

TEST(Workflow, AuthorizedPlanEditMakesANewRevisionNeedingApproval) {
  PlanEdited e{writer(), kPlan + "- [ ] one more thing\n", 4000};
  auto d = decide(awaiting(), e);
  EXPECT_EQ(d.task.plan_revision, 2);
  EXPECT_EQ(d.task.plan_revised_at, 4000);
  EXPECT_EQ(d.task.approved_revision, 0);
  EXPECT_NE(d.task.document.find("one more thing"), std::string::npos);
  EXPECT_EQ(count<SyncPlanComment>(d), 1);
  // An approval written before the edit is stale now.
  EXPECT_EQ(decide(d.task, command(CommandName::approve, writer(), "", 9, 3500)).task.phase,
            Phase::awaiting_approval);
}

TEST(Workflow, PlanEditWithSameTextIsNotARevision) {
  auto t = awaiting();
  auto d = decide(t, PlanEdited{writer(), report::plan_part(t.document), 4000});
  EXPECT_EQ(d.task.plan_revision, 1);
  EXPECT_TRUE(d.actions.empty());
}

TEST(Workflow, UnauthorizedPlanEditIsUndone) {
  auto d = decide(awaiting(), PlanEdited{reader(), "## To-do\n- [ ] delete everything\n", 4000});
  EXPECT_EQ(d.task.plan_revision, 1);
  EXPECT_EQ(d.task.document.find("delete everything"), std::string::npos);
  EXPECT_EQ(count<SyncPlanComment>(d), 1);  // re-rendered: the edit is put back
}

TEST(Workflow, PlanEditWhileARevisionIsBlockedMakesTheNextRevision) {
  auto t = awaiting();
  auto replanning = decide(t, command(CommandName::revise, writer(), "more")).task;
  auto blocked = decide(replanning, finished(replanning, "", kPlan, TurnOutcome::crashed)).task;
  ASSERT_EQ(blocked.phase, Phase::blocked);
  auto d = decide(blocked, PlanEdited{writer(), kPlan + "- [ ] by hand\n", 5000});
  EXPECT_EQ(d.task.phase, Phase::awaiting_approval);
  EXPECT_EQ(d.task.plan_revision, 2);
  EXPECT_TRUE(d.task.failure_what.empty()) << "no longer blocked: " << d.task.failure_what;
}

TEST(Workflow, PlanEditWithoutItsMarkersIsNotReadBackAndIsPutBack) {
  auto t = awaiting();
  const std::string before = t.document;
  // The whole edited comment, as a caller passes it when extract_plan found no
  // begin marker (old marker, header and footer included), or no plan at all.
  const std::string body =
      "<!-- bottega:plan task=7 revision=1 -->\n### Plan (revision 1)\n\n## To-do\n- [ ] mine\n\n"
      "<!-- bottega:plan-end -->\n\n---\n\n`/approve` to start the work";
  for (const PlanEdited& e :
       {PlanEdited{writer(), body, 4000}, PlanEdited{writer(), std::nullopt, 4000}}) {
    auto d = decide(t, e);
    EXPECT_EQ(d.task.plan_revision, 1);
    EXPECT_EQ(d.task.plan_revised_at, t.plan_revised_at);
    EXPECT_EQ(d.task.phase, Phase::awaiting_approval);
    EXPECT_EQ(d.task.document, before);
    EXPECT_EQ(count<SyncPlanComment>(d), 1);  // the plan comment is put back
    EXPECT_EQ(count<SyncStatus>(d), 1);
    ASSERT_FALSE(d.task.notes.empty());
    EXPECT_NE(d.task.notes.back().find("marker"), std::string::npos) << d.task.notes.back();
    // The current revision can still be approved.
    EXPECT_EQ(decide(d.task, command(CommandName::approve, writer(), "1", 9, 5000)).task.phase,
              Phase::implementing);
  }
}

TEST(Workflow, PlanEditAfterApprovalIsUndone) {
  auto d = decide(implementing(), PlanEdited{writer(), "## To-do\n- [ ] other\n", 4000});
  EXPECT_EQ(d.task.plan_revision, 1);
  EXPECT_EQ(d.task.phase, Phase::implementing);
  EXPECT_EQ(count<SyncPlanComment>(d), 1);
}

// --- implement ⇄ review -----------------------------------------------------------------

TEST(Workflow, ImplementationGoesToReview) {
  auto t = implementing();
  auto d = decide(t, finished(t, "ready"));
  EXPECT_EQ(d.task.phase, Phase::reviewing);
  EXPECT_EQ(first<StartTurn>(d)->role, Role::review);
  EXPECT_EQ(d.task.turn, t.turn + 1);
}

TEST(Workflow, ImplementationWithoutSignalGoesToReview) {
  auto t = implementing();
  EXPECT_EQ(decide(t, finished(t, "")).task.phase, Phase::reviewing);
}

TEST(Workflow, NeedsWorkStartsTheNextIteration) {
  auto t = reviewing();
  auto d = decide(t, finished(t, "needs-work", kPlan));
  EXPECT_EQ(d.task.phase, Phase::implementing);
  EXPECT_EQ(d.task.iteration, 2);
  EXPECT_EQ(first<StartTurn>(d)->role, Role::implement);
}

TEST(Workflow, ReviewWithoutVerdictIsNeedsWork) {
  auto t = reviewing();
  auto d = decide(t, finished(t, ""));
  EXPECT_EQ(d.task.phase, Phase::implementing);
  EXPECT_EQ(d.task.iteration, 2);
}

TEST(Workflow, ReadyWithUncheckedItemsIsNeedsWork) {
  auto t = reviewing();
  auto d = decide(t, finished(t, "ready", kPlan));
  EXPECT_EQ(d.task.phase, Phase::implementing);
  EXPECT_FALSE(d.task.notes.empty());
}

TEST(Workflow, ADocumentEmptiedByAnAgentIsNotTaken) {
  auto t = implementing();
  auto d = decide(t, finished(t, "ready", ""));
  EXPECT_EQ(d.task.document, t.document);
  EXPECT_FALSE(d.task.notes.empty());
  EXPECT_EQ(d.task.phase, Phase::reviewing);
}

TEST(Workflow, ReadyOpensThePullRequest) {
  auto t = reviewing();
  auto d = decide(t, finished(t, "ready"));
  EXPECT_EQ(d.task.phase, Phase::opening_pr);
  EXPECT_EQ(count<OpenPullRequest>(d), 1);
}

TEST(Workflow, ReviewChangesAreReportedAsDiscarded) {
  auto t = reviewing();
  auto f = finished(t, "needs-work", kPlan);
  f.discarded_files = {"src/main.c"};
  auto d = decide(t, f);
  ASSERT_FALSE(d.task.notes.empty());
  EXPECT_NE(d.task.notes.back().find("src/main.c"), std::string::npos);
}

TEST(Workflow, IterationCapBlocks) {
  auto t = reviewing();
  t.iteration = t.max_iterations;
  auto d = decide(t, finished(t, "needs-work", kPlan));
  EXPECT_EQ(d.task.phase, Phase::blocked);
  EXPECT_EQ(d.task.block_cause, BlockCause::iteration_cap);
  EXPECT_EQ(count<StartTurn>(d), 0);
}

TEST(Workflow, CostCapBlocks) {
  auto t = implementing();
  t.max_cost_usd = 0.4;
  auto d = decide(t, finished(t, "ready"));
  EXPECT_EQ(d.task.phase, Phase::blocked);
  EXPECT_EQ(d.task.block_cause, BlockCause::cost_cap);
}

// --- the pull request ---------------------------------------------------------------------

TEST(Workflow, PullRequestOpenedIsRecorded) {
  auto d = decide(opening(), PullRequestOpened{41, "https://github.test/acme/widgets/pull/41", ""});
  EXPECT_EQ(d.task.phase, Phase::pr_open);
  EXPECT_EQ(d.task.pr_number, 41);
  EXPECT_EQ(count<SyncStatus>(d), 1);
}

TEST(Workflow, PullRequestFailureBlocksAndRetryOpensAgain) {
  auto d = decide(opening(), PullRequestFailed{"422 No commits between main and the branch"});
  EXPECT_EQ(d.task.phase, Phase::blocked);
  EXPECT_EQ(d.task.resume_phase, Phase::opening_pr);
  auto r = decide(d.task, command(CommandName::retry));
  EXPECT_EQ(r.task.phase, Phase::opening_pr);
  EXPECT_EQ(count<OpenPullRequest>(r), 1);
}

TEST(Workflow, MergedPullRequestIsDone) {
  EXPECT_EQ(decide(pr_open(), PullRequestClosed{true}).task.phase, Phase::done);
}

TEST(Workflow, ClosedPullRequestCancels) {
  EXPECT_EQ(decide(pr_open(), PullRequestClosed{false}).task.phase, Phase::cancelled);
}

TEST(Workflow, RefusesCommandsThatDoNotApplyToAnOpenPullRequest) {
  for (auto name : {CommandName::approve, CommandName::retry, CommandName::plan}) {
    auto d = decide(pr_open(), command(name));
    EXPECT_EQ(d.task.phase, Phase::pr_open);
    EXPECT_EQ(reactions(d), "-1;");
  }
}

// --- cancel, retry, close -------------------------------------------------------------------

TEST(Workflow, CancelStopsTheRunningTurn) {
  auto t = implementing();
  auto d = decide(t, command(CommandName::cancel));
  EXPECT_EQ(d.task.phase, Phase::cancelled);
  ASSERT_NE(first<CancelTurn>(d), nullptr);
  EXPECT_EQ(first<CancelTurn>(d)->turn, t.turn);
  EXPECT_EQ(reactions(d), "eyes;");
  // The cancelled turn's report changes nothing.
  EXPECT_TRUE(decide(d.task, finished(t, "", kDone, TurnOutcome::cancelled)).actions.empty());
}

TEST(Workflow, CancelWhileWaitingNeedsNoTurnStopped) {
  auto d = decide(awaiting(), command(CommandName::cancel));
  EXPECT_EQ(d.task.phase, Phase::cancelled);
  EXPECT_EQ(count<CancelTurn>(d), 0);
}

TEST(Workflow, RefusesCancelWithNothingToCancel) {
  auto d = decide(fresh(), command(CommandName::cancel));
  EXPECT_EQ(d.task.phase, Phase::idle);
  EXPECT_EQ(reactions(d), "-1;");
}

TEST(Workflow, RefusesCancelFromReader) {
  auto d = decide(implementing(), command(CommandName::cancel, reader()));
  EXPECT_EQ(d.task.phase, Phase::implementing);
  EXPECT_EQ(count<CancelTurn>(d), 0);
}

TEST(Workflow, RetryResumesTheBlockedTurnWithANewNumber) {
  auto t = blocked_implementing();
  auto d = decide(t, command(CommandName::retry));
  EXPECT_EQ(d.task.phase, Phase::implementing);
  EXPECT_EQ(d.task.turn, t.turn + 1);
  EXPECT_EQ(first<StartTurn>(d)->role, Role::implement);
  EXPECT_TRUE(d.task.failure_what.empty());
}

TEST(Workflow, RetryAfterPlanningFailurePlansAgain) {
  auto t = planning();
  auto blocked = decide(t, finished(t, "", kPlan)).task;
  auto d = decide(blocked, command(CommandName::retry));
  EXPECT_EQ(d.task.phase, Phase::planning);
  EXPECT_EQ(first<StartTurn>(d)->role, Role::plan);
}

TEST(Workflow, RetryAfterIterationCapGrantsOneMore) {
  auto t = reviewing();
  t.iteration = t.max_iterations;
  auto blocked = decide(t, finished(t, "needs-work", kPlan)).task;
  auto d = decide(blocked, command(CommandName::retry));
  EXPECT_EQ(d.task.phase, Phase::implementing);
  EXPECT_EQ(d.task.max_iterations, t.max_iterations + 1);
  EXPECT_EQ(d.task.iteration, t.max_iterations + 1);
}

TEST(Workflow, RetryAfterCostCapRaisesTheBudget) {
  auto t = implementing();
  t.max_cost_usd = 0.4;
  auto blocked = decide(t, finished(t, "ready")).task;
  auto d = decide(blocked, command(CommandName::retry));
  EXPECT_EQ(d.task.max_cost_usd, 0.8);
  EXPECT_EQ(d.task.phase, Phase::reviewing);
}

TEST(Workflow, RefusesRetryWhenNotBlocked) {
  auto d = decide(implementing(), command(CommandName::retry));
  EXPECT_EQ(d.task.phase, Phase::implementing);
  EXPECT_EQ(reactions(d), "-1;");
}

TEST(Workflow, RefusesRetryFromReader) {
  auto d = decide(blocked_implementing(), command(CommandName::retry, reader()));
  EXPECT_EQ(d.task.phase, Phase::blocked);
}

TEST(Workflow, ClosingTheIssueCancelsTheTask) {
  auto t = implementing();
  auto d = decide(t, IssueClosed{});
  EXPECT_EQ(d.task.phase, Phase::cancelled);
  EXPECT_EQ(count<CancelTurn>(d), 1);
}

TEST(Workflow, AnIssueTransferredOrDeletedEndsTheTaskWithoutWritingToIt) {
  for (const Task& t :
       {planning(), awaiting(), implementing(), reviewing(), blocked_implementing()}) {
    auto d = decide(t, IssueGone{"The issue was deleted."});
    EXPECT_EQ(d.task.phase, Phase::cancelled) << to_string(t.phase);
    EXPECT_EQ(count<CancelTurn>(d), t.phase == Phase::planning || t.phase == Phase::implementing ||
                                            t.phase == Phase::reviewing
                                        ? 1
                                        : 0)
        << to_string(t.phase);
    EXPECT_EQ(d.actions.size(), static_cast<std::size_t>(count<CancelTurn>(d)))
        << "nothing is written to an issue that is gone (" << to_string(t.phase) << ")";
  }
  EXPECT_EQ(decide(pr_open(), IssueGone{"The issue was transferred."}).task.phase, Phase::pr_open);
  EXPECT_TRUE(decide(fresh(), IssueGone{"The issue was deleted."}).actions.empty());
}

TEST(Workflow, LosingTheRepositoryEndsEveryLiveTaskWithoutWritingToIt) {
  for (const Task& t :
       {planning(), awaiting(), implementing(), reviewing(), blocked_implementing(), pr_open()}) {
    auto d = decide(t, AccessLost{"The App was uninstalled."});
    EXPECT_EQ(d.task.phase, Phase::cancelled) << to_string(t.phase);
    EXPECT_EQ(d.task.notes.back(), "The App was uninstalled.");
    for (const auto& a : d.actions)
      EXPECT_TRUE(std::holds_alternative<CancelTurn>(a))
          << "nothing is written to a repository the App lost (" << to_string(t.phase) << ")";
  }
  EXPECT_EQ(count<CancelTurn>(decide(reviewing(), AccessLost{"suspended"})), 1);
  EXPECT_TRUE(decide(fresh(), AccessLost{"suspended"}).actions.empty());
  EXPECT_EQ(decide(fresh(), AccessLost{"suspended"}).task.phase, Phase::idle);
}

TEST(Workflow, ClosingTheIssueLeavesAnOpenPullRequestAlone) {
  EXPECT_EQ(decide(pr_open(), IssueClosed{}).task.phase, Phase::pr_open);
}

// --- the remaining transitions and refusals ------------------------------------------------

TEST(Workflow, PlanWhileAwaitingApprovalPlansAgainWithGuidance) {
  auto d = decide(awaiting(), command(CommandName::plan, writer(), "smaller steps"));
  EXPECT_EQ(d.task.phase, Phase::planning);
  EXPECT_EQ(d.task.guidance, "smaller steps");
  EXPECT_EQ(first<StartTurn>(d)->role, Role::plan);
}

TEST(Workflow, PlanOrReviseWhileBlockedBeforeApprovalPlansAgain) {
  auto t = planning();
  auto failed = decide(t, finished(t, "", kPlan, TurnOutcome::crashed)).task;  // no plan yet
  EXPECT_EQ(decide(failed, command(CommandName::plan)).task.phase, Phase::planning);
  auto revised = awaiting();
  revised.phase = Phase::blocked;  // e.g. a revision's planning turn failed
  revised.resume_phase = Phase::planning;
  auto d = decide(revised, command(CommandName::revise, writer(), "try again, simpler"));
  EXPECT_EQ(d.task.phase, Phase::planning);
  EXPECT_EQ(d.task.guidance, "try again, simpler");
}

TEST(Workflow, RefusesPlanWhenBlockedAfterApproval) {
  auto d = decide(blocked_implementing(), command(CommandName::plan));
  EXPECT_EQ(d.task.phase, Phase::blocked);
  EXPECT_NE(replies(d).find("/retry"), std::string::npos);
}

TEST(Workflow, RefusesPlanWhenDone) {
  auto done = decide(pr_open(), PullRequestClosed{true}).task;
  auto d = decide(done, command(CommandName::plan));
  EXPECT_EQ(d.task.phase, Phase::done);
  EXPECT_EQ(reactions(d), "-1;");
}

TEST(Workflow, RefusesReviseWithoutAPlan) {
  auto d = decide(fresh(), command(CommandName::revise, writer(), "change it"));
  EXPECT_EQ(d.task.phase, Phase::idle);
  EXPECT_NE(replies(d).find("no plan to revise"), std::string::npos);
}

TEST(Workflow, RefusesReviseWhilePlanning) {
  auto d = decide(planning(), command(CommandName::revise, writer(), "change it"));
  EXPECT_EQ(d.task.phase, Phase::planning);
  EXPECT_EQ(count<StartTurn>(d), 0);
  EXPECT_EQ(reactions(d), "-1;");
}

TEST(Workflow, RefusesApproveWhenBlockedAfterApproval) {
  auto d = decide(blocked_implementing(), command(CommandName::approve));
  EXPECT_EQ(d.task.phase, Phase::blocked);
  EXPECT_NE(replies(d).find("already approved"), std::string::npos);
}

TEST(Workflow, CancelWhileBlockedCancels) {
  auto d = decide(blocked_implementing(), command(CommandName::cancel));
  EXPECT_EQ(d.task.phase, Phase::cancelled);
  EXPECT_EQ(count<CancelTurn>(d), 0);  // nothing runs while blocked
}

TEST(Workflow, CancelWithAnOpenPullRequestStopsShepherding) {
  auto d = decide(pr_open(), command(CommandName::cancel));
  EXPECT_EQ(d.task.phase, Phase::cancelled);
  EXPECT_EQ(count<CancelTurn>(d), 0);
}

TEST(Workflow, RefusesCancelWhenDone) {
  auto done = decide(pr_open(), PullRequestClosed{true}).task;
  EXPECT_EQ(reactions(decide(done, command(CommandName::cancel))), "-1;");
}

TEST(Workflow, RetryNoteBecomesGuidance) {
  auto t = planning();
  auto blocked = decide(t, finished(t, "", kPlan)).task;
  auto d = decide(blocked, command(CommandName::retry, writer(), "the API is back"));
  EXPECT_EQ(d.task.guidance, "the API is back");
}

TEST(Workflow, IgnoresPullRequestEventsOutsideTheirPhases) {
  EXPECT_TRUE(decide(implementing(), PullRequestOpened{5, "u", ""}).actions.empty());
  EXPECT_TRUE(decide(implementing(), PullRequestFailed{"x"}).actions.empty());
  EXPECT_TRUE(decide(implementing(), PullRequestClosed{true}).actions.empty());
  EXPECT_EQ(decide(implementing(), PullRequestClosed{true}).task.phase, Phase::implementing);
}

TEST(Workflow, ClosingTheIssueOfAnIdleTaskChangesNothing) {
  EXPECT_TRUE(decide(fresh(), IssueClosed{}).actions.empty());
}

TEST(Workflow, IgnoresPlanEditsByBots) {
  auto d = decide(awaiting(), PlanEdited{bot(), "## To-do\n- [ ] other\n", 4000});
  EXPECT_TRUE(d.actions.empty());
  EXPECT_EQ(d.task.plan_revision, 1);
}

TEST(Workflow, ReviewReportIsIgnoredAfterCancel) {
  auto t = reviewing();
  auto cancelled = decide(t, command(CommandName::cancel)).task;
  auto d = decide(cancelled, finished(t, "ready"));
  EXPECT_TRUE(d.actions.empty());
  EXPECT_EQ(d.task.phase, Phase::cancelled);
}

// --- status, help, typos ----------------------------------------------------------------------

TEST(Workflow, StatusRepliesAndRefreshes) {
  auto d = decide(implementing(), command(CommandName::status, reader()));
  EXPECT_EQ(reactions(d), "eyes;");
  EXPECT_EQ(count<SyncStatus>(d), 1);
  EXPECT_NE(replies(d).find("implementing"), std::string::npos);
}

TEST(Workflow, HelpListsTheCommandsOfThePhase) {
  auto d = decide(awaiting(), command(CommandName::help, reader()));
  EXPECT_NE(replies(d).find("/approve"), std::string::npos);
  EXPECT_NE(replies(d).find("/revise"), std::string::npos);
  auto running = decide(implementing(), command(CommandName::help, reader()));
  EXPECT_EQ(replies(running).find("/approve"), std::string::npos);
  EXPECT_NE(replies(running).find("/cancel"), std::string::npos);
}

TEST(Workflow, RefusesHelpFromSomeoneWithoutAccess) {
  Actor stranger{"sam", false, Permission::none};
  auto d = decide(fresh(), command(CommandName::help, stranger));
  EXPECT_EQ(reactions(d), "-1;");
}

TEST(Workflow, MistypedCommandGetsTheClosestOne) {
  MistypedCommand m{writer(), "/aprove", "/approve", 77};
  auto d = decide(awaiting(), m);
  EXPECT_NE(replies(d).find("Did you mean `/approve`"), std::string::npos);
  EXPECT_EQ(d.task.phase, Phase::awaiting_approval);
}

TEST(Workflow, MistypedCommandFromStrangerIsIgnored) {
  MistypedCommand m{{"sam", false, Permission::none}, "/aprove", "/approve", 77};
  EXPECT_TRUE(decide(awaiting(), m).actions.empty());
}

TEST(Workflow, EveryPhaseHasALabelExceptIdle) {
  for (auto p :
       {Phase::planning, Phase::awaiting_approval, Phase::implementing, Phase::reviewing,
        Phase::opening_pr, Phase::pr_open, Phase::blocked, Phase::cancelled, Phase::done}) {
    EXPECT_EQ(phase_label(p).rfind("bottega:", 0), 0u) << to_string(p);
    EXPECT_EQ(parse_phase(to_string(p)), p);
  }
  EXPECT_TRUE(phase_label(Phase::idle).empty());
}

TEST(Signals, NamesReadBackAndNothingElseIsASignal) {
  for (Signal s : {Signal::plan_ready, Signal::ready, Signal::needs_work, Signal::blocked})
    EXPECT_EQ(parse_signal(to_string(s)), s);
  EXPECT_EQ(parse_signal(""), std::nullopt);
  EXPECT_EQ(parse_signal("Ready"), std::nullopt);
  EXPECT_EQ(parse_signal("needs_work"), std::nullopt);
}

}  // namespace
}  // namespace bottega::workflow
