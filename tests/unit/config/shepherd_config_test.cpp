// The repository config's pull request keys (spec/repository-config.md):
// limits.max_ci_fixes, limits.max_conflict_fixes and the shepherd section;
// and the /fix command.
#include <gtest/gtest.h>

#include "config/repo_config.h"
#include "github/commands.h"

namespace bottega {
namespace {

TEST(ShepherdConfig, DefaultsWithoutTheKeys) {
  auto c = parse_repo_config("", RepoConfig{});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->max_ci_fixes, 3);
  EXPECT_EQ(c->max_conflict_fixes, 3);
  EXPECT_TRUE(c->trusted_bots.empty());
  EXPECT_TRUE(c->review_fixes);
  EXPECT_EQ(c->update_method, "merge");
}

TEST(ShepherdConfig, ReadsEveryKey) {
  auto c = parse_repo_config(
      "limits:\n  max_ci_fixes: 5\n  max_conflict_fixes: 0\n"
      "shepherd:\n  trusted_bots: [coderabbitai, \"copilot[bot]\"]\n  update: rebase\n"
      "  review_fixes: false\n",
      RepoConfig{});
  ASSERT_TRUE(c.ok()) << c.error().describe();
  EXPECT_EQ(c->max_ci_fixes, 5);
  EXPECT_EQ(c->max_conflict_fixes, 0);
  EXPECT_EQ(c->trusted_bots, (std::vector<std::string>{"coderabbitai", "copilot[bot]"}));
  EXPECT_EQ(c->update_method, "rebase");
  EXPECT_FALSE(c->review_fixes);
  EXPECT_TRUE(is_trusted_bot(*c, "coderabbitai[bot]"));
  EXPECT_TRUE(is_trusted_bot(*c, "Copilot[bot]"));
  EXPECT_FALSE(is_trusted_bot(*c, "dependabot[bot]"));
  EXPECT_FALSE(is_trusted_bot(*c, "coderabbitai-evil[bot]"));
}

TEST(ShepherdConfig, RefusesBadValuesNamingTheKey) {
  struct Case {
    const char* yaml;
    const char* key;
  };
  for (const Case& c : {Case{"limits:\n  max_ci_fixes: 21\n", "limits.max_ci_fixes"},
                        Case{"limits:\n  max_conflict_fixes: -1\n", "limits.max_conflict_fixes"},
                        Case{"shepherd:\n  update: squash\n", "shepherd.update"},
                        Case{"shepherd:\n  review_fixes: maybe\n", "shepherd.review_fixes"},
                        Case{"shepherd:\n  trusted_bots: [\"a b\"]\n", "shepherd.trusted_bots"},
                        Case{"shepherd:\n  trusted_bot: [x]\n", "shepherd.trusted_bot"}}) {
    auto r = parse_repo_config(c.yaml, RepoConfig{});
    ASSERT_FALSE(r.ok()) << c.yaml;
    EXPECT_EQ(r.error().key, c.key) << c.yaml;
  }
}

TEST(FixCommand, TakesTheRestOfTheCommentAsItsRequest) {
  auto p = github::parse_comment("/fix rename greet\nand add a test\n");
  ASSERT_EQ(p.kind, github::ParsedComment::Kind::command);
  EXPECT_EQ(p.command.name, github::CommandName::fix);
  EXPECT_EQ(p.command.args, "rename greet\nand add a test");
}

TEST(FixCommand, AShortWordIsOnlyAMistypedFixOneEditAway) {
  EXPECT_EQ(github::parse_comment("/fox it").kind, github::ParsedComment::Kind::mistyped);
  EXPECT_EQ(github::parse_comment("/fox it").suggestion, "/fix");
  EXPECT_EQ(github::parse_comment("/bin is where it lives").kind,
            github::ParsedComment::Kind::none);
  EXPECT_EQ(github::parse_comment("/lib too").kind, github::ParsedComment::Kind::none);
}

}  // namespace
}  // namespace bottega
