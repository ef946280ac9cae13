// The App losing a repository (spec/intake.md, "The App's access"):
// uninstalled, suspended, or the repository taken out of the installation,
// through the real binary and the fake GitHub, which stops serving and
// sending for what the App lost as GitHub does.
#include <gtest/gtest.h>

#include "tests/e2e/workflow_steps.h"

namespace bottega::testing {
namespace {

class Access : public Workflow {
 protected:
  // Nothing but reads reached GitHub from request `from` on.
  void expect_no_write_since(std::size_t from, const std::string& after) {
    auto requests = github().requests();
    for (std::size_t i = from; i < requests.size(); ++i)
      EXPECT_TRUE(requests[i].method == "GET" ||
                  requests[i].path.find("/access_tokens") != std::string::npos)
          << requests[i].method << " " << requests[i].path << ": a write after " << after;
  }

  std::string phase_of(int issue) {
    auto r = query("SELECT phase FROM tasks WHERE issue = " + std::to_string(issue));
    return r.empty() ? "" : r[0][0].as<std::string>();
  }

  // The delivery id of the trigger label's webhook for `issue`.
  int64_t label_delivery(int issue) {
    const std::string number = "\"number\":" + std::to_string(issue) + ",";
    for (const auto& w : github().webhooks())
      if (w.event == "issues" && w.action == "labeled" && w.body.find(number) != std::string::npos)
        return w.delivery_id;
    return 0;
  }
};

// Uninstalled while an agent works: the agent is stopped, the task ends
// (cancelled, saying why) and nothing more is written to the repository.
TEST_F(Access, UninstallingTheAppStopsTheAgentAndEndsTheTaskWithoutAWrite) {
  ASSERT_NO_FATAL_FAILURE(start_bottega());
  int issue = open_issue("Add a greeting file", "Please add hello.txt that says hello.");
  ASSERT_NO_FATAL_FAILURE(approve_and_wait_for_a_long_implementation(issue));
  const std::size_t before = github().requests().size();
  github().uninstall(installation(), kOwner);
  ASSERT_TRUE(
      wait_until([&] { return phase_of(issue) == "cancelled" && agent_runs()[1].ended_at >= 0; },
                 "the task cancelled and its agent stopped"));
  ASSERT_TRUE(settle());
  EXPECT_EQ(agent_runs()[1].status, "cancelled");
  EXPECT_EQ(count("SELECT count(*) FROM tasks WHERE state->'notes' ? 'The App was uninstalled.'"),
            1);
  expect_no_write_since(before, "the App was uninstalled");
  EXPECT_TRUE(branches().empty()) << "nothing was pushed";
  EXPECT_EQ(count("SELECT count(*) FROM jobs WHERE state = 'dead'"), 0);
}

// Suspended: the task awaiting approval ends; a trigger delivered while
// suspended (GitHub should send none; a redelivery can) starts nothing;
// after unsuspend a new trigger is served again, with a fresh token.
TEST_F(Access, ASuspendedInstallationStartsNothingUntilItIsUnsuspended) {
  ASSERT_NO_FATAL_FAILURE(start_bottega());
  int issue = open_issue("Add a greeting file", "Please add hello.txt that says hello.");
  ASSERT_NO_FATAL_FAILURE(trigger_and_wait_for_plan(issue));
  ASSERT_EQ(phase_of(issue), "awaiting_approval");
  const int64_t trigger = label_delivery(issue);
  ASSERT_NE(trigger, 0);
  ASSERT_TRUE(settle());

  const std::size_t before = github().requests().size();
  github().suspend_installation(installation(), kOwner);
  ASSERT_TRUE(wait_until([&] { return phase_of(issue) == "cancelled"; }, "the task ended"));
  EXPECT_EQ(count("SELECT count(*) FROM tasks WHERE state->'notes' ? "
                  "'The App''s installation was suspended.'"),
            1);
  ASSERT_TRUE(settle());
  const std::size_t suspended = github().requests().size();
  github().send_again_as_another_hook(trigger);
  ASSERT_TRUE(settle());
  EXPECT_EQ(agent_runs().size(), 1u) << "no planning turn while suspended";
  EXPECT_EQ(phase_of(issue), "cancelled");
  auto requests = github().requests();
  for (std::size_t i = suspended; i < requests.size(); ++i)
    ADD_FAILURE() << requests[i].method << " " << requests[i].path
                  << ": the app acted on an event of a suspended installation";
  EXPECT_EQ(count("SELECT count(*) FROM jobs WHERE state = 'dead'"), 0);
  expect_no_write_since(before, "the installation was suspended");

  github().unsuspend_installation(installation(), kOwner);
  ASSERT_TRUE(settle());
  int next = open_issue("Add a farewell file", "Please add bye.txt that says bye.");
  ASSERT_NO_FATAL_FAILURE(trigger_and_wait_for_plan(next));
  EXPECT_EQ(agent_runs().size(), 2u);
}

// A repository taken out of the installation: its tasks end without a
// write; another repository's removal leaves them alone.
TEST_F(Access, ARepositoryRemovedFromTheInstallationEndsOnlyItsTasks) {
  ASSERT_TRUE(github()
                  .add_repository(installation(), kOwner, "gadgets", {{"README.md", "# gadgets\n"}})
                  .ok());
  ASSERT_NO_FATAL_FAILURE(start_bottega());
  int issue = open_issue("Add a greeting file", "Please add hello.txt that says hello.");
  ASSERT_NO_FATAL_FAILURE(trigger_and_wait_for_plan(issue));
  ASSERT_TRUE(settle());

  github().remove_repository(installation(), kOwner, "gadgets", kOwner);
  ASSERT_TRUE(settle());
  EXPECT_EQ(phase_of(issue), "awaiting_approval")
      << "another repository's removal ends nothing here";

  const std::size_t before = github().requests().size();
  github().remove_repository(installation(), kOwner, kRepo, kOwner);
  ASSERT_TRUE(wait_until([&] { return phase_of(issue) == "cancelled"; }, "the task ended"));
  ASSERT_TRUE(settle());
  EXPECT_EQ(count("SELECT count(*) FROM tasks WHERE state->'notes' ? "
                  "'The repository was removed from the App''s installation.'"),
            1);
  expect_no_write_since(before, "the repository was removed");
}

}  // namespace
}  // namespace bottega::testing
