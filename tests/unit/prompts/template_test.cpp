#include "engine/prompts/template.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace bottega::prompts {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string render_ok(std::string_view text, const TemplateVars& vars) {
  auto rendered = render_template(text, vars, "prompt test.md");
  EXPECT_TRUE(rendered.ok()) << (rendered.ok() ? "" : rendered.error().message);
  return rendered.ok() ? *rendered : "";
}

std::string render_error(std::string_view text, const TemplateVars& vars) {
  auto rendered = render_template(text, vars, "prompt test.md");
  EXPECT_FALSE(rendered.ok()) << "rendered: " << (rendered.ok() ? *rendered : "");
  return rendered.ok() ? "" : rendered.error().message;
}

TEST(RenderTemplate, ReplacesVariables) {
  TemplateVars vars = {{"task", "o/r#1"}, {"iteration", "2"}};
  EXPECT_EQ(render_ok("Task {{task}}, iteration {{iteration}}.", vars), "Task o/r#1, iteration 2.");
}

TEST(RenderTemplate, AllowsSpacesAndTabsInsideTheBraces) {
  TemplateVars vars = {{"a", "x"}};
  EXPECT_EQ(render_ok("[{{ a }}][{{\ta\t}}][{{a   }}]", vars), "[x][x][x]");
}

TEST(RenderTemplate, ReplacesEveryOccurrenceAndAdjacentTags) {
  TemplateVars vars = {{"a", "1"}, {"b", "2"}};
  EXPECT_EQ(render_ok("{{a}}{{b}}{{a}}", vars), "121");
}

TEST(RenderTemplate, TextWithoutTagsIsUnchanged) {
  std::string text = "no tags here\n} { }} single { braces }\n";
  EXPECT_EQ(render_ok(text, {}), text);
  EXPECT_EQ(render_ok("", {}), "");
}

TEST(RenderTemplate, ValuesAreNotScannedAgain) {
  TemplateVars vars = {{"guidance", "use {{task}} and {{ unknown"}, {"task", "t"}};
  EXPECT_EQ(render_ok("G: {{guidance}}", vars), "G: use {{task}} and {{ unknown");
}

TEST(RenderTemplate, ValuesMayBeEmptyOrMultiline) {
  TemplateVars vars = {{"empty", ""}, {"list", "- a\n- b"}};
  EXPECT_EQ(render_ok("[{{empty}}]\n{{list}}\n", vars), "[]\n- a\n- b\n");
}

TEST(RenderTemplate, UnknownVariableNamesTemplateLineAndKnownNames) {
  TemplateVars vars = {{"iteration", "1"}, {"task", "t"}};
  std::string message = render_error("line one\nline two\n\n{{ iteraton }}\n", vars);
  EXPECT_THAT(message, HasSubstr("prompt test.md line 4: unknown variable {{iteraton}}"));
  EXPECT_THAT(message, HasSubstr("did you mean {{iteration}}?"));
  EXPECT_THAT(message, HasSubstr("known: iteration, task"));
}

TEST(RenderTemplate, UnknownVariableWithoutCloseMatchSuggestsNothing) {
  std::string message = render_error("{{zzzzzz}}", {{"task", "t"}});
  EXPECT_THAT(message, HasSubstr("line 1: unknown variable {{zzzzzz}}; known: task"));
  EXPECT_THAT(message, ::testing::Not(HasSubstr("did you mean")));
}

TEST(RenderTemplate, UnclosedTagFailsWithItsLine) {
  EXPECT_THAT(render_error("a\n{{task\n}}", {{"task", "t"}}),
              HasSubstr("prompt test.md line 2: unclosed {{"));
  EXPECT_THAT(render_error("ok {{task}} then {{", {{"task", "t"}}),
              HasSubstr("line 1: unclosed {{"));
  EXPECT_THAT(render_error("{{ task }", {{"task", "t"}}), HasSubstr("unclosed {{"));
}

TEST(RenderTemplate, RejectsAnyOtherSyntax) {
  TemplateVars vars = {{"task", "t"}};
  for (std::string_view text :
       {"{{#if task}}", "{{ task.name }}", "{{Task}}", "{{ 1task }}", "{{}}", "{{ task | upper }}",
        "${{ github.token }}", "{{{task}}}", "{{ task other }}"}) {
    std::string message = render_error(text, vars);
    EXPECT_THAT(message, HasSubstr("is not a variable")) << text;
    EXPECT_THAT(message, HasSubstr("line 1")) << text;
  }
}

TEST(RenderTemplate, LoneClosingBracesArePlainText) {
  EXPECT_EQ(render_ok("a }} b", {}), "a }} b");
}

TEST(RenderTemplate, CountsLinesAcrossReplacedValues) {
  // Lines are the template's, not the output's.
  TemplateVars vars = {{"multi", "1\n2\n3\n"}};
  EXPECT_THAT(render_error("{{multi}}\n{{missing}}", vars), HasSubstr("line 2:"));
}

TEST(TemplateVariables, ListsEachNameOnceInOrderOfFirstUse) {
  EXPECT_THAT(template_variables("{{b}} {{ a }} {{b}}\n{{c_1}}"), ElementsAre("b", "a", "c_1"));
}

TEST(TemplateVariables, SkipsMalformedAndUnclosedTags) {
  EXPECT_THAT(template_variables("{{ a.b }} {{ ok }} {{ unclosed"), ElementsAre("ok"));
  EXPECT_THAT(template_variables("nothing"), IsEmpty());
}

}  // namespace
}  // namespace bottega::prompts
