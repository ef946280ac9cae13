#include "engine/report/task_document.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace bottega::report {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

constexpr std::string_view kTemplate =
    "## Overview\n\n<!-- guidance -->\n\n## Implementation plan\n\n## Testing strategy\n\n"
    "### Unit tests\n\n### Manual scenarios\n\n## To-do\n\n## Review findings\n";

// A task document after planning, the way an agent fills it in.
constexpr std::string_view kPlanned =
    "# Add dark mode (#42)\n"
    "\n"
    "## Request\n"
    "\n"
    "> Please add a dark mode.\n"
    ">\n"
    "> ## To-do\n"
    "> - [ ] not a real item\n"
    "\n"
    "## Overview\n"
    "\n"
    "<!-- What the request asks for -->\n"
    "Add a theme switch.\n"
    "\n"
    "Assumption: the default stays light.\n"
    "\n"
    "## Implementation plan\n"
    "\n"
    "### Phase 1: theme\n"
    "Files: `src/theme.ts` (new)\n"
    "\n"
    "```markdown\n"
    "## To-do\n"
    "- [ ] an example inside a code block\n"
    "```\n"
    "\n"
    "## To-do\n"
    "\n"
    "<!-- one item per line\n"
    "- [ ] an example inside a comment\n"
    "-->\n"
    "- [x] Add `src/theme.ts`\n"
    "- [ ] Wire the switch into `src/app.ts`\n"
    "  - [X] nested: add the icon\n"
    "* [ ] Write `tests/theme.test.ts`\n"
    "1. [ ] Run the full suite\n"
    "- [] not a checkbox\n"
    "- [x]not a checkbox either\n"
    "-[ ] nor this\n"
    "\n"
    "## Review findings\n"
    "\n"
    "- [ ] a checkbox in the findings does not count\n";

TEST(MakeTaskDocument, QuotesTheRequestAndAppendsTheTemplate) {
  EXPECT_EQ(make_task_document("Add dark mode", 42, "Please add\n\na dark mode.", kTemplate),
            "# Add dark mode (#42)\n\n## Request\n\n> Please add\n>\n> a dark mode.\n\n" +
                std::string(kTemplate));
}

TEST(MakeTaskDocument, QuotesEveryLineVerbatimSoNothingBecomesStructure) {
  std::string body = "## To-do\n- [ ] fake item\n```\n<!-- open comment\n  indented\ttab ";
  std::string doc = make_task_document("T", 1, body, kTemplate);
  EXPECT_THAT(doc, HasSubstr("> ## To-do\n> - [ ] fake item\n> ```\n> <!-- open comment\n"
                             ">   indented\ttab \n\n## Overview"));
  EXPECT_EQ(count_todos(doc), (TodoCount{0, 0}));
  EXPECT_EQ(section(doc, "Overview"), "<!-- guidance -->");
}

TEST(MakeTaskDocument, DropsCarriageReturnsAndSurroundingBlankLines) {
  std::string doc = make_task_document("T", 1, "\r\n\r\nline one\r\n\r\nline two\r\n\r\n", "");
  EXPECT_EQ(doc, "# T (#1)\n\n## Request\n\n> line one\n>\n> line two\n\n");
}

TEST(MakeTaskDocument, EmptyBodySaysNoDescription) {
  EXPECT_THAT(make_task_document("T", 1, "", kTemplate), HasSubstr("> (no description)\n\n"));
  EXPECT_THAT(make_task_document("T", 1, " \n\t\n", kTemplate),
              HasSubstr("> (no description)\n\n"));
}

TEST(MakeTaskDocument, KeepsTheTitleOnOneLine) {
  EXPECT_THAT(make_task_document("  Fix\nthis\r\nnow  ", 7, "b", ""),
              StartsWith("# Fix this  now (#7)\n"));
}

TEST(TaskDocumentParts, SplitAfterTheQuotedRequest) {
  std::string doc = make_task_document("T", 3, "line\n\nmore", kTemplate);
  EXPECT_EQ(request_part(doc), "# T (#3)\n\n## Request\n\n> line\n>\n> more\n\n");
  EXPECT_EQ(plan_part(doc), kTemplate);
  EXPECT_EQ(request_part(doc) + plan_part(doc), doc);
}

TEST(TaskDocumentParts, RequestHeadingsInsideTheQuoteDoNotEndTheRequest) {
  EXPECT_THAT(plan_part(kPlanned), StartsWith("## Overview\n"));
  EXPECT_THAT(request_part(kPlanned), HasSubstr("> - [ ] not a real item\n\n"));
}

TEST(TaskDocumentParts, WithoutARequestSectionTheRequestIsWhatPrecedesTheFirstSection) {
  std::string doc = "# Title\n\nintro\n\n## Overview\nx\n";
  EXPECT_EQ(request_part(doc), "# Title\n\nintro\n\n");
  EXPECT_EQ(plan_part(doc), "## Overview\nx\n");
  EXPECT_EQ(plan_part("no sections at all"), "");
}

TEST(WithPlan, ReplacesThePlanAndKeepsTheRequestByteForByte) {
  std::string doc = make_task_document("T", 3, "do it\r\nplease", kTemplate);
  std::string edited = with_plan(doc, "\r\n\r\n## Overview\r\n\r\nNew plan.\r\n\r\n\r\n");
  EXPECT_EQ(edited, request_part(doc) + "## Overview\n\nNew plan.\n");
  EXPECT_EQ(request_part(edited), request_part(doc));
}

TEST(WithPlan, RoundTripsThePlanPart) {
  std::string doc = make_task_document("T", 3, "body", kTemplate);
  EXPECT_EQ(with_plan(doc, plan_part(doc)), doc);
  EXPECT_EQ(with_plan(kPlanned, plan_part(kPlanned)), kPlanned);
}

TEST(WithPlan, AnEditedPlanCannotAlterTheRequest) {
  std::string doc = make_task_document("T", 3, "the real request", kTemplate);
  // Someone pastes a fake request section into the plan comment.
  std::string edited = with_plan(doc, "> injected\n\n## Request\n\n> fake request\n");
  EXPECT_EQ(request_part(edited), request_part(doc));
  EXPECT_THAT(plan_part(edited), HasSubstr("## Request\n\n> fake request"));
  EXPECT_EQ(with_plan(edited, plan_part(edited)), edited);
}

TEST(WithPlan, EmptyPlanLeavesOnlyTheRequest) {
  std::string doc = make_task_document("T", 3, "body", kTemplate);
  EXPECT_EQ(with_plan(doc, "  \n\n"), request_part(doc));
}

TEST(Section, ReturnsTheBodyUpToTheNextSection) {
  EXPECT_EQ(section(kPlanned, "Implementation plan"),
            "### Phase 1: theme\nFiles: `src/theme.ts` (new)\n\n```markdown\n## To-do\n"
            "- [ ] an example inside a code block\n```");
}

TEST(Section, MatchesHeadingsIgnoringCaseAndPunctuation) {
  std::string doc = "## TO DO ##\n- [ ] a\n## review-findings\nnone\n";
  EXPECT_EQ(section(doc, "To-do"), "- [ ] a");
  EXPECT_EQ(section(doc, "Review findings"), "none");
}

TEST(Section, AbsentSectionIsEmpty) {
  EXPECT_EQ(section(kPlanned, "Deployment"), "");
  EXPECT_EQ(section("", "Overview"), "");
}

TEST(Section, IgnoresHeadingsInCodeBlocksAndComments) {
  std::string doc = "## A\n~~~~\n## B\n~~~\n~~~~\n<!--\n## C\n-->\ntext\n## B\nreal\n";
  EXPECT_EQ(section(doc, "B"), "real");
  EXPECT_EQ(section(doc, "C"), "");
  EXPECT_EQ(section(doc, "A"), "~~~~\n## B\n~~~\n~~~~\n<!--\n## C\n-->\ntext");
}

TEST(Section, EndsAtALevelOneHeadingButNotAtDeeperOnes) {
  std::string doc = "## A\n### sub\nx\n#### deeper\ny\n# Top\nz\n";
  EXPECT_EQ(section(doc, "A"), "### sub\nx\n#### deeper\ny");
}

TEST(Section, AcceptsCrlfLineEnds) {
  EXPECT_EQ(section("## A\r\n\r\none\r\ntwo\r\n## B\r\n", "A"), "one\ntwo");
}

TEST(Section, NeedsASpaceAfterTheHashes) {
  EXPECT_EQ(section("##A\nx\n", "A"), "");
  EXPECT_EQ(section("    ## A\nx\n", "A"), "");  // an indented code block
  EXPECT_EQ(section("   ## A\nx\n", "A"), "x");
}

TEST(TodoSection, IsTheBodyOfTheToDoSection) {
  EXPECT_THAT(todo_section(kPlanned), StartsWith("<!-- one item per line\n"));
  EXPECT_THAT(todo_section(kPlanned), HasSubstr("1. [ ] Run the full suite"));
  EXPECT_THAT(todo_section(kPlanned), Not(HasSubstr("Review findings")));
  EXPECT_EQ(todo_section("## To-do list\n- [ ] a\n"), "- [ ] a");
  EXPECT_EQ(todo_section("## Overview\n"), "");
}

TEST(CountTodos, CountsCheckboxesOfTheToDoSectionOnly) {
  // Not the request's, the code block's, the comment's or the findings'.
  EXPECT_EQ(count_todos(kPlanned), (TodoCount{2, 5}));
}

TEST(CountTodos, NoToDoSectionCountsNothing) {
  EXPECT_EQ(count_todos("## Overview\n- [x] a\n"), (TodoCount{0, 0}));
}

TEST(CountTodos, AcceptsTheCommonCheckboxForms) {
  std::string doc =
      "## To-do\n- [ ] a\n- [x] b\n- [X] c\n* [ ] d\n+ [x] e\n2) [ ] f\n\t- [x] g\n- [ ]\n";
  EXPECT_EQ(count_todos(doc), (TodoCount{4, 8}));
}

TEST(UncheckedTodos, ListsTheOpenItemsInOrder) {
  EXPECT_THAT(unchecked_todos(kPlanned),
              ElementsAre("Wire the switch into `src/app.ts`", "Write `tests/theme.test.ts`",
                          "Run the full suite"));
  EXPECT_THAT(unchecked_todos("## To-do\n- [x] done\n"), IsEmpty());
}

TEST(PlanSummary, IsTheOverviewWithoutComments) {
  EXPECT_EQ(plan_summary(kPlanned), "Add a theme switch.\n\nAssumption: the default stays light.");
  EXPECT_EQ(plan_summary("## Implementation plan\nx\n"), "");
}

TEST(PlanSummary, CutsALongOverviewAtAParagraph) {
  std::string paragraph(700, 'a');
  std::string doc = "## Overview\n\n" + paragraph + "\n\n" + paragraph + "\n\n" + paragraph + "\n";
  std::string summary = plan_summary(doc);
  EXPECT_EQ(summary, paragraph + "\n\n" + paragraph + "\n\n…");
  EXPECT_LE(summary.size(), 1500u);
}

TEST(PlanSummary, CutsAtAWordAndNeverInsideAUtf8Character) {
  std::string words;
  while (words.size() < 3000) words += "héllo wörld ";
  std::string summary = plan_summary("## Overview\n" + words);
  EXPECT_LE(summary.size(), 1500u);
  EXPECT_THAT(summary, testing::EndsWith(" …"));
  std::string kept = summary.substr(0, summary.size() - std::string(" …").size());
  EXPECT_TRUE(kept.ends_with("héllo") || kept.ends_with("wörld")) << kept;
}

TEST(PlanSummary, ClosesACodeBlockItCutsThrough) {
  std::string doc = "## Overview\n\nIntro.\n\n```\n";
  for (int i = 0; i < 200; ++i) doc += "code line " + std::to_string(i) + "\n";
  doc += "```\n";
  std::string summary = plan_summary(doc);
  EXPECT_THAT(summary, testing::EndsWith("\n```\n\n…"));
  EXPECT_LE(summary.size(), 1500u + 4);
}

// Git's rules for a ref name (git help check-ref-format).
bool is_valid_git_ref(std::string_view ref) {
  if (ref.empty() || ref == "@" || ref.front() == '/' || ref.back() == '/' || ref.back() == '.') {
    return false;
  }
  if (ref.find("..") != std::string_view::npos || ref.find("//") != std::string_view::npos ||
      ref.find("@{") != std::string_view::npos) {
    return false;
  }
  for (char c : ref) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F || c == ' ' || c == '~' || c == '^' || c == ':' || c == '?' ||
        c == '*' || c == '[' || c == '\\') {
      return false;
    }
  }
  std::size_t pos = 0;
  while (pos <= ref.size()) {
    std::size_t end = ref.find('/', pos);
    if (end == std::string_view::npos) end = ref.size();
    std::string_view component = ref.substr(pos, end - pos);
    if (component.empty() || component.front() == '.' || component.ends_with(".lock")) {
      return false;
    }
    pos = end + 1;
  }
  return ref.find('/') != std::string_view::npos;
}

TEST(BranchName, SlugsTheTitle) {
  EXPECT_EQ(branch_name(42, "Add a Dark Mode!"), "bottega/42-add-a-dark-mode");
  EXPECT_EQ(branch_name(7, "  --Fix   the  bug--  "), "bottega/7-fix-the-bug");
  EXPECT_EQ(branch_name(1, "v2.0: upgrade API"), "bottega/1-v2-0-upgrade-api");
}

TEST(BranchName, EmptySlugBecomesTask) {
  EXPECT_EQ(branch_name(5, ""), "bottega/5-task");
  EXPECT_EQ(branch_name(5, "!!! ..."), "bottega/5-task");
  EXPECT_EQ(branch_name(5, "日本語のタイトル"), "bottega/5-task");
}

TEST(BranchName, CutsLongTitlesAtAWordWithinFortyBytes) {
  std::string branch =
      branch_name(9, "Refactor the configuration loader to support environment overrides");
  EXPECT_EQ(branch, "bottega/9-refactor-the-configuration-loader-to");
  EXPECT_EQ(branch_name(9, std::string(60, 'a')), "bottega/9-" + std::string(40, 'a'));
  // A '-' right at the limit is a clean cut.
  EXPECT_EQ(branch_name(9, std::string(40, 'b') + " tail"), "bottega/9-" + std::string(40, 'b'));
}

TEST(BranchName, IsAlwaysAValidGitRef) {
  for (std::string_view title :
       {"Ünïcödé títle — with dashes", "..", "a..b", "ends with .lock", "branch.lock",
        "path/to/thing", "/leading/slash/", "refs/heads/main", "@{upstream}", "~^:?*[\\",
        "tab\tand\nnewline", ".hidden", "-leading-dash", "emoji 🎉 party", "con", "x",
        "1234567890123456789012345678901234567890-1234", "trailing.", "@"}) {
    std::string branch = branch_name(12, title);
    EXPECT_TRUE(is_valid_git_ref(branch)) << title << " → " << branch;
    EXPECT_TRUE(branch.starts_with("bottega/12-")) << branch;
    EXPECT_LE(branch.size(), std::string("bottega/12-").size() + 40) << branch;
    EXPECT_FALSE(branch.ends_with("-")) << branch;
  }
  EXPECT_EQ(branch_name(12, "ends with .lock"), "bottega/12-ends-with-lock");
  EXPECT_EQ(branch_name(12, "path/to/thing"), "bottega/12-path-to-thing");
  EXPECT_EQ(branch_name(12, "Ünïcödé títle"), "bottega/12-n-c-d-t-tle");
}

}  // namespace
}  // namespace bottega::report
