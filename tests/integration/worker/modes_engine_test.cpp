// The workflow's modes through the task engine in-process (engine_fixture.h):
// questions answered in the issue thread, solo mode, the product flow and
// the QA results in the pull request's body (spec/workflow.md, "Modes").
#include <gtest/gtest.h>

#include "engine/worker/task_engine.h"
#include "tests/integration/worker/engine_fixture.h"

namespace bottega::testing {
namespace {

class ModesEngineTest : public EngineTest {
 protected:
  std::string phase_of(int issue) {
    auto r = query("SELECT phase FROM tasks WHERE issue = " + std::to_string(issue));
    return r.empty() ? "" : r[0][0].as<std::string>();
  }
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
  static Scenario asking_turn() {
    return plan_then(
        {"tool printf '\\n## Questions\\n\\n1. Hello or hi? Options: (a) hello, (b) "
         "hi. I would pick (a).\\n' >> \"$BOTTEGA_TASK_FILE\"",
         "signal questions"});
  }
  std::vector<std::string> roles() {
    std::vector<std::string> out;
    for (const auto& r : agent_runs()) out.push_back(r.role);
    return out;
  }
};

// Acceptance 1: the plan's questions are posted and labelled; /approve is
// refused while they are open; a reader's comment answers nothing; a
// writer's plain comment answers them, the resumed planning turn finds the
// answers in its task document and makes revision 2, which is approved.
TEST_F(ModesEngineTest, QuestionsAreAnsweredInTheThreadBeforeApproval) {
  ASSERT_NO_FATAL_FAILURE(start_engine());
  int issue = open_issue("Add a greeting file", "Please add hello.txt.");
  const std::string n = std::to_string(issue);
  write_scenario(n + "/turn-1", asking_turn());
  // Plan-ready only when the answers are in the task document.
  write_scenario(n + "/turn-2",
                 with_prefix({"tool grep -qF '> (b): hi, please' \"$BOTTEGA_TASK_FILE\" && touch "
                              "\"$BOTTEGA_RUN_DIR/saw-answers\""},
                             plan_then({"signal $(test -e \"$BOTTEGA_RUN_DIR/saw-answers\" && echo "
                                        "plan-ready || echo 'blocked --reason no-answers')"},
                                       "Add hello.txt saying hi.")));
  label_issue(issue);
  drain();
  ASSERT_EQ(phase_of(issue), "awaiting_answers");
  EXPECT_EQ(phase_labels(issue), std::vector<std::string>{"bottega:needs-answers"});
  auto plan = plan_comment(issue);
  ASSERT_TRUE(plan);
  EXPECT_NE(plan->body.find("Hello or hi?"), std::string::npos) << plan->body;
  EXPECT_NE(plan->body.find("This plan asks questions"), std::string::npos) << plan->body;
  EXPECT_EQ(plan_revision(issue), 1);

  int64_t approve = comment(issue, kWriter, "/approve");
  drain();
  EXPECT_EQ(app_reactions(approve), std::vector<std::string>{"-1"});
  ASSERT_FALSE(app_replies(issue).empty());
  EXPECT_NE(app_replies(issue).back().body.find("questions are open"), std::string::npos);
  EXPECT_EQ(phase_of(issue), "awaiting_answers");

  int64_t chatter = comment(issue, kReader, "hi, please");
  drain();
  EXPECT_TRUE(app_reactions(chatter).empty());
  EXPECT_EQ(phase_of(issue), "awaiting_answers");
  EXPECT_EQ(agent_runs().size(), 1u);

  int64_t answer = comment(issue, kWriter, "(b): hi, please");
  drain();
  EXPECT_EQ(app_reactions(answer), std::vector<std::string>{"eyes"});
  ASSERT_EQ(phase_of(issue), "awaiting_approval") << describe_state();
  EXPECT_EQ(plan_revision(issue), 2);
  EXPECT_EQ(phase_labels(issue), std::vector<std::string>{"bottega:awaiting-approval"});
  EXPECT_EQ(roles(), (std::vector<std::string>{"plan", "plan"}));

  comment(issue, kWriter, "/approve");
  drain();
  EXPECT_EQ(phase_of(issue), "pr_open") << describe_state();
  EXPECT_EQ(pulls_for(issue).size(), 1u);
}

// `/answer` answers too, its word dropped; a `/revise` answers as well.
TEST_F(ModesEngineTest, SlashAnswerAndReviseAnswerTheQuestions) {
  ASSERT_NO_FATAL_FAILURE(start_engine());
  int issue = open_issue("Add a greeting file", "Please add hello.txt.");
  const std::string n = std::to_string(issue);
  write_scenario(n + "/turn-1", asking_turn());
  // Asks again only when it got the answer without its `/answer` word.
  write_scenario(
      n + "/turn-2",
      with_prefix({"tool grep -qF '> (a) hello' \"$BOTTEGA_TASK_FILE\" && ! grep -qF '/answer' "
                   "\"$BOTTEGA_TASK_FILE\" && touch \"$BOTTEGA_RUN_DIR/saw-answers\""},
                  plan_then({"tool printf '\\n## Questions\\n\\n1. Really?\\n' >> "
                             "\"$BOTTEGA_TASK_FILE\"",
                             "signal $(test -e \"$BOTTEGA_RUN_DIR/saw-answers\" && echo "
                             "questions || echo 'blocked --reason no-answers')"})));
  label_issue(issue);
  drain();
  ASSERT_EQ(phase_of(issue), "awaiting_answers");
  comment(issue, kWriter, "/answer (a) hello");
  drain();
  ASSERT_EQ(phase_of(issue), "awaiting_answers") << describe_state();
  EXPECT_EQ(plan_revision(issue), 2);
  comment(issue, kWriter, "/revise use hello, and stop asking");
  drain();
  EXPECT_EQ(phase_of(issue), "awaiting_approval");
  EXPECT_EQ(plan_revision(issue), 3);
}

// Acceptance 2: the solo label starts one agent that plans, implements and
// checks; the PR opens with no plan gate and says it was made in solo mode.
TEST_F(ModesEngineTest, TheSoloLabelTakesTheIssueToAPullRequestWithOneAgent) {
  ASSERT_NO_FATAL_FAILURE(start_engine());
  int issue = open_issue("Add a greeting file", "Please add hello.txt.");
  Scenario solo = plan_then({}, "Add hello.txt.");
  solo.pop_back();  // its result line: the implementation's follows
  for (const auto& step : implement_turn()) solo.push_back(step);
  write_scenario(std::to_string(issue) + "/solo", with_prefix({"expect-prompt solo agent"}, solo));
  label_issue(issue, kWriter, "bottega:solo");
  drain();
  ASSERT_EQ(phase_of(issue), "pr_open") << describe_state();
  EXPECT_EQ(roles(), std::vector<std::string>{"solo"});
  EXPECT_FALSE(plan_comment(issue));
  auto pulls = pulls_for(issue);
  ASSERT_EQ(pulls.size(), 1u);
  EXPECT_NE(pulls[0].body.find("solo mode"), std::string::npos) << pulls[0].body;
  EXPECT_NE(pulls[0].body.find("- [x] create hello.txt"), std::string::npos) << pulls[0].body;
  EXPECT_EQ(file_at(pulls[0].head_ref, "hello.txt"), std::optional<std::string>("hello\n"));
}

// Solo mode keeps the caps: a solo agent that never finishes is blocked
// at the iteration cap.
TEST_F(ModesEngineTest, SoloModeStillStopsAtTheIterationCap) {
  ASSERT_NO_FATAL_FAILURE(start_engine());
  repo_config("mode: solo\nlimits:\n  max_iterations: 2\n");
  int issue = open_issue("Add a greeting file", "Please add hello.txt.");
  write_scenario(std::to_string(issue) + "/solo",
                 {"text not done yet", "signal needs-work", "result ok"});
  label_issue(issue);
  drain();
  EXPECT_EQ(phase_of(issue), "blocked") << describe_state();
  EXPECT_EQ(roles(), (std::vector<std::string>{"solo", "solo"}));
  auto status = status_comment(issue);
  ASSERT_TRUE(status);
  EXPECT_NE(status->body.find("iteration cap"), std::string::npos) << status->body;
  EXPECT_TRUE(pulls_for(issue).empty());
}

// Acceptance 3: an issue written by a listed requester is planned with the
// product prompt and its work starts without /approve; the same issue
// written by someone else waits for approval.
TEST_F(ModesEngineTest, AListedRequestersIssueSkipsTheApprovalGate) {
  ASSERT_NO_FATAL_FAILURE(start_engine());
  repo_config("product:\n  requesters: [octocat]\n");
  int by_requester = open_issue("Add a greeting file", "Please add hello.txt.");
  write_scenario(
      std::to_string(by_requester) + "/plan",
      with_prefix({"expect-prompt Technical decisions made without asking"}, plan_turn()));
  label_issue(by_requester);
  drain();
  EXPECT_EQ(phase_of(by_requester), "pr_open") << describe_state();
  EXPECT_EQ(roles(), (std::vector<std::string>{"plan", "implement", "review"}));
  auto plan = plan_comment(by_requester);
  ASSERT_TRUE(plan);
  EXPECT_NE(plan->body.find("started without approval"), std::string::npos) << plan->body;
  EXPECT_NE(plan->body.find("@octocat is a listed requester"), std::string::npos) << plan->body;
  EXPECT_NE(plan->body.find("`/cancel`"), std::string::npos) << plan->body;

  int by_other =
      github().create_issue(kOwner, kRepo, kReader, "Add a greeting file", "Please add hello.txt.");
  write_scenario(
      std::to_string(by_other) + "/plan",
      with_prefix({"expect-prompt A person reads it on the issue and approves it"}, plan_turn()));
  label_issue(by_other);
  drain();
  EXPECT_EQ(phase_of(by_other), "awaiting_approval") << describe_state();
}

// The product label does the same, and an engineer's /revise during the
// work stops it and plans again.
TEST_F(ModesEngineTest, TheProductLabelSkipsTheGateAndReviseReplans) {
  ASSERT_NO_FATAL_FAILURE(start_engine());
  repo_config("product:\n  label: from-product\n");
  int issue = github().create_issue(kOwner, kRepo, kReader, "Add a greeting file",
                                    "Please add hello.txt.", {"from-product"});
  label_issue(issue);
  deliver();
  while (run_one("github_event")) {
  }
  ASSERT_TRUE(run_one("agent_turn"));  // the plan: the work starts at once
  ASSERT_EQ(phase_of(issue), "implementing") << describe_state();
  comment(issue, kWriter, "/revise say hi instead");
  deliver();
  ASSERT_TRUE(run_one("github_event"));
  EXPECT_EQ(phase_of(issue), "planning");
  drain();
  EXPECT_EQ(plan_revision(issue), 2);
  EXPECT_EQ(phase_of(issue), "pr_open") << describe_state();
}

// Acceptance 5 (the table): the reviewer's QA results go into the PR body.
TEST_F(ModesEngineTest, TheReviewersQaResultsAreInThePullRequestBody) {
  ASSERT_NO_FATAL_FAILURE(start_engine());
  int issue = open_issue("Add a greeting file", "Please add hello.txt.");
  write_scenario(std::to_string(issue) + "/review",
                 {"tool printf '\\n## QA results\\n\\n| # | Scenario | Result | Evidence |\\n"
                  "|---|---|---|---|\\n| 1 | hello.txt exists | PASS | `cat hello.txt` printed "
                  "hello |\\n\\nTests:\\n- `make test`: passed (3 tests)\\n' >> "
                  "\"$BOTTEGA_TASK_FILE\"",
                  "signal ready", "result ok reviewed"});
  label_issue(issue);
  drain();
  comment(issue, kWriter, "/approve");
  drain();
  auto pulls = pulls_for(issue);
  ASSERT_EQ(pulls.size(), 1u) << describe_state();
  const std::string& body = pulls[0].body;
  EXPECT_NE(body.find("### QA results"), std::string::npos) << body;
  EXPECT_NE(body.find("| 1 | hello.txt exists | PASS |"), std::string::npos) << body;
  EXPECT_NE(body.find("`make test`: passed (3 tests)"), std::string::npos) << body;
}

// Acceptance 4: the refinement pass's edits land in the PR; one that breaks
// the repository's tests is reverted (the reviewed code is kept) and the
// status says so.
TEST_F(ModesEngineTest, TheRefinementPassIsKeptOnlyWhenTheTestsPass) {
  ASSERT_NO_FATAL_FAILURE(start_engine());
  repo_config(
      "roles:\n  refine: {harness: claude, model: claude-sonnet-4-5}\ncommands:\n  test:\n"
      "    - test -f hello.txt\n    - test ! -e broken.txt\n");
  int kept = open_issue("Add a greeting file", "Please add hello.txt.");
  write_scenario(std::to_string(kept) + "/refine",
                 {"expect-prompt refinement agent", "write simpler.txt simplified",
                  "tool printf '\\n## Refinement\\n\\nSimplified hello.txt handling.\\n' >> "
                  "\"$BOTTEGA_TASK_FILE\"",
                  "signal ready", "result ok refined"});
  label_issue(kept);
  drain();
  comment(kept, kWriter, "/approve");
  drain();
  ASSERT_EQ(phase_of(kept), "pr_open") << describe_state();
  EXPECT_EQ(roles(), (std::vector<std::string>{"plan", "implement", "review", "refine"}));
  auto pulls = pulls_for(kept);
  ASSERT_EQ(pulls.size(), 1u);
  EXPECT_EQ(file_at(pulls[0].head_ref, "simpler.txt"), std::optional<std::string>("simplified\n"));
  EXPECT_NE(pulls[0].body.find("### Refinement"), std::string::npos) << pulls[0].body;
  EXPECT_NE(pulls[0].body.find("Simplified hello.txt handling."), std::string::npos);

  int broken = open_issue("Add another greeting file", "Please add hello.txt.");
  write_scenario(std::to_string(broken) + "/refine",
                 {"write broken.txt oops", "signal ready", "result ok refined"});
  label_issue(broken);
  drain();
  comment(broken, kWriter, "/approve");
  drain();
  ASSERT_EQ(phase_of(broken), "pr_open") << describe_state();
  auto reverted = pulls_for(broken);
  ASSERT_EQ(reverted.size(), 1u);
  EXPECT_EQ(file_at(reverted[0].head_ref, "broken.txt"), std::nullopt);
  EXPECT_EQ(file_at(reverted[0].head_ref, "hello.txt"), std::optional<std::string>("hello\n"));
  auto status = status_comment(broken);
  ASSERT_TRUE(status);
  EXPECT_NE(status->body.find("refinement pass was reverted"), std::string::npos) << status->body;
  EXPECT_NE(status->body.find("tests failed"), std::string::npos) << status->body;
}

}  // namespace
}  // namespace bottega::testing
