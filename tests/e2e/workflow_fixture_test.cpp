// The workflow test bed itself (workflow_fixture.h): the server starts,
// takes the fake GitHub's webhooks, restarts after a kill, and the scenario
// building blocks edit a task document as the workflow expects. These tests
// start no task, so the webhooks they count are exactly the ones they cause.
#include "tests/e2e/workflow_fixture.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace bottega::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class Fixture : public WorkflowFixture {
 protected:
  static std::string read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
};

TEST_F(Fixture, ServerStartsAndAcceptsWebhooks) {
  ASSERT_NO_FATAL_FAILURE(start_bottega());
  int issue = open_issue("Add a greeting file");
  // Not the trigger label: a task would add comments, labels and webhooks.
  label_issue(issue, kWriter, "documentation");
  ASSERT_TRUE(wait_until(
      [&] {
        auto hooks = github().webhooks();
        return hooks.size() >= 2 && hooks[0].status_code != 0 && hooks[1].status_code != 0;
      },
      "the app to answer the issue's webhooks"));
  auto hooks = github().webhooks();
  EXPECT_EQ(hooks[0].event, "issues");
  EXPECT_EQ(hooks[0].action, "opened");
  EXPECT_EQ(hooks[1].event, "issues");
  EXPECT_EQ(hooks[1].action, "labeled");
  for (const auto& h : hooks) EXPECT_EQ(h.status_code, 202) << h.event << " " << h.action;
  // Stored as GitHub sent it, with the writer as the sender.
  EXPECT_EQ(count("SELECT count(*) FROM deliveries WHERE event = 'issues' AND action = 'labeled' "
                  "AND repository = 'acme/widgets' AND sender = 'wanda' AND outcome = 'accepted'"),
            1);
  EXPECT_EQ(labels(issue), std::vector<std::string>{"documentation"});
}

TEST_F(Fixture, RestartsOnTheSamePortAndDatabaseAfterAKill) {
  ASSERT_NO_FATAL_FAILURE(start_bottega());
  int first = open_issue("One");
  ASSERT_TRUE(wait_until(
      [&] { return !github().webhooks().empty() && github().webhooks()[0].status_code == 202; },
      "the first webhook to be taken"));
  ASSERT_NO_FATAL_FAILURE(restart_bottega());
  EXPECT_TRUE(bottega_running());
  int second = open_issue("Two");
  EXPECT_NE(first, second);
  ASSERT_TRUE(wait_until(
      [&] {
        auto hooks = github().webhooks();
        return hooks.size() == 2 && hooks[1].status_code == 202;
      },
      "the restarted server to take a webhook"));
  EXPECT_EQ(count("SELECT count(*) FROM deliveries WHERE event = 'issues'"), 2);
  EXPECT_NE(bottega_log().find("---- serve-2.log"), std::string::npos);
}

TEST_F(Fixture, WritesTheConfigurationAsNestedYaml) {
  set_config("agents.timeout_minutes", "0.05");
  auto yaml = config_yaml();
  EXPECT_NE(yaml.find("agents:\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("\n  timeout_minutes: \"0.05\"\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("harnesses:\n  claude:\n    binary: "), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("roles:\n  fix:\n    harness: \"claude\"\n    model: \"claude-sonnet-4-5\"\n "
                      " implement:\n"),
            std::string::npos)
      << yaml;
  EXPECT_EQ(yaml.find("agents:", yaml.find("agents:") + 1), std::string::npos) << "one agents map\n"
                                                                               << yaml;
}

// The building blocks on a task document shaped as the workflow writes it,
// through the fake agent and `bottega signal`, as a turn would run them.
TEST_F(Fixture, ScenarioBuildingBlocksEditTheTaskDocumentAndSignal) {
  const std::string work = tree() + "/work", run = tree() + "/run", task = tree() + "/task.md";
  fs::create_directories(work);
  fs::create_directories(run);
  std::ofstream(task)
      << "# Add a greeting file (#7)\n\n## Request\n> Please add hello.txt.\n> Thanks!\n\n"
         "## Overview\n(to be written)\n\n## Implementation plan\n\n## Testing strategy\n\n"
         "## To-do\n\n## Review findings\n";
  const char* path = std::getenv("PATH");
  auto turn = [&](const std::string& role, int number, int iteration) {
    fs::remove(run + "/signal.json");
    std::map<std::string, std::string> env = {
        {"FAKE_AGENT_SCENARIO_DIR", scenario_dir()},
        {"BOTTEGA_ROLE", role},
        {"BOTTEGA_ISSUE", "7"},
        {"BOTTEGA_TASK", "acme/widgets#7"},
        {"BOTTEGA_TURN", std::to_string(number)},
        {"BOTTEGA_ITERATION", std::to_string(iteration)},
        {"BOTTEGA_TASK_FILE", task},
        {"BOTTEGA_RUN_DIR", run},
        {"PATH", std::string(BOTTEGA_BINARY_DIR) + ":" + (path ? path : "/usr/bin:/bin")}};
    ChildProcess agent(tree() + "/bin/claude", {"-p", "--output-format", "stream-json"}, env,
                       tree() + "/agent-" + std::to_string(number) + ".log");
    auto status = agent.wait(30s);
    EXPECT_EQ(status, std::optional<int>(0)) << agent.output();
    return read(run + "/signal.json");
  };
  // The agent starts in our working directory: make it the "worktree".
  struct RestoreCwd {
    fs::path old = fs::current_path();
    ~RestoreCwd() { fs::current_path(old); }
  } restore;
  fs::current_path(work);

  write_scenario("7/review-1", review_needs_work("hello.txt says hullo"));
  write_scenario("7/implement-1", implement_turn({{"hello.txt", "hullo"}}));
  EXPECT_NE(turn("plan", 1, 0).find("\"signal\":\"plan-ready\""), std::string::npos);
  std::string doc = read(task);
  EXPECT_EQ(doc.rfind("# Add a greeting file (#7)\n\n## Request\n> Please add hello.txt.\n> "
                      "Thanks!\n\n## Overview\n",
                      0),
            0u)
      << doc;
  EXPECT_EQ(doc.find("(to be written)"), std::string::npos) << doc;
  EXPECT_NE(doc.find("## To-do\n- [ ] create hello.txt\n\n## Review findings\n"), std::string::npos)
      << doc;

  EXPECT_NE(turn("implement", 2, 1).find("\"signal\":\"ready\""), std::string::npos);
  EXPECT_EQ(read(work + "/hello.txt"), "hullo\n");
  EXPECT_NE(read(task).find("- [x] create hello.txt"), std::string::npos) << read(task);

  EXPECT_NE(
      turn("review", 3, 1).find("{\"signal\":\"needs-work\",\"reason\":\"hello.txt says hullo\"}"),
      std::string::npos);
  doc = read(task);
  EXPECT_NE(doc.find("- [ ] create hello.txt"), std::string::npos) << doc;
  EXPECT_NE(doc.find("## Review findings\n- FAIL: hello.txt says hullo\n"), std::string::npos)
      << doc;

  EXPECT_NE(turn("implement", 4, 2).find("\"signal\":\"ready\""), std::string::npos);
  EXPECT_EQ(read(work + "/hello.txt"), "hello\n");
  EXPECT_NE(read(task).find("- [x] create hello.txt"), std::string::npos);
  EXPECT_NE(turn("review", 5, 2).find("\"signal\":\"ready\""), std::string::npos);
}

TEST_F(Fixture, MaxOverlapCountsRunsRunningAtOnce) {
  auto run = [](double start, double end) {
    AgentRunRow r;
    r.started_at = start;
    r.ended_at = end;
    return r;
  };
  EXPECT_EQ(max_overlap({}), 0);
  EXPECT_EQ(max_overlap({run(0, 1), run(1, 2), run(2, 3)}), 1);  // back to back
  EXPECT_EQ(max_overlap({run(0, 10), run(1, 2), run(1.5, 3), run(2.5, 4)}), 3);
  EXPECT_EQ(max_overlap({run(0, -1), run(5, 6)}), 2);  // a run not ended still runs
}

}  // namespace
}  // namespace bottega::testing
