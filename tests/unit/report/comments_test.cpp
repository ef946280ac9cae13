#include "engine/report/comments.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace bottega::report {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr std::string_view kPlan = "## Overview\n\nAdd a switch.\n\n## To-do\n\n- [ ] a\n";

// ---- The plan comment ----

TEST(PlanComment, OpensWithTheMarkerThenTheHeader) {
  std::string body = render_plan_comment(17, 3, kPlan, "write");
  EXPECT_THAT(body,
              StartsWith("<!-- bottega:plan task=17 revision=3 -->\n### Plan (revision 3)\n"));
}

TEST(PlanComment, WrapsThePlanInBeginAndEndMarkers) {
  std::string body = render_plan_comment(17, 3, kPlan, "write");
  EXPECT_THAT(body, HasSubstr("<!-- bottega:plan-begin -->\n\n## Overview\n\nAdd a switch.\n\n"
                              "## To-do\n\n- [ ] a\n\n<!-- bottega:plan-end -->\n"));
}

TEST(PlanComment, FooterSaysWhoMayDoWhat) {
  std::string body = render_plan_comment(17, 3, kPlan, "maintain");
  EXPECT_THAT(body,
              EndsWith("`/approve` to start the work (needs maintain permission) · "
                       "`/revise <feedback>` for a new revision · you may also edit this comment: "
                       "the edited plan becomes revision 4\n"));
}

TEST(PlanComment, RoundTripsThroughItsParsers) {
  std::string body = render_plan_comment(9000000000, 12, kPlan, "write");
  EXPECT_EQ(parse_plan_marker(body), (PlanCommentMarker{9000000000, 12}));
  EXPECT_EQ(extract_plan(body), std::string(kPlan.substr(0, kPlan.size() - 1)));
}

TEST(PlanComment, ClosesACodeBlockThePlanLeftOpen) {
  std::string body = render_plan_comment(1, 1, "## Overview\n```sh\nmake\n", "write");
  EXPECT_THAT(body, HasSubstr("make\n```\n\n<!-- bottega:plan-end -->"));
}

TEST(PlanComment, TooLongPlanIsCutAndCannotBeEditedBack) {
  std::string plan;
  while (plan.size() < 70000) plan += "- [ ] a fairly long to-do item that repeats\n";
  std::string body = render_plan_comment(1, 2, plan, "write");
  EXPECT_LE(body.size(), kMaxCommentBytes);
  EXPECT_EQ(parse_plan_marker(body), (PlanCommentMarker{1, 2}));
  EXPECT_EQ(extract_plan(body), std::nullopt);
  EXPECT_THAT(body, HasSubstr("too long to show here in full"));
  EXPECT_THAT(body, Not(HasSubstr("becomes revision 3")));
}

TEST(ParsePlanMarker, AcceptsWhitespaceAroundTheMarker) {
  EXPECT_EQ(parse_plan_marker("\xEF\xBB\xBF\r\n  <!--bottega:plan  task=5\trevision=1-->\r\nx"),
            (PlanCommentMarker{5, 1}));
}

TEST(ParsePlanMarker, RejectsAnythingElse) {
  for (std::string_view body : {
           "",
           "hello <!-- bottega:plan task=1 revision=1 -->",  // not at the start
           "<!-- bottega:plan-begin -->",
           "<!-- bottega:plan task=1 -->",
           "<!-- bottega:plan task=x revision=1 -->",
           "<!-- bottega:plan task=1 revision=1",
           "<!-- bottega:plan task=-1 revision=1 -->",
           "<!-- bottega:plan task=1 revision=99999999999 -->",
           "<!-- bottega:plan task=99999999999999999999 revision=1 -->",
           "<!-- bottega:status task=1 -->",
           "> <!-- bottega:plan task=1 revision=1 -->",
       }) {
    EXPECT_EQ(parse_plan_marker(body), std::nullopt) << body;
  }
}

TEST(ExtractPlan, ReadsAnEditedCommentWithCrlf) {
  std::string edited =
      "<!-- bottega:plan task=1 revision=2 -->\r\n### Plan (revision 2)\r\n\r\n"
      "<!-- bottega:plan-begin -->\r\n\r\n## Overview\r\n\r\nEdited.\r\n\r\n"
      "<!-- bottega:plan-end -->\r\n\r\n---\r\nfooter";
  EXPECT_EQ(extract_plan(edited), "## Overview\n\nEdited.");
}

TEST(ExtractPlan, IsNulloptWhenAMarkerWasRemoved) {
  EXPECT_EQ(extract_plan("<!-- bottega:plan-begin -->\nplan"), std::nullopt);
  EXPECT_EQ(extract_plan("plan\n<!-- bottega:plan-end -->"), std::nullopt);
  EXPECT_EQ(extract_plan("<!-- bottega:plan-end --> <!-- bottega:plan-begin -->"), std::nullopt);
}

TEST(ExtractPlan, KeepsMarkerTextInsideThePlan) {
  // The first begin and the last end bound the plan, so a plan quoting the
  // markers survives.
  std::string plan = "Mention <!-- bottega:plan-end --> and <!-- bottega:plan-begin --> here.";
  EXPECT_EQ(extract_plan(render_plan_comment(1, 1, plan, "write")), plan);
}

TEST(ExtractPlan, EmptiedPlanIsEmpty) {
  EXPECT_EQ(extract_plan("<!-- bottega:plan-begin -->\n\n<!-- bottega:plan-end -->"), "");
}

// ---- The status comment ----

StatusView failing_view() {
  StatusView v;
  v.task_id = 31;
  v.phase = "blocked";
  v.phase_detail = "implementation turn crashed";
  v.iteration = 2;
  v.max_iterations = 5;
  v.tokens_in = 1234567;
  v.tokens_out = 8901;
  v.cost_usd = 1.234;
  v.max_cost_usd = 10;
  v.elapsed_seconds = 3720;
  v.branch = "bottega/42-add-dark-mode";
  v.branch_url = "https://github.com/o/r/tree/bottega/42-add-dark-mode";
  v.pr_number = 77;
  v.pr_url = "https://github.com/o/r/pull/77";
  v.plan_revision = 3;
  v.approved_revision = 3;
  v.todos = {3, 7};
  v.failure_what = "The implementation agent crashed";
  v.failure_why = "It exited with status 1 before signalling.";
  v.stderr_tail = "Error: boom\n  at main.js:1\n";
  v.notes = {"The review turn changed files; the changes were discarded."};
  v.next_step = "Comment `/retry` to continue.";
  return v;
}

TEST(StatusComment, OpensWithTheMarker) {
  std::string body = render_status_comment(failing_view());
  EXPECT_THAT(body, StartsWith("<!-- bottega:status task=31 -->\n"));
  EXPECT_EQ(parse_status_marker(body), 31);
}

TEST(StatusComment, ShowsTheFactsInATable) {
  std::string body = render_status_comment(failing_view());
  EXPECT_THAT(body, HasSubstr("| Phase | Iteration | To-do | Tokens (in / out) | Cost | Elapsed |\n"
                              "|---|---|---|---|---|---|\n"
                              "| blocked — implementation turn crashed | 2 of 5 | 3 of 7 done | "
                              "1,234,567 / 8,901 | $1.23 of $10.00 | 1h 02m |\n"));
}

TEST(StatusComment, LinksTheBranchAndPullRequest) {
  std::string body = render_status_comment(failing_view());
  EXPECT_THAT(body, HasSubstr("**Branch:** [`bottega/42-add-dark-mode`]"
                              "(https://github.com/o/r/tree/bottega/42-add-dark-mode) · "
                              "**Pull request:** [#77](https://github.com/o/r/pull/77) · "
                              "**Plan:** revision 3, approved\n"));
}

TEST(StatusComment, ExplainsWhatWentWrongWithTheStderrTail) {
  std::string body = render_status_comment(failing_view());
  EXPECT_THAT(body,
              HasSubstr("#### ⚠️ What went wrong\n\n**The implementation agent crashed**\n\n"
                        "It exited with status 1 before signalling.\n\n"
                        "Agent stderr (last 2 lines):\n\n```\nError: boom\n  at main.js:1\n```\n"));
  EXPECT_THAT(body, HasSubstr("\n- The review turn changed files; the changes were discarded.\n"));
  EXPECT_THAT(body, EndsWith("\n**Next:** Comment `/retry` to continue.\n"));
}

TEST(StatusComment, LinksTheTaskPageWhenTheAppHasAnAddress) {
  StatusView v = failing_view();
  v.task_url = "https://bottega.example.com/tasks/31";
  EXPECT_THAT(render_status_comment(v),
              HasSubstr("**Pull request:** [#77](https://github.com/o/r/pull/77) · "
                        "**Task page:** [runs and live transcript]"
                        "(https://bottega.example.com/tasks/31) · **Plan:**"));
  EXPECT_THAT(render_status_comment(failing_view()), Not(HasSubstr("Task page")));
}

TEST(StatusComment, LeavesOutWhatIsNotThereYet) {
  StatusView v;
  v.task_id = 2;
  v.phase = "planning";
  std::string body = render_status_comment(v);
  EXPECT_THAT(body, HasSubstr("| planning | — | — | — | $0.00 | 0s |\n"));
  EXPECT_THAT(body, Not(HasSubstr("Branch")));
  EXPECT_THAT(body, Not(HasSubstr("Pull request")));
  EXPECT_THAT(body, Not(HasSubstr("What went wrong")));
  EXPECT_THAT(body, Not(HasSubstr("Next")));
  EXPECT_THAT(body, Not(HasSubstr("Plan:")));
}

TEST(StatusComment, SaysWhichRevisionWasApproved) {
  StatusView v;
  v.plan_revision = 4;
  v.approved_revision = 3;
  EXPECT_THAT(render_status_comment(v),
              HasSubstr("**Plan:** revision 4 (revision 3 was approved)"));
  v.approved_revision = 0;
  EXPECT_THAT(render_status_comment(v), HasSubstr("**Plan:** revision 4, not approved yet"));
}

TEST(StatusComment, BranchWithoutUrlIsNotALink) {
  StatusView v;
  v.branch = "bottega/1-x";
  v.pr_number = 5;
  EXPECT_THAT(render_status_comment(v),
              HasSubstr("**Branch:** `bottega/1-x` · **Pull request:** #5\n"));
}

TEST(StatusComment, EscapesPipesAndNewlinesInTheTable) {
  StatusView v;
  v.phase = "implementing";
  v.phase_detail = "a | b\nc";
  EXPECT_THAT(render_status_comment(v), HasSubstr("| implementing — a \\| b c |"));
}

TEST(StatusComment, FenceOutgrowsBackticksInTheTail) {
  StatusView v;
  v.failure_what = "crashed";
  v.stderr_tail = "```\ninside ```` four\n";
  EXPECT_THAT(render_status_comment(v), HasSubstr("\n`````\n```\ninside ```` four\n`````\n"));
}

TEST(StatusComment, KeepsOnlyTheLastFortyLinesOfStderr) {
  StatusView v;
  v.failure_what = "crashed";
  for (int i = 1; i <= 100; ++i) v.stderr_tail += "line " + std::to_string(i) + "\n";
  std::string body = render_status_comment(v);
  EXPECT_THAT(body, HasSubstr("Agent stderr (last 40 lines):\n\n```\nline 61\n"));
  EXPECT_THAT(body, HasSubstr("line 100\n```"));
  EXPECT_THAT(body, Not(HasSubstr("line 60\n")));
}

TEST(StatusComment, KeepsAtMostFourKilobytesOfStderrFromALineStart) {
  StatusView v;
  v.failure_what = "crashed";
  v.stderr_tail =
      std::string(3000, 'a') + "\n" + std::string(3000, 'b') + "\n" + std::string(1000, 'c');
  std::string body = render_status_comment(v);
  EXPECT_THAT(body, HasSubstr("(last 2 lines):\n\n```\n" + std::string(3000, 'b') + "\n"));
  EXPECT_THAT(body, Not(HasSubstr("aaa")));

  v.stderr_tail = std::string(10000, 'x');  // one long line: cut anywhere
  body = render_status_comment(v);
  EXPECT_THAT(body, HasSubstr("```\n" + std::string(4096, 'x') + "\n```"));
  EXPECT_THAT(body, Not(HasSubstr(std::string(4097, 'x'))));

  // Never cut inside a character: 4096 bytes back from the end is the middle
  // of a three-byte "€", so the tail starts at the next one.
  v.stderr_tail.clear();
  for (int i = 0; i < 2000; ++i) v.stderr_tail += "€";
  body = render_status_comment(v);
  std::string kept;
  for (int i = 0; i < 1365; ++i) kept += "€";
  EXPECT_THAT(body, HasSubstr("```\n" + kept + "\n```"));
}

TEST(StatusComment, CleansTerminalEscapesFromStderr) {
  StatusView v;
  v.failure_what = "crashed";
  v.stderr_tail =
      "\x1b[31mred\x1b[0m text\n10%\r50%\r100%\n\x1b]0;title\x07"
      "done\x01\r\n";
  EXPECT_THAT(render_status_comment(v), HasSubstr("```\nred text\n100%\ndone\n```"));
}

TEST(StatusComment, DefusesMentionsInAgentText) {
  StatusView v;
  v.failure_what = "Blocked by @alice";
  v.failure_why = "Ask @octo/team or mail bob@example.com";
  v.notes = {"cc @bob"};
  std::string body = render_status_comment(v);
  EXPECT_THAT(body, Not(HasSubstr("@alice")));
  EXPECT_THAT(body, HasSubstr("@\u2060alice"));
  EXPECT_THAT(body, HasSubstr("@\u2060octo/team"));
  EXPECT_THAT(body, HasSubstr("bob@example.com"));
  EXPECT_THAT(body, HasSubstr("cc @\u2060bob"));
}

TEST(StatusComment, CapsLongFieldsAndManyNotes) {
  StatusView v;
  v.failure_what = "crashed";
  v.failure_why = std::string(100000, 'w');
  for (int i = 0; i < 30; ++i)
    v.notes.push_back("note " + std::to_string(i) + std::string(2000, 'n'));
  std::string body = render_status_comment(v);
  EXPECT_LT(body.size(), kMaxCommentBytes);
  EXPECT_THAT(body, HasSubstr("- … and 10 more\n"));
}

TEST(ParseStatusMarker, ReadsOnlyAStatusMarkerAtTheStart) {
  EXPECT_EQ(parse_status_marker("<!-- bottega:status task=8 -->"), 8);
  EXPECT_EQ(parse_status_marker("  <!--bottega:status task=8-->\n"), 8);
  EXPECT_EQ(parse_status_marker("<!-- bottega:plan task=8 revision=1 -->"), std::nullopt);
  EXPECT_EQ(parse_status_marker("text <!-- bottega:status task=8 -->"), std::nullopt);
  EXPECT_EQ(parse_status_marker("<!-- bottega:status task= -->"), std::nullopt);
  EXPECT_EQ(parse_status_marker("<!-- bottega:statustask=8 -->"), std::nullopt);
}

TEST(FormatElapsed, UsesTheTwoLargestUnits) {
  EXPECT_EQ(format_elapsed(0), "0s");
  EXPECT_EQ(format_elapsed(45), "45s");
  EXPECT_EQ(format_elapsed(190), "3m 10s");
  EXPECT_EQ(format_elapsed(60), "1m 00s");
  EXPECT_EQ(format_elapsed(3720), "1h 02m");
  EXPECT_EQ(format_elapsed(86400 * 2 + 3 * 3600 + 59), "2d 03h");
  EXPECT_EQ(format_elapsed(-5), "0s");
}

// ---- The pull request ----

TEST(PrTitle, IsTheIssueTitleOnOneLine) {
  EXPECT_EQ(pr_title("  Add dark\nmode  "), "Add dark mode");
  EXPECT_EQ(pr_title(""), "Bottega task");
}

TEST(PrTitle, IsCutTo256BytesOnACharacterBoundary) {
  std::string title;
  for (int i = 0; i < 200; ++i) title += "é";  // 400 bytes
  std::string cut = pr_title(title);
  EXPECT_EQ(cut.size(), 256u);
  EXPECT_EQ(cut, title.substr(0, 256));
  EXPECT_EQ(pr_title(std::string(255, 'a') + "é").size(), 255u);
}

TEST(PrBody, HasTheSummaryTheToDoListAndClosesTheIssue) {
  std::string body = render_pr_body(42, "Adds a dark mode.", "- [x] theme\n- [x] tests", "");
  EXPECT_EQ(body,
            "Adds a dark mode.\n\n### To-do\n\n- [x] theme\n- [x] tests\n\n---\n\n"
            "Written by coding agents from the plan approved on #42, and checked against it by a "
            "review agent.\n\nCloses #42\n");
}

TEST(PrBody, IncludesExtraAndSkipsEmptyParts) {
  std::string body = render_pr_body(5, "", "", "The task document is in `docs/tasks/5.md`.");
  EXPECT_THAT(body, StartsWith("The task document is in `docs/tasks/5.md`.\n\n---\n\n"));
  EXPECT_THAT(body, Not(HasSubstr("### To-do")));
  EXPECT_THAT(body, EndsWith("\n\nCloses #5\n"));
}

TEST(PrBody, StaysWithinGithubsLimit) {
  std::string todos;
  while (todos.size() < 100000) todos += "- [x] an item\n";
  std::string body = render_pr_body(5, std::string(20000, 's'), todos, std::string(50000, 'e'));
  EXPECT_LT(body.size(), kMaxCommentBytes);
  EXPECT_THAT(body, EndsWith("Closes #5\n"));
}

// ---- Replies ----

TEST(Reply, IsTheTextTrimmed) {
  EXPECT_EQ(render_reply("\n  Approved revision 3.  \n"), "Approved revision 3.");
}

TEST(Reply, CannotPassForAPlanOrStatusComment) {
  std::string reply = render_reply("<!-- bottega:status task=1 --> sneaky");
  EXPECT_EQ(parse_status_marker(reply), std::nullopt);
  EXPECT_EQ(reply, "&lt;!-- bottega:status task=1 --> sneaky");
  reply = render_reply("<!-- bottega:plan task=1 revision=9 -->");
  EXPECT_EQ(parse_plan_marker(reply), std::nullopt);
}

}  // namespace
}  // namespace bottega::report
