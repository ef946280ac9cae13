// The fake agent CLI on its own: which scenario it picks for a turn from
// $FAKE_AGENT_SCENARIO_DIR, and the $VAR expansion of its steps.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/support/child_process.h"
#include "tests/support/tls_fixture.h"

namespace bottega::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class FakeAgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("fake-agent-");
    fs::create_directories(dir_ + "/scenarios/7");
    fs::create_directories(dir_ + "/bin");
    fs::create_symlink(BOTTEGA_FAKE_AGENT, dir_ + "/bin/claude");
  }
  void TearDown() override { fs::remove_all(dir_); }

  void scenario(const std::string& name, const std::string& text) {
    std::ofstream(dir_ + "/scenarios/" + name) << text;
  }

  // Runs the agent as the workflow would for one turn; (status, stdout+stderr).
  std::pair<int, std::string> run(const std::string& role, const std::string& issue,
                                  const std::string& turn, const std::string& iteration,
                                  std::map<std::string, std::string> env = {}) {
    env["FAKE_AGENT_SCENARIO_DIR"] = dir_ + "/scenarios";
    env["BOTTEGA_ROLE"] = role;
    env["BOTTEGA_ISSUE"] = issue;
    env["BOTTEGA_TURN"] = turn;
    env["BOTTEGA_ITERATION"] = iteration;
    ChildProcess p(dir_ + "/bin/claude", {"-p", "--output-format", "stream-json"}, env,
                   dir_ + "/out-" + std::to_string(n_++));
    auto status = p.wait(30s);
    EXPECT_TRUE(status.has_value()) << "fake_agent did not finish";
    return {status.value_or(-1), p.output()};
  }

  static std::string read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  std::string dir_;
  int n_ = 0;
};

TEST_F(FakeAgentTest, PicksTheMostSpecificScenarioForTheTurn) {
  for (const char* name : {"plan", "implement-2", "7/plan", "7/implement-1", "7/turn-3"})
    scenario(name, std::string("text from ") + name + "\nresult ok\n");

  struct Case {
    const char* role;
    const char* issue;
    const char* turn;
    const char* iteration;
    const char* picked;
  };
  const Case cases[] = {
      {"plan", "7", "3", "0", "7/turn-3"},            // the turn beats everything
      {"plan", "7", "4", "0", "7/plan"},              // the issue's role
      {"implement", "7", "5", "1", "7/implement-1"},  // the issue's role and iteration
      {"implement", "7", "6", "2", "implement-2"},    // no issue file: the shared role-iteration
      {"plan", "8", "1", "0", "plan"},                // another issue: the shared role
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.role) + " issue " + c.issue + " turn " + c.turn);
    auto [status, out] = run(c.role, c.issue, c.turn, c.iteration);
    EXPECT_EQ(status, 0) << out;
    EXPECT_NE(out.find(std::string("from ") + c.picked + "\""), std::string::npos) << out;
    EXPECT_NE(out.find(std::string("fake_agent issue=") + c.issue + " role=" + c.role +
                       " turn=" + c.turn + " iteration=" + c.iteration + " scenario="),
              std::string::npos)
        << out;
  }
}

TEST_F(FakeAgentTest, NoScenarioForTheTurnIsExitStatus3) {
  scenario("plan", "result ok\n");
  auto [status, out] = run("review", "7", "2", "1");
  EXPECT_EQ(status, 3);
  EXPECT_NE(out.find("fake_agent: no scenario for issue '7' role 'review'"), std::string::npos)
      << out;
  EXPECT_NE(out.find("/scenarios/review"), std::string::npos) << out;  // names what it tried
}

TEST_F(FakeAgentTest, AScenarioFileStillWinsOverTheDirectory) {
  scenario("plan", "text from the directory\nresult ok\n");
  std::ofstream(dir_ + "/single.txt") << "text from the single file\nresult ok\n";
  auto [status, out] = run("plan", "7", "1", "0", {{"FAKE_AGENT_SCENARIO", dir_ + "/single.txt"}});
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("from the single file"), std::string::npos) << out;
  EXPECT_EQ(out.find("from the directory"), std::string::npos) << out;
}

TEST_F(FakeAgentTest, ExpandsVariablesInWriteTextAndStderr) {
  scenario("plan",
           "write $OUT/written-$BOTTEGA_ISSUE.txt issue ${BOTTEGA_ISSUE} role $BOTTEGA_ROLE costs "
           "$$5$UNSET_FAKE_AGENT_VAR.\n"
           "text turn $BOTTEGA_TURN\n"
           "stderr iteration ${BOTTEGA_ITERATION}\n"
           "tool echo \"$BOTTEGA_ROLE-$BOTTEGA_ISSUE\" > \"$OUT/tool.txt\"\n"
           "result ok\n");
  auto [status, out] = run("plan", "7", "3", "0", {{"OUT", dir_}});
  EXPECT_EQ(status, 0) << out;
  EXPECT_EQ(read(dir_ + "/written-7.txt"), "issue 7 role plan costs $5.\n");
  EXPECT_EQ(read(dir_ + "/tool.txt"), "plan-7\n");
  EXPECT_NE(out.find("\"text\":\"turn 3\""), std::string::npos) << out;
  EXPECT_NE(out.find("iteration 0\n"), std::string::npos) << out;
}

}  // namespace
}  // namespace bottega::testing
