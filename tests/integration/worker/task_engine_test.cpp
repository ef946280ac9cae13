// The task engine in-process (engine_fixture.h): each job kind, a delivery
// applied twice, effects finished by the next job after a failure, the
// cancel watcher, and a turn whose repository config became invalid.
#include "engine/worker/task_engine.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "engine/queue/queue.h"
#include "tests/integration/worker/engine_fixture.h"

namespace bottega::testing {
namespace {

namespace fs = std::filesystem;

class TaskEngineTest : public EngineTest {
 protected:
  std::string phase_of(int issue) {
    auto r = query("SELECT phase FROM tasks WHERE issue = " + std::to_string(issue));
    return r.empty() ? "" : r[0][0].as<std::string>();
  }

  // The plan posted for `issue`, its /approve delivered and applied.
  void planned_and_approved(int issue) {
    label_issue(issue);
    drain();
    ASSERT_EQ(phase_of(issue), "awaiting_approval");
    approval_ = comment(issue, kWriter, "/approve");
    deliver();
    ASSERT_TRUE(run_one("github_event"));
    ASSERT_EQ(phase_of(issue), "implementing");
  }

  int status_comments(int issue) {
    return static_cast<int>(marked_comments(issue, kStatusMarker).size());
  }

  int64_t approval_ = 0;  // the /approve comment of planned_and_approved
};

// Every job kind, one at a time: the trigger (github_event) queues the plan
// turn (agent_turn) and the status (task_effects); approval runs
// implementation and review, then open_pr; the merge ends the task and
// cleanup_task removes its worktree.
TEST_F(TaskEngineTest, EveryJobKindTakesAnIssueToAMergedPullRequest) {
  ASSERT_NO_FATAL_FAILURE(start_engine());
  int issue = open_issue("Add a greeting file", "Please add hello.txt that says hello.");
  label_issue(issue);
  EXPECT_EQ(deliver(), 2);  // opened, labeled
  ASSERT_TRUE(run_one("github_event"));
  ASSERT_TRUE(run_one("github_event"));
  EXPECT_EQ(phase_of(issue), "planning");
  EXPECT_EQ(jobs()["queued agent_turn"], 1);
  ASSERT_TRUE(run_one("agent_turn"));
  EXPECT_EQ(phase_of(issue), "awaiting_approval");
  drain();
  ASSERT_TRUE(plan_comment(issue));
  EXPECT_EQ(status_comments(issue), 1);

  comment(issue, kWriter, "/approve");
  drain();
  EXPECT_EQ(phase_of(issue), "pr_open");
  auto pulls = pulls_for(issue);
  ASSERT_EQ(pulls.size(), 1u);
  EXPECT_EQ(file_at("bottega/" + std::to_string(issue) + "-add-a-greeting-file", "hello.txt"),
            "hello\n");
  const std::string worktree = tree() + "/data/workspaces";
  EXPECT_FALSE(fs::is_empty(worktree));

  ASSERT_TRUE(github().merge_pull(kOwner, kRepo, pulls[0].number, kWriter).ok());
  drain();
  EXPECT_EQ(phase_of(issue), "done");
  auto done = jobs();
  for (const char* kind : {"github_event", "task_effects", "agent_turn", "open_pr", "cleanup_task"})
    EXPECT_GE(done[std::string("done ") + kind], 1) << kind;
  EXPECT_EQ(done.count("dead agent_turn") + done.count("dead github_event"), 0u);
  EXPECT_FALSE(
      fs::exists(tree() + "/data/runs/" + query("SELECT id FROM tasks")[0][0].as<std::string>()))
      << "the run directories are removed";
}

// A delivery handed to the engine twice (a job retried after the engine
// applied it but before the queue heard) is applied once.
TEST_F(TaskEngineTest, ADeliveryAppliedTwiceChangesTheTaskOnce) {
  ASSERT_NO_FATAL_FAILURE(start_engine());
  int issue = open_issue("Add a greeting file", "Please add hello.txt that says hello.");
  ASSERT_NO_FATAL_FAILURE(planned_and_approved(issue));
  auto approval = query(
      "SELECT id, delivery_id FROM jobs WHERE kind = 'github_event' ORDER BY id DESC LIMIT 1");
  ASSERT_EQ(approval.size(), 1u);
  const auto state_before = query("SELECT state::text FROM tasks")[0][0].as<std::string>();
  Job again;
  again.id = approval[0][0].as<int64_t>();
  again.kind = "github_event";
  again.delivery_id = approval[0][1].as<std::string>();
  again.attempts = 2;
  again.max_attempts = 8;
  ASSERT_TRUE(engine().handle_event(again).ok());
  EXPECT_EQ(query("SELECT state::text FROM tasks")[0][0].as<std::string>(), state_before);
  EXPECT_EQ(count("SELECT count(*) FROM jobs WHERE kind = 'agent_turn'"), 2)
      << "plan and one implementation";
  run_jobs();
  EXPECT_EQ(app_reactions(approval_), std::vector<std::string>{"eyes"});
}

// GitHub refuses the status comment once: the effects job fails, its
// outbox stays, and the next run posts exactly one status comment.
TEST_F(TaskEngineTest, EffectsLeftByAFailedJobAreFinishedByTheNextOne) {
  ASSERT_NO_FATAL_FAILURE(start_engine());
  int issue = open_issue("Add a greeting file", "Please add hello.txt that says hello.");
  label_issue(issue);
  deliver();
  ASSERT_TRUE(run_one("github_event"));
  ASSERT_TRUE(run_one("github_event"));
  fake_github::Fault refused;
  refused.status = 422;  // not retried by the client
  github().inject_fault("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments", refused);
  ASSERT_TRUE(run_one("task_effects"));
  EXPECT_EQ(status_comments(issue), 0);
  EXPECT_NE(query("SELECT outbox::text FROM tasks")[0][0].as<std::string>(), "[]");
  EXPECT_EQ(count("SELECT count(*) FROM jobs WHERE kind = 'task_effects' AND state = 'queued'"), 1)
      << "queued again by the queue";
  drain();
  EXPECT_EQ(status_comments(issue), 1);
  EXPECT_EQ(query("SELECT outbox::text FROM tasks")[0][0].as<std::string>(), "[]");
}

// /cancel while the implementation turn runs: the turn's watcher sees the
// task stop waiting for it and stops the agent.
TEST_F(TaskEngineTest, TheCancelWatcherStopsARunningTurn) {
  ASSERT_NO_FATAL_FAILURE(start_engine());
  int issue = open_issue("Add a greeting file", "Please add hello.txt that says hello.");
  write_scenario(std::to_string(issue) + "/implement",
                 with_prefix({"sleep 60000"}, implement_turn()));
  ASSERT_NO_FATAL_FAILURE(planned_and_approved(issue));
  auto row = query("SELECT id, payload FROM jobs WHERE kind = 'agent_turn' AND state = 'queued'");
  ASSERT_EQ(row.size(), 1u);
  Job turn;
  turn.id = row[0][0].as<int64_t>();
  turn.kind = "agent_turn";
  turn.payload = row[0][1].as<std::string>();
  turn.attempts = 1;
  turn.max_attempts = 5;
  std::optional<Result<void>> turn_result;
  std::thread running([&] { turn_result = engine().handle_turn(turn); });
  ASSERT_TRUE(
      wait_until([&] { return !agent_runs().empty() && agent_runs().back().role == "implement"; },
                 "the implementation turn running"));
  comment(issue, kWriter, "/cancel");
  deliver();
  ASSERT_TRUE(run_one("github_event"));
  running.join();
  ASSERT_TRUE(turn_result && turn_result->ok());
  EXPECT_EQ(phase_of(issue), "cancelled");
  EXPECT_EQ(agent_runs().back().status, "cancelled");
  EXPECT_GE(agent_runs().back().ended_at, 0);
}

// The repository's config turns invalid between approval and the turn: the
// turn does not run, the task is blocked with the file's error.
TEST_F(TaskEngineTest, ATurnWhoseConfigBecameInvalidBlocksTheTask) {
  ASSERT_NO_FATAL_FAILURE(start_engine());
  int issue = open_issue("Add a greeting file", "Please add hello.txt that says hello.");
  ASSERT_NO_FATAL_FAILURE(planned_and_approved(issue));
  ASSERT_TRUE(github()
                  .commit_files(kOwner, kRepo, "main",
                                {{".github/bottega.yml", "limits:\n  max_iterations: many\n"}},
                                "break the config")
                  .ok());
  const auto runs = agent_runs().size();
  ASSERT_TRUE(run_one("agent_turn"));
  EXPECT_EQ(agent_runs().size(), runs) << "no agent ran";
  EXPECT_EQ(phase_of(issue), "blocked");
  drain();
  auto status = status_comment(issue);
  ASSERT_TRUE(status);
  EXPECT_NE(status->body.find("max_iterations"), std::string::npos) << status->body;
}

// GitHub opens the pull request but its answer never arrives: the
// client's second try is refused a second pull request for the branch,
// and the job takes the one that is open. One pull request, the task on it.
TEST_F(TaskEngineTest, APullRequestWhoseAnswerWasLostIsTakenNotOpenedTwice) {
  ASSERT_NO_FATAL_FAILURE(start_engine());
  int issue = open_issue("Add a greeting file", "Please add hello.txt that says hello.");
  ASSERT_NO_FATAL_FAILURE(planned_and_approved(issue));
  while (run_one("agent_turn") || run_one("task_effects") || run_one("github_event")) {
  }
  ASSERT_EQ(jobs()["queued open_pr"], 1);
  fake_github::Fault lost;
  lost.kind = fake_github::Fault::Kind::lost;
  github().inject_fault("POST", "/repos/{owner}/{repo}/pulls", lost);
  ASSERT_TRUE(run_one("open_pr"));
  std::vector<int> answers;
  for (const auto& r : github().requests())
    if (r.method == "POST" && r.route == "/repos/{owner}/{repo}/pulls") answers.push_back(r.status);
  EXPECT_EQ(answers, (std::vector<int>{0, 422})) << "opened, answer lost; refused the second";
  EXPECT_EQ(phase_of(issue), "pr_open");
  auto pulls = pulls_for(issue);
  ASSERT_EQ(pulls.size(), 1u) << "not opened twice";
  EXPECT_EQ(query("SELECT pr_number FROM tasks")[0][0].as<int>(), pulls[0].number);
}

}  // namespace
}  // namespace bottega::testing
