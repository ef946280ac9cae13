// The acceptance scenarios of issue 16 through the real binary, the fake
// GitHub, the fake agent CLI, PostgreSQL and git: questions answered in the
// issue thread, solo mode, the product flow, and the QA results and
// evidence in the pull request (spec/workflow.md, "Modes").
#include <gtest/gtest.h>

#include "tests/e2e/workflow_steps.h"

namespace bottega::testing {
namespace {

class Modes : public Workflow {
 protected:
  void repo_config(const std::string& yaml) {
    ASSERT_TRUE(github()
                    .commit_files(kOwner, kRepo, "main", {{".github/bottega.yml", yaml}}, "config")
                    .ok());
  }
  // The planning turn with `last_steps` in place of its plan-ready signal.
  static Scenario plan_then(const Scenario& last_steps, const std::string& overview = "Add it.") {
    Scenario s = plan_turn({"create hello.txt"}, overview);
    s.erase(s.end() - 2, s.end());  // signal plan-ready, result ok
    s.insert(s.end(), last_steps.begin(), last_steps.end());
    s.push_back("result ok planned");
    return s;
  }
  std::string phase_of(int issue) {
    auto r = query("SELECT phase FROM tasks WHERE issue = " + std::to_string(issue));
    return r.empty() ? "" : r[0][0].as<std::string>();
  }
};

// Acceptance 1: a plan with questions is posted and labelled
// bottega:needs-answers; /approve is refused; a reader's comment answers
// nothing; a writer's plain comment answers, the resumed planning turn sees
// the answers in its task document and makes revision 2; /approve → PR.
TEST_F(Modes, QuestionsAreAnsweredInTheIssueThread) {
  ASSERT_NO_FATAL_FAILURE(start_bottega());
  int issue = open_issue("Add a greeting file", "Please add hello.txt that says hello.");
  const std::string n = std::to_string(issue);
  write_scenario(n + "/turn-1",
                 plan_then({"tool printf '\\n## Questions\\n\\n1. Hello or hi? Options: (a) "
                            "hello, (b) hi. I would pick (a).\\n' >> \"$BOTTEGA_TASK_FILE\"",
                            "signal questions"}));
  write_scenario(n + "/turn-2",
                 with_prefix({"tool grep -qF '> hello it is' \"$BOTTEGA_TASK_FILE\" && touch "
                              "\"$BOTTEGA_RUN_DIR/saw-answers\""},
                             plan_then({"signal $(test -e \"$BOTTEGA_RUN_DIR/saw-answers\" && echo "
                                        "plan-ready || echo 'blocked --reason no-answers')"})));
  label_issue(issue);
  ASSERT_TRUE(wait_until(
      [&] {
        auto plan = plan_comment(issue);
        return phase_labels(issue) == std::vector<std::string>{"bottega:needs-answers"} && plan &&
               plan->body.find("Hello or hi?") != std::string::npos;
      },
      "the plan with its questions, labelled bottega:needs-answers"));
  EXPECT_NE(plan_comment(issue)->body.find("This plan asks questions"), std::string::npos);

  refused(issue, kWriter, "/approve");
  ASSERT_TRUE(wait_until(
      [&] {
        auto replies = app_replies(issue);
        return !replies.empty() &&
               replies.back().body.find("questions are open") != std::string::npos;
      },
      "a reply saying the questions are open"));

  int64_t chatter = comment(issue, kReader, "hello it is");
  ASSERT_TRUE(settle());
  EXPECT_TRUE(app_reactions(chatter).empty());
  EXPECT_EQ(agent_runs().size(), 1u) << "a reader's comment answers nothing";

  int64_t answer = comment(issue, kWriter, "hello it is");
  ASSERT_TRUE(wait_for_reaction(answer, "eyes"));
  ASSERT_TRUE(wait_for_plan(issue, 2));
  EXPECT_EQ(roles_in_order(), (std::vector<std::string>{"plan", "plan"}));
  ASSERT_NO_FATAL_FAILURE(approve(issue));
  ASSERT_NO_FATAL_FAILURE(expect_pull_request(issue));
}

// Acceptance 2: the solo label → one agent → a PR with no plan gate.
TEST_F(Modes, SoloLabelTakesAnIssueToAPullRequestWithOneAgent) {
  ASSERT_NO_FATAL_FAILURE(start_bottega());
  int issue = open_issue("Add a greeting file", "Please add hello.txt that says hello.");
  Scenario solo = plan_then({});
  solo.pop_back();
  for (const auto& step : implement_turn()) solo.push_back(step);
  write_scenario(std::to_string(issue) + "/solo", with_prefix({"expect-prompt solo agent"}, solo));
  label_issue(issue, kWriter, "bottega:solo");
  ASSERT_TRUE(wait_for_pull(issue, kVeryLong));
  auto pulls = pulls_for(issue);
  ASSERT_EQ(pulls.size(), 1u);
  EXPECT_NE(pulls[0].body.find("solo mode"), std::string::npos) << pulls[0].body;
  EXPECT_EQ(file_at(pulls[0].head_ref, "hello.txt"), std::optional<std::string>("hello\n"));
  EXPECT_EQ(roles_in_order(), std::vector<std::string>{"solo"});
  EXPECT_FALSE(plan_comment(issue));
  EXPECT_FALSE(ever_labeled(issue, "bottega:awaiting-approval"));
}

// Acceptance 2, the caps: a solo agent that never finishes is blocked at
// the iteration cap, with no pull request.
TEST_F(Modes, SoloModeStillStopsAtTheCaps) {
  repo_config("mode: solo\nlimits:\n  max_iterations: 2\n");
  ASSERT_NO_FATAL_FAILURE(start_bottega());
  int issue = open_issue("Add a greeting file", "Please add hello.txt that says hello.");
  write_scenario(std::to_string(issue) + "/solo",
                 {"text not done yet", "signal needs-work", "result ok"});
  label_issue(issue);
  ASSERT_TRUE(wait_for_blocked(issue, "iteration cap"));
  EXPECT_EQ(roles_in_order(), (std::vector<std::string>{"solo", "solo"}));
  EXPECT_TRUE(pulls_for(issue).empty());
}

// Acceptance 3: an issue by a listed requester is planned with the product
// prompt and the work starts without /approve; the same issue by someone
// else waits for approval.
TEST_F(Modes, AListedRequestersIssueStartsWithoutApproval) {
  repo_config("product:\n  requesters: [octocat]\n");
  ASSERT_NO_FATAL_FAILURE(start_bottega());
  int mine = open_issue("Add a greeting file", "Please add hello.txt that says hello.");
  write_scenario(
      std::to_string(mine) + "/plan",
      with_prefix({"expect-prompt Technical decisions made without asking"}, plan_turn()));
  label_issue(mine);
  ASSERT_NO_FATAL_FAILURE(expect_pull_request(mine));
  auto plan = plan_comment(mine);
  ASSERT_TRUE(plan);
  EXPECT_NE(plan->body.find("started without approval"), std::string::npos) << plan->body;
  EXPECT_FALSE(ever_labeled(mine, "bottega:awaiting-approval"));

  int other = github().create_issue(kOwner, kRepo, kReader, "Add a greeting file",
                                    "Please add hello.txt that says hello.");
  write_scenario(
      std::to_string(other) + "/plan",
      with_prefix({"expect-prompt A person reads it on the issue and approves it"}, plan_turn()));
  label_issue(other);
  ASSERT_TRUE(wait_for_plan(other, 1));
  ASSERT_TRUE(settle());
  EXPECT_EQ(phase_of(other), "awaiting_approval");
  EXPECT_TRUE(pulls_for(other).empty());
}

// Acceptance 4: the refinement pass's edits land in the PR; a refinement
// that breaks the repository's tests is reverted, and the status says so.
TEST_F(Modes, TheRefinementPassLandsOnlyWhenTheTestsStillPass) {
  repo_config(
      "roles:\n  refine: {harness: claude, model: claude-sonnet-4-5}\ncommands:\n  test:\n"
      "    - test -f hello.txt\n    - test ! -e broken.txt\n");
  ASSERT_NO_FATAL_FAILURE(start_bottega());
  int kept = open_issue("Add a greeting file", "Please add hello.txt that says hello.");
  write_scenario(std::to_string(kept) + "/refine",
                 {"write simpler.txt simplified",
                  "tool printf '\\n## Refinement\\n\\nSimplified the greeting.\\n' >> "
                  "\"$BOTTEGA_TASK_FILE\"",
                  "signal ready", "result ok refined"});
  ASSERT_NO_FATAL_FAILURE(trigger_and_wait_for_plan(kept));
  ASSERT_NO_FATAL_FAILURE(approve(kept));
  ASSERT_NO_FATAL_FAILURE(
      expect_pull_request(kept, {{"hello.txt", "hello\n"}, {"simpler.txt", "simplified\n"}}));
  EXPECT_NE(pulls_for(kept)[0].body.find("Simplified the greeting."), std::string::npos);
  EXPECT_EQ(roles_in_order(), (std::vector<std::string>{"plan", "implement", "review", "refine"}));

  int broken = open_issue("Add a second greeting", "Please add hello.txt that says hello.");
  write_scenario(std::to_string(broken) + "/refine",
                 {"write broken.txt oops", "signal ready", "result ok refined"});
  ASSERT_NO_FATAL_FAILURE(trigger_and_wait_for_plan(broken));
  ASSERT_NO_FATAL_FAILURE(approve(broken));
  ASSERT_NO_FATAL_FAILURE(expect_pull_request(broken));
  EXPECT_EQ(file_at(pulls_for(broken)[0].head_ref, "broken.txt"), std::nullopt);
  EXPECT_TRUE(wait_until(
      [&] {
        auto status = status_comment(broken);
        return status && status->body.find("refinement pass was reverted") != std::string::npos &&
               status->body.find("tests failed") != std::string::npos;
      },
      "the status saying the refinement was reverted because the tests failed"));
}

// Acceptance 5: the reviewer's scenario table is in the PR body, and its
// evidence file is kept with the run and linked.
TEST_F(Modes, ThePullRequestCarriesTheScenarioTableAndTheEvidence) {
  set_config("public_url", "https://bottega.example.test");
  ASSERT_NO_FATAL_FAILURE(start_bottega());
  int issue = open_issue("Add a greeting file", "Please add hello.txt that says hello.");
  write_scenario(
      std::to_string(issue) + "/review",
      {"tool mkdir -p \"$BOTTEGA_RUN_DIR/evidence\" && cat hello.txt > "
       "\"$BOTTEGA_RUN_DIR/evidence/hello-output.txt\"",
       "tool printf '\\n## QA results\\n\\n| # | Scenario | Result | Evidence |\\n"
       "|---|---|---|---|\\n| 1 | hello.txt says hello | PASS | hello-output.txt |\\n' >> "
       "\"$BOTTEGA_TASK_FILE\"",
       "signal ready", "result ok reviewed"});
  ASSERT_NO_FATAL_FAILURE(trigger_and_wait_for_plan(issue));
  ASSERT_NO_FATAL_FAILURE(approve(issue));
  ASSERT_NO_FATAL_FAILURE(expect_pull_request(issue));
  const std::string body = pulls_for(issue)[0].body;
  EXPECT_NE(body.find("| 1 | hello.txt says hello | PASS | hello-output.txt |"), std::string::npos)
      << body;
  auto kept = query(
      "SELECT e.run_id, convert_from(e.content, 'UTF8'), r.task_id FROM run_evidence e"
      " JOIN agent_runs r ON r.id = e.run_id WHERE e.name = 'hello-output.txt'");
  ASSERT_EQ(kept.size(), 1u) << describe_state();
  EXPECT_EQ(kept[0][1].as<std::string>(), "hello\n");
  const std::string link = "https://bottega.example.test/tasks/" + kept[0][2].as<std::string>() +
                           "/evidence/" + kept[0][0].as<std::string>() + "/hello-output.txt";
  EXPECT_NE(body.find("[hello-output.txt](" + link + ")"), std::string::npos) << body;
}

}  // namespace
}  // namespace bottega::testing
