// The steps the e2e scenarios share, as people on GitHub take them and as
// the app answers (plan, approve, wait for the pull request, blocked): a
// fixture over WorkflowFixture for the scenario files (workflow_test.cpp,
// containment_test.cpp).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/e2e/workflow_fixture.h"

namespace bottega::testing {

using namespace std::chrono_literals;
using fake_github::CommentView;

inline bool contains_ci(const std::string& haystack, const std::string& needle) {
  auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                        [](char a, char b) {
                          return std::tolower(static_cast<unsigned char>(a)) ==
                                 std::tolower(static_cast<unsigned char>(b));
                        });
  return it != haystack.end();
}

// "#12" not followed by another digit, or a link to pull 12.
inline bool mentions_pull(const std::string& body, int number) {
  const std::string n = std::to_string(number);
  if (body.find("/pull/" + n) != std::string::npos) {
    auto at = body.find("/pull/" + n) + 6 + n.size();
    if (at >= body.size() || !std::isdigit(static_cast<unsigned char>(body[at]))) return true;
  }
  for (auto at = body.find("#" + n); at != std::string::npos; at = body.find("#" + n, at + 1)) {
    auto end = at + 1 + n.size();
    if (end >= body.size() || !std::isdigit(static_cast<unsigned char>(body[end]))) return true;
  }
  return false;
}

inline std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

class Workflow : public WorkflowFixture {
 protected:
  static constexpr std::chrono::seconds kVeryLong{240};

  // Label by a writer → planning turn → the plan comment (revision 1) and
  // bottega:awaiting-approval.
  void trigger_and_wait_for_plan(int issue) {
    label_issue(issue);
    ASSERT_TRUE(wait_for_plan(issue, 1));
  }

  ::testing::AssertionResult wait_for_plan(int issue, int revision,
                                           std::chrono::milliseconds timeout = kLong) {
    return wait_until(
        [&] {
          return plan_revision(issue) == revision &&
                 phase_labels(issue) == std::vector<std::string>{"bottega:awaiting-approval"};
        },
        "plan revision " + std::to_string(revision) + " on #" + std::to_string(issue) +
            " awaiting approval (the plan comment's marker, label bottega:awaiting-approval only)",
        timeout);
  }

  // /approve by the writer, acknowledged with 👀.
  void approve(int issue, const std::string& text = "/approve") {
    int64_t id = comment(issue, kWriter, text);
    ASSERT_TRUE(wait_for_reaction(id, "eyes"));
  }

  // An approved task whose implementation turn (turn 2) runs and waits
  // (the agent sleeps 45 s first), the issue labelled bottega:working.
  void approve_and_wait_for_a_long_implementation(int issue) {
    write_scenario(std::to_string(issue) + "/implement",
                   with_prefix({"sleep 45000"}, implement_turn()));
    ASSERT_NO_FATAL_FAILURE(trigger_and_wait_for_plan(issue));
    ASSERT_NO_FATAL_FAILURE(approve(issue));
    ASSERT_TRUE(wait_until(
        [&] {
          auto runs = agent_runs();
          return runs.size() == 2 && runs[1].role == "implement" && runs[1].ended_at < 0;
        },
        "the implementation turn running"));
    ASSERT_TRUE(wait_for_label(issue, "bottega:working"));
  }

  // A refused command: 👎 by the app.
  int64_t refused(int issue, const std::string& user, const std::string& text) {
    int64_t id = comment(issue, user, text);
    EXPECT_TRUE(wait_for_reaction(id, "-1")) << user << ": " << text;
    return id;
  }

  // The end of every successful task: one open pull from
  // bottega/<issue>-<slug> into main with the agent's files and
  // "Closes #<issue>" and the to-do list in its body; bottega:pr-open as
  // the only phase label; one plan comment; one status comment mentioning
  // the pull.
  void expect_pull_request(int issue,
                           const std::map<std::string, std::string>& files = {{"hello.txt",
                                                                               "hello\n"}},
                           const std::vector<std::string>& todo = {"create hello.txt"},
                           std::chrono::milliseconds timeout = kVeryLong) {
    const std::string n = std::to_string(issue);
    ASSERT_TRUE(wait_for_pull(issue, timeout));
    ASSERT_TRUE(wait_until(
        [&] { return phase_labels(issue) == std::vector<std::string>{"bottega:pr-open"}; },
        "bottega:pr-open as the only phase label of #" + n));
    auto pulls = pulls_for(issue);
    ASSERT_EQ(pulls.size(), 1u) << describe_state();
    const auto& pr = pulls[0];
    EXPECT_EQ(pr.state, "open");
    EXPECT_EQ(pr.base_ref, "main");
    EXPECT_EQ(pr.user, kAppBot);
    EXPECT_GT(pr.head_ref.size(), ("bottega/" + n + "-").size())
        << "the branch has a slug: " << pr.head_ref;
    EXPECT_NE(pr.body.find("Closes #" + n), std::string::npos) << pr.body;
    for (const auto& item : todo)
      EXPECT_NE(pr.body.find(item), std::string::npos) << item << "\n" << pr.body;
    for (const auto& [path, content] : files)
      EXPECT_EQ(file_at(pr.head_ref, path), std::optional<std::string>(content))
          << path << " on " << pr.head_ref;
    EXPECT_TRUE(wait_until(
        [&] {
          auto status = status_comment(issue);
          return status && mentions_pull(status->body, pr.number);
        },
        "the status comment of #" + n + " to mention pull #" + std::to_string(pr.number)));
    EXPECT_EQ(marked_comments(issue, kPlanMarker).size(), 1u);
    EXPECT_EQ(marked_comments(issue, kStatusMarker).size(), 1u);
  }

  // The app's labels never went on twice (each "labeled" by the app once per
  // label), and the issue carries no label twice.
  void expect_no_label_added_twice(int issue) {
    std::map<std::string, int> added;
    for (const auto& e : github().label_history(kOwner, kRepo, issue))
      if (e.action == "labeled" && e.user == kAppBot) ++added[e.label];
    for (const auto& [label, times] : added)
      EXPECT_EQ(times, 1) << label << " added " << times << " times";
    auto all = labels(issue);
    std::set<std::string> unique(all.begin(), all.end());
    EXPECT_EQ(unique.size(), all.size());
  }

  bool ever_labeled(int issue, const std::string& label) {
    for (const auto& e : github().label_history(kOwner, kRepo, issue))
      if (e.action == "labeled" && e.label == label) return true;
    return false;
  }

  std::vector<std::string> roles_in_order() {
    std::vector<std::string> out;
    for (const auto& r : agent_runs()) out.push_back(r.role);
    return out;
  }

  // Waits for the status comment to say why the task is blocked.
  ::testing::AssertionResult wait_for_blocked(int issue, const std::string& reason_word) {
    return wait_until(
        [&] {
          auto status = status_comment(issue);
          return phase_labels(issue) == std::vector<std::string>{"bottega:blocked"} && status &&
                 contains_ci(status->body, reason_word);
        },
        "#" + std::to_string(issue) +
            " blocked (label bottega:blocked only) with a status comment saying '" + reason_word +
            "'");
  }

  // Turn `turn` of a new issue's task fails as `scenario` makes it: the task
  // ends blocked with `reason_word` in its status and no PR; `/retry` gets
  // 👀 and goes on to a PR; the failed run is recorded as `role`, `status`.
  void expect_failed_turn_then_retry(int turn, const Scenario& scenario,
                                     const std::string& reason_word, const std::string& role,
                                     const std::string& status) {
    ASSERT_NO_FATAL_FAILURE(start_bottega());
    int issue = open_issue("Add a greeting file", "Please add hello.txt that says hello.");
    write_scenario(std::to_string(issue) + "/turn-" + std::to_string(turn), scenario);
    ASSERT_NO_FATAL_FAILURE(trigger_and_wait_for_plan(issue));
    ASSERT_NO_FATAL_FAILURE(approve(issue));
    ASSERT_TRUE(wait_for_blocked(issue, reason_word));
    EXPECT_TRUE(pulls_for(issue).empty());

    int64_t retry = comment(issue, kWriter, "/retry");
    ASSERT_TRUE(wait_for_reaction(retry, "eyes"));
    ASSERT_NO_FATAL_FAILURE(expect_pull_request(issue));
    auto runs = agent_runs();
    ASSERT_GE(runs.size(), 4u);
    EXPECT_EQ(runs[turn - 1].role, role);
    EXPECT_EQ(runs[turn - 1].status, status);
  }
};

}  // namespace bottega::testing
