// The acceptance scenarios of the workflow, from issue to pull request,
// through the real binary, the fake GitHub, the fake agent CLI, PostgreSQL
// and git (issue 6, "Acceptance"). What each test takes the app to do on
// GitHub is said where the test waits for it; the fixture is in
// workflow_fixture.h.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <set>

#include "tests/e2e/workflow_steps.h"

namespace bottega::testing {
namespace {

// Acceptance 1. Assumes: the plan comment's first line is the marker
// `<!-- bottega:plan task=<id> revision=1 -->` and its body carries the to-do
// list of the task document; /approve gets 👀; turns run as plan,
// implement (iteration 1), review (1), implement (2), review (2); the second
// implementation's files are what lands, on top of the first's; accepted
// commands get no reply comment.
TEST_F(Workflow, LabelPlanApproveNeedsWorkThenReadyOpensAPullRequest) {
  ASSERT_NO_FATAL_FAILURE(start_bottega());
  int issue = open_issue("Add a greeting file", "Please add hello.txt that says hello.");
  const std::string n = std::to_string(issue);
  write_scenario(n + "/implement-1",
                 implement_turn({{"hello.txt", "hullo"}, {"first.txt", "from iteration one"}}));
  write_scenario(n + "/review-1", review_needs_work("hello.txt says hullo, not hello"));
  // git works in the sandboxed worktree (its metadata lives in the shared clone).
  write_scenario(
      n + "/implement-2",
      with_prefix({"tool git status --porcelain >/dev/null && git log -1 --format=%an && "
                   "echo GIT_$((40+2))_OK"},
                  implement_turn({{"hello.txt", "hello"}})));

  ASSERT_NO_FATAL_FAILURE(trigger_and_wait_for_plan(issue));
  auto plan = plan_comment(issue);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->user, kAppBot);
  EXPECT_EQ(first_line(plan->body).rfind("<!-- bottega:plan task=", 0), 0u) << plan->body;
  EXPECT_NE(first_line(plan->body).find(" revision=1 -->"), std::string::npos) << plan->body;
  EXPECT_NE(plan->body.find("create hello.txt"), std::string::npos) << "the plan's to-do list:\n"
                                                                    << plan->body;
  EXPECT_NE(plan->body.find("/approve"), std::string::npos) << "says how to approve:\n"
                                                            << plan->body;
  EXPECT_TRUE(ever_labeled(issue, "bottega:planning"));

  ASSERT_NO_FATAL_FAILURE(approve(issue));
  ASSERT_NO_FATAL_FAILURE(expect_pull_request(
      issue, {{"hello.txt", "hello\n"}, {"first.txt", "from iteration one\n"}}));

  EXPECT_TRUE(ever_labeled(issue, "bottega:working"));
  EXPECT_EQ(roles_in_order(),
            (std::vector<std::string>{"plan", "implement", "review", "implement", "review"}));
  for (const auto& run : agent_runs()) EXPECT_EQ(run.status, "succeeded") << "run " << run.id;
  EXPECT_TRUE(app_replies(issue).empty()) << "only the plan and status comments, no other";
  EXPECT_EQ(count("SELECT count(*) FROM agent_events WHERE kind = 'tool_result'"
                  " AND data::text LIKE '%GIT_42_OK%'"),
            1)
      << "git status and git log ran inside the sandbox";
  expect_no_label_added_twice(issue);
  // The review finding reached the second implementation through the task
  // document; the plan comment stays the approved plan.
  EXPECT_EQ(marked_comments(issue, kPlanMarker).size(), 1u);
}

// The REST quota (5,000 an hour per installation) bounds how many tasks an
// organization runs. A repository's first task, label to pull request,
// spends three charged reads: where main is (asked again conditionally:
// 304, free), the listing of .github (which shows no Bottega file, so none
// is asked for) and the approver's permission; the pull request and its
// bottega check are made without asking first. The whole count by route:
// tests/bench/bench_task_requests.
TEST_F(Workflow, ATaskSpendsThreeChargedReads) {
  ASSERT_NO_FATAL_FAILURE(start_bottega());
  int issue = open_issue("Add a greeting file", "Please add hello.txt that says hello.");
  ASSERT_NO_FATAL_FAILURE(trigger_and_wait_for_plan(issue));
  ASSERT_NO_FATAL_FAILURE(approve(issue));
  ASSERT_TRUE(wait_until([&] { return !pulls_for(issue).empty(); }, "the pull request"));
  ASSERT_TRUE(settle());
  int reads = 0;
  std::string listed;
  for (const auto& r : github().requests())
    if (r.method == "GET" && r.route.rfind("/repos/", 0) == 0 && r.status != 304) {
      ++reads;
      listed += "\n  " + r.route + " " + std::to_string(r.status);
    }
  EXPECT_LE(reads, 3) << listed;
  EXPECT_GE(reads, 2) << "the count sees the reads" << listed;
}

// Acceptance 2. Assumes: a refused command gets 👎 and, the first time per
// person per task, one reply naming the permission needed ("write") or the
// reason (the stale revision); a second refusal of the same person gets
// only the 👎; a bot's comment gets nothing; a writer's edit of the plan
// comment makes revision 2 (re-rendered with the new marker); `/approve 1`
// then is stale; `/approve` on an issue with no plan is refused.
// A command comment delivered twice under two delivery ids (a second hook
// on the repository, a proxy that retries) is applied once: one 👀, no 👎,
// no contradictory reply.
TEST_F(Workflow, ACommandDeliveredUnderASecondDeliveryIdIsAppliedOnce) {
  ASSERT_NO_FATAL_FAILURE(start_bottega());
  int issue = open_issue("Add a greeting file", "Please add hello.txt that says hello.");
  write_scenario(std::to_string(issue) + "/implement",
                 with_prefix({"sleep 3000"}, implement_turn()));
  ASSERT_NO_FATAL_FAILURE(trigger_and_wait_for_plan(issue));
  int64_t approval = comment(issue, kWriter, "/approve");
  ASSERT_TRUE(wait_for_reaction(approval, "eyes"));
  int64_t hook = 0;
  for (const auto& w : github().webhooks())
    if (w.event == "issue_comment" &&
        w.body.find("\"id\":" + std::to_string(approval)) != std::string::npos)
      hook = w.delivery_id;
  ASSERT_NE(hook, 0) << "the comment's webhook";
  ASSERT_NE(github().send_again_as_another_hook(hook), 0);
  ASSERT_NO_FATAL_FAILURE(expect_pull_request(issue));
  ASSERT_TRUE(settle());
  EXPECT_EQ(app_reactions(approval), std::vector<std::string>{"eyes"});
  EXPECT_TRUE(app_replies(issue).empty()) << app_replies(issue)[0].body;
  EXPECT_EQ(count("SELECT count(*) FROM task_deliveries WHERE delivery_id = 'comment:" +
                  std::to_string(approval) + "'"),
            1);
}

TEST_F(Workflow, ApproveIsRefusedFromAReaderABotAStaleRevisionAndBeforeAnyPlan) {
  ASSERT_NO_FATAL_FAILURE(start_bottega());
  int issue = open_issue("Add a greeting file", "Please add hello.txt that says hello.");
  ASSERT_NO_FATAL_FAILURE(trigger_and_wait_for_plan(issue));

  // A reader: refused, told once which permission it takes.
  int64_t reader_first = refused(issue, kReader, "/approve");
  ASSERT_TRUE(
      wait_until([&] { return app_replies(issue).size() == 1; }, "one reply to the reader"));
  EXPECT_TRUE(contains_ci(app_replies(issue)[0].body, "write")) << app_replies(issue)[0].body;
  int64_t reader_again = refused(issue, kReader, "/approve");

  // A bot: ignored altogether.
  int64_t from_bot = comment(issue, "dependabot[bot]", "/approve");

  // A stale revision: a writer edits the plan comment (revision 2), then
  // approves revision 1.
  auto plan = plan_comment(issue);
  ASSERT_TRUE(plan);
  std::string edited = plan->body;
  auto at = edited.find("create hello.txt");
  ASSERT_NE(at, std::string::npos) << edited;
  edited.replace(at, 16, "create hello.txt and goodbye.txt");
  ASSERT_TRUE(edit_comment(plan->id, kWriter, edited));
  ASSERT_TRUE(wait_for_plan(issue, 2));
  EXPECT_NE(plan_comment(issue)->body.find("goodbye.txt"), std::string::npos)
      << "the edit is the new plan";
  EXPECT_EQ(plan_comment(issue)->id, plan->id) << "the plan comment is edited in place";
  int64_t stale = refused(issue, kWriter, "/approve 1");
  ASSERT_TRUE(
      wait_until([&] { return app_replies(issue).size() == 2; }, "a reply to the stale approval"));
  EXPECT_TRUE(contains_ci(app_replies(issue)[1].body, "revision")) << app_replies(issue)[1].body;

  // Before any plan exists.
  int fresh = open_issue("Something else", "Not planned yet.");
  int64_t early = refused(fresh, kWriter, "/approve");

  ASSERT_TRUE(settle());
  EXPECT_EQ(app_reactions(reader_first), std::vector<std::string>{"-1"});
  EXPECT_EQ(app_reactions(reader_again), std::vector<std::string>{"-1"});
  EXPECT_TRUE(app_reactions(from_bot).empty());
  EXPECT_EQ(app_reactions(stale), std::vector<std::string>{"-1"});
  EXPECT_EQ(app_reactions(early), std::vector<std::string>{"-1"});
  EXPECT_EQ(app_replies(issue).size(), 2u) << "no second reply to the reader, none to the bot";
  EXPECT_LE(app_replies(fresh).size(), 1u);

  // Nothing started.
  EXPECT_EQ(phase_labels(issue), std::vector<std::string>{"bottega:awaiting-approval"});
  EXPECT_FALSE(ever_labeled(issue, "bottega:working"));
  EXPECT_TRUE(phase_labels(fresh).empty());
  EXPECT_FALSE(plan_comment(fresh));
  EXPECT_EQ(roles_in_order(), std::vector<std::string>{"plan"})
      << "one planning turn, nothing else";
  for (const auto& run : agent_runs()) EXPECT_NE(run.issue, fresh);
  EXPECT_TRUE(branches("bottega/").empty());
  EXPECT_TRUE(github().pulls(kOwner, kRepo).empty());
  EXPECT_EQ(plan_revision(issue), 2);
}

// Acceptance 3. Assumes: /revise gets 👀 and runs a new planning turn (the
// task's turn 2) whose plan replaces the comment's text under revision 2;
// the task awaits approval again; `/approve 1` is stale; `/approve` starts
// the work on the revised plan.
TEST_F(Workflow, ReviseMakesANewRevisionThatNeedsItsOwnApproval) {
  ASSERT_NO_FATAL_FAILURE(start_bottega());
  int issue = open_issue("Add a greeting file", "Please add hello.txt that says hello.");
  const std::string n = std::to_string(issue);
  write_scenario(n + "/turn-2", plan_turn({"create hello.txt", "create goodbye.txt"},
                                          "Add a greeting and a farewell file."));
  write_scenario(n + "/implement-1",
                 implement_turn({{"hello.txt", "hello"}, {"goodbye.txt", "goodbye"}}));
  ASSERT_NO_FATAL_FAILURE(trigger_and_wait_for_plan(issue));
  int64_t first_plan = plan_comment(issue)->id;

  int64_t revise =
      comment(issue, kWriter, "/revise Please also add goodbye.txt that says goodbye.");
  ASSERT_TRUE(wait_for_reaction(revise, "eyes"));
  ASSERT_TRUE(wait_for_plan(issue, 2));
  EXPECT_EQ(plan_comment(issue)->id, first_plan) << "one plan comment, edited in place";
  EXPECT_EQ(marked_comments(issue, kPlanMarker).size(), 1u);
  EXPECT_NE(plan_comment(issue)->body.find("create goodbye.txt"), std::string::npos)
      << plan_comment(issue)->body;

  refused(issue, kWriter, "/approve 1");
  ASSERT_TRUE(settle());
  EXPECT_EQ(roles_in_order(), (std::vector<std::string>{"plan", "plan"}))
      << "the stale approval started nothing";
  EXPECT_FALSE(ever_labeled(issue, "bottega:working"));

  ASSERT_NO_FATAL_FAILURE(approve(issue));
  ASSERT_NO_FATAL_FAILURE(
      expect_pull_request(issue, {{"hello.txt", "hello\n"}, {"goodbye.txt", "goodbye\n"}},
                          {"create hello.txt", "create goodbye.txt"}));
}

// NUL bytes (valid JSON, refused by PostgreSQL's text) in an issue's title
// and body and in a /revise are taken, not dead-lettered: the task plans,
// the revision is acknowledged and made.
TEST_F(Workflow, NulBytesInTheIssueAndInACommandLoseNothing) {
  ASSERT_NO_FATAL_FAILURE(start_bottega());
  using namespace std::string_literals;
  int issue = open_issue("Add a\0 greeting file"s, "Please add\0 hello.txt that says hello."s);
  ASSERT_NO_FATAL_FAILURE(trigger_and_wait_for_plan(issue));
  int64_t revise = comment(issue, kWriter, "/revise Also\0 add goodbye.txt."s);
  ASSERT_TRUE(wait_for_reaction(revise, "eyes"));
  ASSERT_TRUE(wait_for_plan(issue, 2));
  ASSERT_TRUE(settle());
  EXPECT_EQ(count("SELECT count(*) FROM jobs WHERE state = 'dead'"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM tasks WHERE state->>'document' LIKE "
                  "'%Please add\xEF\xBF\xBD hello.txt%'"),
            1)
      << "the request is kept, the NUL as U+FFFD";
}

// An issue deleted while its agent works: the agent is stopped, the task
// ends cancelled, and nothing more is written to the issue (it is gone).
TEST_F(Workflow, AnIssueDeletedDuringATurnStopsTheAgentAndIsNotWrittenTo) {
  ASSERT_NO_FATAL_FAILURE(start_bottega());
  int issue = open_issue("Add a greeting file", "Please add hello.txt that says hello.");
  ASSERT_NO_FATAL_FAILURE(approve_and_wait_for_a_long_implementation(issue));
  ASSERT_TRUE(wait_until(
      [&] {
        auto status = status_comment(issue);
        return status && contains_ci(status->body, "implementing");
      },
      "the status comment showing the work"));
  const std::size_t before = github().requests().size();
  github().delete_issue(kOwner, kRepo, issue, kWriter);
  ASSERT_TRUE(wait_until(
      [&] {
        return count("SELECT count(*) FROM tasks WHERE phase = 'cancelled'") == 1 &&
               agent_runs()[1].ended_at >= 0;
      },
      "the task cancelled and its agent stopped"));
  ASSERT_TRUE(settle());
  EXPECT_EQ(agent_runs()[1].status, "cancelled");
  auto requests = github().requests();
  for (std::size_t i = before; i < requests.size(); ++i)
    EXPECT_EQ(requests[i].method, "GET")
        << requests[i].method << " " << requests[i].path << ": a write after the issue was deleted";
}

// Acceptance 4, a crash. Assumes: the plan is turn 1 and the first
// implementation turn 2 (which dies of SIGSEGV); the task is blocked with a
// status comment saying the agent crashed; /retry gets 👀 and runs a new
// implementation turn (3), which succeeds.
TEST_F(Workflow, CrashedTurnBlocksTheTaskAndRetryContinues) {
  expect_failed_turn_then_retry(2, {"text starting on it", "stderr about to fall over", "crash"},
                                "crash", "implement", "crashed");
}

// Acceptance 4, a hang. Assumes: agents.timeout_minutes and
// agents.idle_timeout_minutes take decimals (0.05 = 3 s); the first review
// (turn 3) never ends and is stopped; the status comment says it timed
// out; /retry runs the review again (turn 4), which says ready.
TEST_F(Workflow, TurnPastItsTimeLimitBlocksTheTaskAndRetryContinues) {
  set_config("agents.timeout_minutes", "0.05");
  set_config("agents.idle_timeout_minutes", "0.05");
  expect_failed_turn_then_retry(3, {"text looking at it", "hang"}, "timed out", "review",
                                "timed_out");
}

// Acceptance 4, no signal. Assumes: a planning turn that ends (successfully)
// without `bottega signal` blocks the task, the status comment naming the
// missing signal; /retry runs planning again (turn 2), and the task goes on
// to approval and a pull request.
TEST_F(Workflow, PlanningTurnWithoutASignalBlocksTheTaskAndRetryContinues) {
  ASSERT_NO_FATAL_FAILURE(start_bottega());
  int issue = open_issue("Add a greeting file", "Please add hello.txt that says hello.");
  const std::string n = std::to_string(issue);
  write_scenario(n + "/turn-1", {"text I looked around and forgot to say so", "result ok done"});
  label_issue(issue);
  ASSERT_TRUE(wait_for_blocked(issue, "signal"));

  int64_t retry = comment(issue, kWriter, "/retry");
  ASSERT_TRUE(wait_for_reaction(retry, "eyes"));
  ASSERT_TRUE(wait_until(
      [&] {
        return plan_revision(issue) >= 1 &&
               phase_labels(issue) == std::vector<std::string>{"bottega:awaiting-approval"};
      },
      "a plan awaiting approval after /retry"));
  ASSERT_NO_FATAL_FAILURE(approve(issue));
  ASSERT_NO_FATAL_FAILURE(expect_pull_request(issue));
  EXPECT_EQ(roles_in_order(), (std::vector<std::string>{"plan", "plan", "implement", "review"}));
}

// Acceptance 5. Assumes: agent turns are queue jobs with a lease (5 s here),
// so a turn whose server died runs again after a restart; the app finds its
// plan and status comments again by their markers, its branch and pull by
// the branch name. GitHub ends with one plan comment, one status comment,
// one pull, and no label added twice.
TEST_F(Workflow, ServerKilledDuringImplementationResumesWithoutDuplicates) {
  ASSERT_NO_FATAL_FAILURE(start_bottega());
  int issue = open_issue("Add a greeting file", "Please add hello.txt that says hello.");
  const std::string n = std::to_string(issue);
  // Slow enough to be caught running; the turn run again after the restart
  // takes as long, then succeeds.
  write_scenario(n + "/implement-1", with_prefix({"sleep 5000"}, implement_turn()));
  ASSERT_NO_FATAL_FAILURE(trigger_and_wait_for_plan(issue));
  ASSERT_NO_FATAL_FAILURE(approve(issue));
  ASSERT_TRUE(wait_until(
      [&] { return count("SELECT count(*) FROM agent_runs WHERE status = 'running'") > 0; },
      "the implementation turn to be running"));

  ASSERT_NO_FATAL_FAILURE(restart_bottega());
  ASSERT_NO_FATAL_FAILURE(expect_pull_request(issue));
  EXPECT_EQ(github().pulls(kOwner, kRepo).size(), 1u);
  EXPECT_EQ(branches("bottega/" + n + "-").size(), 1u);
  EXPECT_TRUE(app_replies(issue).empty()) << "no comment but the plan and the status";
  expect_no_label_added_twice(issue);
}

// Several worker hosts: a task's turns run where its worktree is. When that
// host vanishes (killed, its disk gone) mid-turn, another host takes the
// turn once the first has missed two leases, rebuilds the worktree from the
// pushed task branch and carries on: the PR has both iterations' files.
TEST_F(Workflow, AnotherHostTakesOverTheTurnOfAHostThatVanished) {
  set_config("queue.lease_seconds", "1");
  set_config("queue.host", "alpha");
  set_config("data_dir", tree() + "/alpha");
  ASSERT_NO_FATAL_FAILURE(start_bottega());
  int issue = open_issue("Add two files");
  const std::string n = std::to_string(issue);
  write_scenario(n + "/implement-1", implement_turn({{"first.txt", "one"}}));
  write_scenario(n + "/review-1", review_needs_work("second.txt is missing"));
  write_scenario(n + "/implement-2",
                 with_prefix({"sleep 600000"}, implement_turn({{"second.txt", "two"}})));
  ASSERT_NO_FATAL_FAILURE(trigger_and_wait_for_plan(issue));
  ASSERT_NO_FATAL_FAILURE(approve(issue));
  ASSERT_TRUE(wait_until(
      [&] {
        return count("SELECT count(*) FROM agent_runs WHERE role = 'implement'") == 2 &&
               count("SELECT count(*) FROM agent_runs WHERE status = 'running'") == 1;
      },
      "the second implementation turn to be running on alpha"));
  EXPECT_EQ(count("SELECT count(*) FROM tasks WHERE worktree_host = 'alpha'"), 1);

  kill_bottega();
  std::filesystem::remove_all(tree() + "/alpha");
  write_scenario(n + "/implement-2", implement_turn({{"second.txt", "two"}}));
  set_config("queue.host", "beta");
  set_config("data_dir", tree() + "/beta");
  ASSERT_NO_FATAL_FAILURE(start_bottega());
  ASSERT_NO_FATAL_FAILURE(
      expect_pull_request(issue, {{"first.txt", "one\n"}, {"second.txt", "two\n"}}));
  EXPECT_EQ(count("SELECT count(*) FROM tasks WHERE worktree_host = 'beta'"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM agent_runs WHERE role = 'implement'"), 3)
      << "the interrupted turn ran again";
  EXPECT_EQ(github().pulls(kOwner, kRepo).size(), 1u);
}

// Acceptance 6. Assumes: agents.max_running caps agent processes across the
// server (queued turns wait, none is lost); agent_runs records every turn's
// start and end. Each turn sleeps a little so that runs overlap.
TEST_F(Workflow, TenIssuesAtOnceReachPullRequestsWithAtMostThreeAgentsRunning) {
  set_config("agents.max_running", "3");
  write_scenario("plan", with_prefix({"sleep 400"}, plan_turn()));
  write_scenario("implement", with_prefix({"sleep 400"}, implement_turn()));
  write_scenario("review", with_prefix({"sleep 400"}, review_ready()));
  ASSERT_NO_FATAL_FAILURE(start_bottega());
  std::vector<int> issues;
  for (int i = 0; i < 10; ++i)
    issues.push_back(open_issue("Greeting number " + std::to_string(i + 1)));
  for (int issue : issues) label_issue(issue);
  for (int issue : issues) ASSERT_TRUE(wait_for_plan(issue, 1, kVeryLong));
  for (int issue : issues) ASSERT_NO_FATAL_FAILURE(approve(issue));
  for (int issue : issues) ASSERT_NO_FATAL_FAILURE(expect_pull_request(issue));

  EXPECT_EQ(github().pulls(kOwner, kRepo).size(), 10u);
  auto runs = agent_runs();
  EXPECT_GE(runs.size(), 30u);
  int overlap = max_overlap(runs);
  EXPECT_LE(overlap, 3) << describe_state();
  EXPECT_GT(overlap, 1) << "the runs never overlapped: nothing ran in parallel";
}

// Beyond the six: the other triggers. Assigning the issue to the App's bot
// and `/plan <guidance>` by a writer start a task (the /plan comment gets
// 👀); the trigger label added by a reader starts nothing.
TEST_F(Workflow, AssigningTheBotOrPlanFromAWriterStartsATaskButALabelFromAReaderDoesNot) {
  ASSERT_NO_FATAL_FAILURE(start_bottega());
  int assigned = open_issue("Add a greeting file");
  int planned = open_issue("Add a farewell file");
  int by_reader = open_issue("Add a third file");
  github().assign_issue(kOwner, kRepo, assigned, kWriter, kAppBot);
  int64_t plan_command = comment(planned, kWriter, "/plan keep it small");
  label_issue(by_reader, kReader);
  ASSERT_TRUE(wait_for_plan(assigned, 1));
  ASSERT_TRUE(wait_for_reaction(plan_command, "eyes"));
  ASSERT_TRUE(wait_for_plan(planned, 1));
  ASSERT_TRUE(settle());
  EXPECT_FALSE(plan_comment(by_reader));
  EXPECT_TRUE(phase_labels(by_reader).empty());
  for (const auto& run : agent_runs()) EXPECT_NE(run.issue, by_reader);
}

}  // namespace
}  // namespace bottega::testing

namespace bottega::testing {
namespace {

// An invalid .github/bottega.yml: the status comment names the key and the
// reason, nothing starts; once the file is fixed, `/plan` starts the task.
TEST_F(Workflow, InvalidRepositoryConfigIsReportedAndStartsNothing) {
  ASSERT_NO_FATAL_FAILURE(start_bottega());
  ASSERT_TRUE(github()
                  .commit_files(kOwner, kRepo, "main",
                                {{".github/bottega.yml", "limits:\n  max_iterations: many\n"}},
                                "configure bottega")
                  .ok());
  int issue = open_issue("Add a greeting file", "Please add hello.txt that says hello.");
  label_issue(issue);
  ASSERT_TRUE(wait_until(
      [&] {
        auto status = status_comment(issue);
        return status && status->body.find("limits.max_iterations") != std::string::npos &&
               contains_ci(status->body, "line 2");
      },
      "a status comment naming limits.max_iterations and its line"));
  ASSERT_TRUE(settle());
  EXPECT_TRUE(agent_runs().empty()) << "no agent ran";
  EXPECT_FALSE(plan_comment(issue));
  EXPECT_TRUE(phase_labels(issue).empty());

  ASSERT_TRUE(github()
                  .commit_files(kOwner, kRepo, "main",
                                {{".github/bottega.yml", "limits:\n  max_iterations: 2\n"}},
                                "fix the bottega config")
                  .ok());
  comment(issue, kWriter, "/plan");
  ASSERT_TRUE(wait_for_plan(issue, 1));
  EXPECT_EQ(marked_comments(issue, kStatusMarker).size(), 1u) << "the same status comment, edited";
  EXPECT_EQ(status_comment(issue)->body.find("limits.max_iterations"), std::string::npos)
      << "the old error is gone:\n"
      << status_comment(issue)->body;
}

// /cancel during an implementation turn stops the agent (its run ends
// cancelled, long before its scenario would end) and the task is cancelled.
TEST_F(Workflow, CancelStopsTheRunningAgent) {
  ASSERT_NO_FATAL_FAILURE(start_bottega());
  int issue = open_issue("Add a greeting file", "Please add hello.txt that says hello.");
  write_scenario(std::to_string(issue) + "/implement-1",
                 with_prefix({"sleep 600000"}, implement_turn()));
  ASSERT_NO_FATAL_FAILURE(trigger_and_wait_for_plan(issue));
  ASSERT_NO_FATAL_FAILURE(approve(issue));
  ASSERT_TRUE(wait_until(
      [&] {
        return count(
                   "SELECT count(*) FROM agent_runs WHERE status = 'running' AND role = "
                   "'implement'") > 0;
      },
      "the implementation turn to be running"));
  int64_t cancel = comment(issue, kWriter, "/cancel");
  ASSERT_TRUE(wait_for_reaction(cancel, "eyes"));
  ASSERT_TRUE(wait_until(
      [&] {
        return count(
                   "SELECT count(*) FROM agent_runs WHERE role = 'implement' AND status = "
                   "'cancelled'") == 1 &&
               phase_labels(issue) == std::vector<std::string>{"bottega:cancelled"};
      },
      "the implementation run cancelled and the task labelled bottega:cancelled"));
  ASSERT_TRUE(settle());
  EXPECT_TRUE(pulls_for(issue).empty());
  EXPECT_EQ(count("SELECT count(*) FROM agent_runs WHERE status = 'running'"), 0);
  // The ended task's worktree and run directories are removed.
  const std::string worktree =
      tree() + "/data/workspaces/worktrees/acme-widgets-" + std::to_string(issue);
  const std::string runs =
      tree() + "/data/runs/" +
      std::to_string(count("SELECT id FROM tasks WHERE issue = " + std::to_string(issue)));
  EXPECT_TRUE(wait_until(
      [&] { return !std::filesystem::exists(worktree) && !std::filesystem::exists(runs); },
      "the worktree " + worktree + " and " + runs + " removed"));
}

// A review turn that edits files has its changes discarded (the PR does not
// carry them, the status comment says so), and with plan.commit_path set the
// final task document is committed into the PR.
TEST_F(Workflow, ReviewChangesAreDiscardedAndThePlanIsCommittedWhereConfigured) {
  ASSERT_NO_FATAL_FAILURE(start_bottega());
  ASSERT_TRUE(
      github()
          .commit_files(kOwner, kRepo, "main",
                        {{".github/bottega.yml", "plan:\n  commit_path: docs/plans/{issue}.md\n"}},
                        "configure bottega")
          .ok());
  int issue = open_issue("Add a greeting file", "Please add hello.txt that says hello.");
  const std::string n = std::to_string(issue);
  write_scenario(n + "/review-1",
                 with_prefix({"write stray.txt the reviewer was here"}, review_ready()));
  ASSERT_NO_FATAL_FAILURE(trigger_and_wait_for_plan(issue));
  ASSERT_NO_FATAL_FAILURE(approve(issue));
  ASSERT_NO_FATAL_FAILURE(expect_pull_request(issue));
  const auto head = pulls_for(issue)[0].head_ref;
  EXPECT_FALSE(file_at(head, "stray.txt")) << "the reviewer's file is not in the PR";
  auto doc = file_at(head, "docs/plans/" + n + ".md");
  ASSERT_TRUE(doc) << "the task document is committed";
  EXPECT_NE(doc->find("> Please add hello.txt that says hello."), std::string::npos) << *doc;
  EXPECT_NE(doc->find("- [x] create hello.txt"), std::string::npos) << *doc;
  auto status = status_comment(issue);
  ASSERT_TRUE(status);
  EXPECT_TRUE(contains_ci(status->body, "discarded")) << status->body;
  EXPECT_NE(status->body.find("stray.txt"), std::string::npos) << status->body;
}

// A turn whose job died on every attempt (here: marked dead while the
// server was down) does not leave its task waiting forever: at start the
// server blocks it with the job's last error, and /retry runs the turn again.
TEST_F(Workflow, ATurnGivenUpByTheQueueBlocksTheTaskAndRetryContinues) {
  ASSERT_NO_FATAL_FAILURE(start_bottega());
  int issue = open_issue("Add a greeting file", "Please add hello.txt that says hello.");
  write_scenario(std::to_string(issue) + "/turn-2",
                 with_prefix({"sleep 600000"}, implement_turn()));
  ASSERT_NO_FATAL_FAILURE(trigger_and_wait_for_plan(issue));
  ASSERT_NO_FATAL_FAILURE(approve(issue));
  ASSERT_TRUE(wait_until(
      [&] {
        return count("SELECT count(*) FROM jobs WHERE kind = 'agent_turn' AND state = 'running'") ==
               1;
      },
      "the implementation turn's job to be running"));
  kill_bottega();
  query(
      "UPDATE jobs SET state = 'dead', last_error = 'simulated: the worker died on every attempt',"
      " finished_at = now(), lease_owner = NULL, lease_expires_at = NULL"
      " WHERE kind = 'agent_turn' AND state = 'running'");
  ASSERT_NO_FATAL_FAILURE(start_bottega());
  ASSERT_TRUE(wait_for_blocked(issue, "simulated: the worker died on every attempt"));
  ASSERT_NO_FATAL_FAILURE(approve(issue, "/retry"));
  ASSERT_NO_FATAL_FAILURE(expect_pull_request(issue));
}

// GitHub failing while the app reports (5xx past the client's own retries):
// the decision is kept, its effects wait in the task's outbox and are done
// when the job runs again; nothing is posted twice.
TEST_F(Workflow, GitHubErrorsWhileReportingAreRetriedWithoutDuplicates) {
  ASSERT_NO_FATAL_FAILURE(start_bottega());
  int issue = open_issue("Add a greeting file", "Please add hello.txt that says hello.");
  fake_github::Fault outage;
  outage.kind = fake_github::Fault::Kind::status;
  outage.status = 502;
  outage.times = 6;  // more than the client's four tries of one request
  github().inject_fault("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments", outage);
  ASSERT_NO_FATAL_FAILURE(trigger_and_wait_for_plan(issue));
  ASSERT_TRUE(settle());
  EXPECT_EQ(marked_comments(issue, kPlanMarker).size(), 1u);
  EXPECT_EQ(marked_comments(issue, kStatusMarker).size(), 1u);
  EXPECT_EQ(comments(issue).size(), 2u) << "the plan and status comments only";
  EXPECT_EQ(count("SELECT count(*) FROM tasks WHERE outbox <> '[]'::jsonb"), 0)
      << "nothing left to do";
  int failed = 0;
  for (const auto& r : github().requests()) failed += r.status == 502;
  EXPECT_EQ(failed, 6) << "the outage was met";
  expect_no_label_added_twice(issue);
}

// The 👀 does not wait out GitHub's write spacing: while a command's other
// writes (its reply, its status comment) wait for theirs, a second command
// is acknowledged before the first's next write, on another issue and on
// the same one (whose writes are being sent: its row is not held meanwhile).
TEST_F(Workflow, ACommandIsAcknowledgedWhileEarlierWritesWaitOutTheSpacing) {
  set_config("github.mutation_spacing_ms", "3000");
  ASSERT_NO_FATAL_FAILURE(start_bottega());
  int first = open_issue("One"), second = open_issue("Two");
  ASSERT_TRUE(settle());
  auto writes_since = [&](std::size_t mark) {  // the app's writes, reactions aside
    auto all = github().requests();
    int n = 0;
    for (std::size_t i = mark; i < all.size(); ++i)
      n += all[i].method != "GET" && all[i].status / 100 == 2 &&
           all[i].path.find("/reactions") == std::string::npos;
    return n;
  };
  for (int next : {second, first}) {
    const std::size_t mark = github().requests().size();
    int64_t a = comment(first, kWriter, "/status");
    ASSERT_TRUE(wait_for_reaction(a, "eyes"));
    ASSERT_TRUE(
        wait_until([&] { return writes_since(mark) >= 1; }, "the first command's first write"));
    int64_t b = comment(next, kWriter, "/status");
    ASSERT_TRUE(wait_for_reaction(b, "eyes"));
    EXPECT_EQ(writes_since(mark), 1)
        << "the 👀 on #" << next << " waited for the spacing of #" << first << "'s writes";
    ASSERT_TRUE(settle());
    EXPECT_GE(writes_since(mark), 4) << "each command's reply and status comment";
  }
}

// GitHub failing when a turn starts (git cannot fetch): the turn's job is
// retried, not the task blocked, and the work goes on to a PR.
TEST_F(Workflow, GitHubErrorsWhenATurnStartsAreRetried) {
  ASSERT_NO_FATAL_FAILURE(start_bottega());
  int issue = open_issue("Add a greeting file", "Please add hello.txt that says hello.");
  ASSERT_NO_FATAL_FAILURE(trigger_and_wait_for_plan(issue));
  ASSERT_TRUE(settle());
  fake_github::Fault outage;
  outage.kind = fake_github::Fault::Kind::status;
  outage.status = 502;
  outage.times = 2;  // the implementation turn's first two fetches
  github().inject_fault("*", "/{owner}/{repo}.git/*", outage);
  ASSERT_NO_FATAL_FAILURE(approve(issue));
  ASSERT_NO_FATAL_FAILURE(expect_pull_request(issue));
  EXPECT_FALSE(ever_labeled(issue, "bottega:blocked"));
  int failed = 0;
  for (const auto& r : github().requests()) failed += r.status == 502;
  EXPECT_EQ(failed, 2) << "the outage was met";
  EXPECT_EQ(count("SELECT max(attempts) FROM jobs WHERE kind = 'agent_turn'"), 3)
      << "the implementation turn ran on its third attempt";
}

}  // namespace
}  // namespace bottega::testing
