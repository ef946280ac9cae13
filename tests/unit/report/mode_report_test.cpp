// What the modes add to the comments, the pull request and the prompts
// (spec/comments.md, spec/prompts.md): the plan comment's other footers,
// the PR's QA results and mode line, the mode prompts.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/prompts/prompts.h"
#include "engine/report/comments.h"
#include "engine/report/task_document.h"

namespace bottega {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(ModeReport, PlanCommentWithAnotherFooterKeepsMarkersAndEditHint) {
  auto body =
      report::render_plan_comment(7, 2, "## Overview\nHi.", "❓ Answer the questions.", true);
  EXPECT_EQ(report::parse_plan_marker(body), (report::PlanCommentMarker{7, 2}));
  EXPECT_EQ(report::extract_plan(body), std::optional<std::string>("## Overview\nHi."));
  EXPECT_THAT(body, HasSubstr("---\n\n❓ Answer the questions."));
  EXPECT_THAT(body, HasSubstr("the edited plan becomes revision 3"));
  EXPECT_THAT(body, Not(HasSubstr("`/approve` to start the work")));
  auto fixed = report::render_plan_comment(7, 2, "## Overview\nHi.", "Started.", false);
  EXPECT_THAT(fixed, Not(HasSubstr("edited plan")));
}

TEST(ModeReport, QaResultsAreTheSectionWithoutComments) {
  const std::string doc =
      "# T (#1)\n\n## Request\n\n> x\n\n## To-do\n- [x] a\n\n## QA results\n\n<!-- guide -->\n"
      "| # | Scenario | Result | Evidence |\n|---|---|---|---|\n| 1 | a | PASS | ok |\n";
  EXPECT_EQ(report::qa_results(doc),
            "| # | Scenario | Result | Evidence |\n|---|---|---|---|\n| 1 | a | PASS | ok |");
  EXPECT_EQ(report::qa_results("## To-do\n- [ ] a\n"), "");
  EXPECT_EQ(report::qa_results("## QA results\n\n<!-- only the guide -->\n"), "");
}

TEST(ModeReport, PullBodyCarriesExtrasAndTheModeLine) {
  auto body = report::render_pr_body(12, "Adds it.", "- [x] a", "### QA results\n\n| 1 | PASS |",
                                     "Made in **solo mode**.");
  EXPECT_THAT(body, HasSubstr("### QA results\n\n| 1 | PASS |"));
  EXPECT_THAT(body, HasSubstr("---\n\nMade in **solo mode**."));
  EXPECT_THAT(body, Not(HasSubstr("checked against it by a review agent")));
  EXPECT_THAT(body, HasSubstr("Closes #12"));
  EXPECT_EQ(report::render_pr_body(12, "Adds it.", "- [x] a", "", ""),
            report::render_pr_body(12, "Adds it.", "- [x] a", ""));
}

prompts::TemplateVars vars() {
  prompts::TemplateVars v;
  for (const auto& name : prompts::prompt_variables()) v[name] = "<" + name + ">";
  return v;
}

TEST(ModePrompts, AreKnownAndRenderWithTheDocumentedVariables) {
  EXPECT_THAT(prompts::mode_prompt_names(),
              ::testing::ElementsAre("plan-product", "solo", "refine"));
  for (const auto& name : prompts::mode_prompt_names()) {
    ASSERT_TRUE(prompts::default_prompt(name)) << name;
    EXPECT_TRUE(prompts::check_override(name, *prompts::default_prompt(name)).ok()) << name;
    auto text = prompts::render_prompt(name, std::nullopt, vars());
    ASSERT_TRUE(text.ok()) << name << ": " << text.error().message;
    EXPECT_THAT(*text, Not(HasSubstr("{{"))) << name;
  }
  EXPECT_EQ(prompts::override_path("solo"), ".github/bottega/prompts/solo.md");
}

TEST(ModePrompts, EachTurnPicksItsPrompt) {
  EXPECT_EQ(prompts::prompt_for("plan", false), "plan");
  EXPECT_EQ(prompts::prompt_for("plan", true), "plan-product");
  EXPECT_EQ(prompts::prompt_for("implement", true), "implement");
  EXPECT_EQ(prompts::prompt_for("solo", false), "solo");
}

TEST(ModePrompts, TheProductPlannerAsksOnlyProductQuestions) {
  auto text = *prompts::render_prompt("plan-product", std::nullopt, vars());
  EXPECT_THAT(text, HasSubstr("Never ask about architecture, code, libraries or tests"));
  EXPECT_THAT(text, HasSubstr("Technical decisions made without asking"));
  EXPECT_THAT(text, HasSubstr("bottega signal questions"));
  EXPECT_THAT(text, HasSubstr("AGENTS.md"));
}

TEST(ModePrompts, ThePlannerMayAskAndEveryAgentReadsTheProjectDocs) {
  auto plan = *prompts::render_prompt("plan", std::nullopt, vars());
  EXPECT_THAT(plan, HasSubstr("## Questions"));
  EXPECT_THAT(plan, HasSubstr("at most 5 numbered questions"));
  EXPECT_THAT(plan, HasSubstr("bottega signal questions"));
  EXPECT_THAT(plan, HasSubstr("**Project docs**"));
  for (const char* name : {"plan", "implement", "review", "solo", "plan-product", "refine"})
    EXPECT_THAT(*prompts::render_prompt(name, std::nullopt, vars()), HasSubstr("AGENTS.md"))
        << name;
  auto review = *prompts::render_prompt("review", std::nullopt, vars());
  EXPECT_THAT(review, HasSubstr("$BOTTEGA_RUN_DIR/evidence/"));
  EXPECT_THAT(review, HasSubstr("| # | Scenario | Result | Evidence |"));
  auto tmpl = std::string(*prompts::default_prompt("plan-template"));
  EXPECT_LT(tmpl.find("## Project docs"), tmpl.find("## To-do"));
  EXPECT_THAT(tmpl, HasSubstr("## QA results"));
}

}  // namespace
}  // namespace bottega
