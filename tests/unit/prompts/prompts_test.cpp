#include "engine/prompts/prompts.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "engine/report/task_document.h"

namespace bottega::prompts {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

TemplateVars all_vars() {
  return {
      {"task", "octo/widgets#42"},
      {"repository", "octo/widgets"},
      {"issue", "42"},
      {"title", "Add a dark mode"},
      {"task_file", "/var/lib/bottega/runs/7/task.md"},
      {"worktree", "/var/lib/bottega/worktrees/7"},
      {"branch", "bottega/42-add-a-dark-mode"},
      {"iteration", "2"},
      {"max_iterations", "5"},
      {"port_range", "41000-41019"},
      {"setup_commands", "- `npm ci`"},
      {"test_commands", "- `npm test`"},
      {"guidance", "Keep the old theme as the default."},
      {"plan_template", "## Overview\n"},
  };
}

std::string render_default(std::string_view name) {
  auto rendered = render_prompt(name, std::nullopt, all_vars());
  EXPECT_TRUE(rendered.ok()) << name << ": " << (rendered.ok() ? "" : rendered.error().message);
  return rendered.ok() ? *rendered : "";
}

std::string read_source_file(const std::string& path) {
  std::ifstream in(std::string(BOTTEGA_SOURCE_DIR) + "/" + path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(Prompts, NamesTheFourPrompts) {
  EXPECT_THAT(prompt_names(), ElementsAre("plan", "implement", "review", "plan-template"));
}

TEST(Prompts, EveryDefaultIsTheFileItCameFrom) {
  EXPECT_EQ(default_prompt("plan"), read_source_file("config/prompts/plan.md"));
  EXPECT_EQ(default_prompt("implement"), read_source_file("config/prompts/implement.md"));
  EXPECT_EQ(default_prompt("review"), read_source_file("config/prompts/review.md"));
  EXPECT_EQ(default_prompt("plan-template"), read_source_file("config/plan-template.md"));
}

TEST(Prompts, UnknownNameHasNoDefault) {
  EXPECT_EQ(default_prompt("fix"), std::nullopt);
  EXPECT_EQ(default_prompt(""), std::nullopt);
}

TEST(Prompts, DefaultsUseOnlyDocumentedVariables) {
  const auto& known = prompt_variables();
  for (const auto& name : prompt_names()) {
    for (const auto& variable : template_variables(*default_prompt(name))) {
      EXPECT_TRUE(std::find(known.begin(), known.end(), variable) != known.end())
          << name << " uses {{" << variable << "}}";
    }
    EXPECT_TRUE(check_override(name, *default_prompt(name)).ok()) << name;
  }
}

TEST(Prompts, EveryDefaultRendersWithTheDocumentedVariables) {
  for (const auto& name : prompt_names()) {
    std::string text = render_default(name);
    EXPECT_THAT(text, Not(HasSubstr("{{"))) << name;
  }
}

TEST(Prompts, PlanPromptHoldsThePlannerToItsRules) {
  std::string text = render_default("plan");
  EXPECT_THAT(text, HasSubstr("/var/lib/bottega/runs/7/task.md"));
  EXPECT_THAT(text, HasSubstr("/var/lib/bottega/worktrees/7"));
  EXPECT_THAT(text, HasSubstr("Keep the old theme as the default."));
  EXPECT_THAT(text, HasSubstr("41000-41019"));
  EXPECT_THAT(text, HasSubstr("You do not implement anything"));
  EXPECT_THAT(text, HasSubstr("thrown away"));
  EXPECT_THAT(text, HasSubstr("No \"ask the user\""));
  EXPECT_THAT(text, HasSubstr("No deploys"));
  EXPECT_THAT(text, HasSubstr("the app commits, pushes and opens the pull"));
  EXPECT_THAT(text, HasSubstr("Manual scenarios"));
  EXPECT_THAT(text, HasSubstr("`- [ ] `"));
  EXPECT_THAT(text, HasSubstr("Review findings**: leave it empty"));
  EXPECT_THAT(text, HasSubstr("bottega signal plan-ready"));
  EXPECT_THAT(text, HasSubstr("bottega signal blocked --reason"));
  EXPECT_THAT(text, HasSubstr("Never ask questions"));
  EXPECT_THAT(text, HasSubstr("revision"));
}

TEST(Prompts, ImplementPromptPutsReviewFindingsFirstAndForbidsGit) {
  std::string text = render_default("implement");
  EXPECT_THAT(text, HasSubstr("iteration 2 of at most 5"));
  EXPECT_THAT(text, HasSubstr("**Review findings first.**"));
  EXPECT_LT(text.find("Review findings first"), text.find("Then the to-do list"));
  EXPECT_THAT(text, HasSubstr("`- [ ]` becomes `- [x]`"));
  EXPECT_THAT(text, HasSubstr("Never ask questions"));
  EXPECT_THAT(text, HasSubstr("Do not start sub-agents"));
  EXPECT_THAT(text, HasSubstr("Do not commit, push"));
  EXPECT_THAT(text, HasSubstr("- `npm test`"));
  EXPECT_THAT(text, HasSubstr("listen only on a port in\n  41000-41019"));
  EXPECT_THAT(text, HasSubstr("bottega signal ready"));
  EXPECT_THAT(text, HasSubstr("bottega signal blocked --reason"));
}

TEST(Prompts, ReviewPromptIsAdversarialAndNeverFixes) {
  std::string text = render_default("review");
  EXPECT_THAT(text, HasSubstr("adversarial"));
  EXPECT_THAT(text, HasSubstr("Never fix anything"));
  EXPECT_THAT(text, HasSubstr("`bottega signal needs-work` and stop"));
  EXPECT_THAT(text, HasSubstr("**critical** finding"));
  EXPECT_THAT(text, HasSubstr("uncheck the item"));
  // Targeted tests, then the full suite, then the manual scenarios.
  EXPECT_LT(text.find("**Targeted tests.**"), text.find("**The full test suite.**"));
  EXPECT_LT(text.find("**The full test suite.**"), text.find("**Manual scenarios.**"));
  EXPECT_THAT(text, HasSubstr("**PASS**"));
  EXPECT_THAT(text, HasSubstr("**FAIL**"));
  EXPECT_THAT(text, HasSubstr("**BLOCKED**"));
  EXPECT_THAT(text, HasSubstr("41000-41019"));
  EXPECT_THAT(text, HasSubstr("`bottega signal ready`"));
  EXPECT_THAT(text, HasSubstr("`bottega signal blocked --reason"));
}

TEST(Prompts, PlanTemplateHasTheSectionsTheAppReads) {
  std::string text(*default_prompt("plan-template"));
  std::vector<std::string> headings = {"## Overview",          "## Implementation plan",
                                       "## Testing strategy",  "### Unit tests",
                                       "### Manual scenarios", "## To-do",
                                       "## Review findings"};
  std::size_t last = 0;
  for (const auto& heading : headings) {
    std::size_t at = text.find("\n" + heading + "\n");
    if (heading == headings.front()) at = text.starts_with(heading + "\n") ? 0 : std::string::npos;
    ASSERT_NE(at, std::string::npos) << heading;
    EXPECT_GE(at, last) << heading;
    last = at;
  }
  // The guidance comments hold no checkbox the app would count.
  auto doc = report::make_task_document("t", 1, "body", text);
  EXPECT_EQ(report::count_todos(doc), (report::TodoCount{0, 0}));
  EXPECT_EQ(report::plan_summary(doc), "");
}

TEST(RenderPrompt, UsesTheOverrideWhenGiven) {
  auto rendered = render_prompt("review", "Review {{task}} on {{port_range}}.", all_vars());
  ASSERT_TRUE(rendered.ok()) << rendered.error().message;
  EXPECT_EQ(*rendered, "Review octo/widgets#42 on 41000-41019.");
}

TEST(RenderPrompt, OverrideErrorsNameTheRepositoryFile) {
  auto rendered = render_prompt("implement", "a\n{{iteraton}}", all_vars());
  ASSERT_FALSE(rendered.ok());
  EXPECT_THAT(rendered.error().message,
              HasSubstr("prompt .github/bottega/prompts/implement.md line 2: unknown variable "
                        "{{iteraton}} (did you mean {{iteration}}?)"));
}

TEST(RenderPrompt, MissingVariableNamesTheDefaultFile) {
  TemplateVars vars = all_vars();
  vars.erase("task_file");
  auto rendered = render_prompt("plan", std::nullopt, vars);
  ASSERT_FALSE(rendered.ok());
  EXPECT_THAT(rendered.error().message, HasSubstr("prompt config/prompts/plan.md line "));
  EXPECT_THAT(rendered.error().message, HasSubstr("unknown variable {{task_file}}"));
}

TEST(RenderPrompt, RejectsAnUnknownPromptName) {
  auto rendered = render_prompt("deploy", "text", all_vars());
  ASSERT_FALSE(rendered.ok());
  EXPECT_THAT(
      rendered.error().message,
      HasSubstr("unknown prompt \"deploy\"; known: plan, implement, review, plan-template"));
}

TEST(CheckOverride, AcceptsDocumentedVariables) {
  EXPECT_TRUE(check_override("plan", "{{task}} {{ guidance }} {{plan_template}}").ok());
  EXPECT_TRUE(check_override("plan-template", "## Overview\n").ok());
}

TEST(CheckOverride, RejectsUnknownVariablesWithPathAndLine) {
  auto checked = check_override("plan", "ok\n\n{{ secret_token }}");
  ASSERT_FALSE(checked.ok());
  EXPECT_THAT(checked.error().message,
              HasSubstr("prompt .github/bottega/prompts/plan.md line 3: unknown variable "
                        "{{secret_token}}"));
  EXPECT_FALSE(check_override("plan", "{{ a.b }}").ok());
  EXPECT_FALSE(check_override("fix", "text").ok());
}

TEST(OverridePath, IsUnderGithubBottegaPrompts) {
  EXPECT_EQ(override_path("implement"), ".github/bottega/prompts/implement.md");
}

TEST(CommandList, SaysNoneConfiguredWhenEmpty) {
  EXPECT_EQ(command_list({}), "(none configured)");
  EXPECT_EQ(command_list({"", "  "}), "(none configured)");
}

TEST(CommandList, MakesABulletPerCommand) {
  EXPECT_EQ(command_list({"npm ci", "npm test -- --runInBand"}),
            "- `npm ci`\n- `npm test -- --runInBand`");
}

TEST(CommandList, QuotesBackticksSafely) {
  EXPECT_EQ(command_list({"echo `date`"}), "- `` echo `date` ``");
  EXPECT_EQ(command_list({"a ``b`` c"}), "- ```a ``b`` c```");
}

TEST(CommandList, PutsMultilineCommandsInACodeBlock) {
  EXPECT_EQ(command_list({"cd web\r\nnpm test\n"}), "- ```sh\n  cd web\n  npm test\n  ```");
}

}  // namespace
}  // namespace bottega::prompts
