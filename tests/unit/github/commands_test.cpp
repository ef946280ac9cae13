#include "github/commands.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace bottega::github {
namespace {

using Kind = ParsedComment::Kind;

::testing::AssertionResult IsCommand(const ParsedComment& p, CommandName name,
                                     const std::string& args = "") {
  if (p.kind != Kind::command)
    return ::testing::AssertionFailure()
           << "not a command (kind " << static_cast<int>(p.kind) << ", typed '" << p.typed << "')";
  if (p.command.name != name)
    return ::testing::AssertionFailure() << "command /" << to_string(p.command.name);
  if (p.command.args != args)
    return ::testing::AssertionFailure() << "args '" << p.command.args << "'";
  return ::testing::AssertionSuccess();
}

// ---- Table: what each body parses to ----

struct Case {
  const char* what;
  const char* body;
  Kind kind;
  CommandName name = CommandName::help;
  const char* args = "";
};

const Case kCases[] = {
    {"empty", "", Kind::none},
    {"prose", "Looks good to me.\nThanks!", Kind::none},
    {"each command: plan", "/plan", Kind::command, CommandName::plan},
    {"each command: revise", "/revise", Kind::command, CommandName::revise},
    {"each command: approve", "/approve", Kind::command, CommandName::approve},
    {"each command: cancel", "/cancel", Kind::command, CommandName::cancel},
    {"each command: retry", "/retry", Kind::command, CommandName::retry},
    {"each command: status", "/status", Kind::command, CommandName::status},
    {"each command: help", "/help", Kind::command, CommandName::help},
    {"any case", "/APPROVE", Kind::command, CommandName::approve},
    {"mixed case", "/Plan focus on tests", Kind::command, CommandName::plan, "focus on tests"},
    {"up to three spaces", "   /approve", Kind::command, CommandName::approve},
    {"four spaces is code", "    /approve", Kind::none},
    {"a tab is code", "\t/approve", Kind::none},
    {"space then tab is code", "  \t/approve", Kind::none},
    {"after prose lines", "Thanks for the plan.\n\n/approve\n", Kind::command,
     CommandName::approve},
    {"not at line start", "please /approve", Kind::none},
    {"inline code", "`/approve`", Kind::none},
    {"followed by punctuation is not a command", "/approve.", Kind::none},
    {"word with a hyphen", "/approve-later", Kind::none},
    {"plan guidance", "/plan   use the new API  ", Kind::command, CommandName::plan,
     "use the new API"},
    {"plan guidance is one line", "/plan use X\nmore text", Kind::command, CommandName::plan,
     "use X"},
    {"retry note", "/retry\tthe network was down", Kind::command, CommandName::retry,
     "the network was down"},
    {"approve keeps its line (a revision)", "/approve 2", Kind::command, CommandName::approve, "2"},
    {"approve keeps only its own line", "/approve r3\nthanks", Kind::command, CommandName::approve,
     "r3"},
    {"status ignores extra text", "/status please", Kind::command, CommandName::status},
    {"revise takes the rest", "/revise split it\ninto two PRs\n\n- one\n- two\n", Kind::command,
     CommandName::revise, "split it\ninto two PRs\n\n- one\n- two"},
    {"revise feedback on next lines", "/revise\n\n  Use X.  \n", Kind::command, CommandName::revise,
     "Use X."},
    {"crlf", "Thanks\r\n/plan add tests\r\nbye\r\n", Kind::command, CommandName::plan, "add tests"},
    {"crlf revise", "/revise a\r\nb\r\n", Kind::command, CommandName::revise, "a\nb"},
    {"bare slash", "/\n/ approve", Kind::none},
    {"quote", "> /approve", Kind::none},
    {"indented quote", "  >/approve", Kind::none},
    {"backtick fence", "```\n/approve\n```", Kind::none},
    {"tilde fence", "~~~sh\n/approve\n~~~", Kind::none},
    {"after a fence", "```\ncode\n```\n/approve", Kind::command, CommandName::approve},
    {"longer fence needs a long close", "````\n```\n/approve\n````\n/cancel", Kind::command,
     CommandName::cancel},
    {"other fence char does not close", "~~~\n```\n/approve\n~~~\n/status", Kind::command,
     CommandName::status},
    {"unclosed fence runs to the end", "```\n/approve", Kind::none},
    {"indented fence", "   ```\n/approve\n   ```\n/help", Kind::command, CommandName::help},
    {"closing fence with trailing text does not close", "```\n``` x\n/approve\n```\n/retry",
     Kind::command, CommandName::retry},
    {"inline code with three backticks is no fence", "```/x```\n/approve", Kind::command,
     CommandName::approve},
    {"crlf fence", "```\r\n/approve\r\n```\r\n/cancel\r\n", Kind::command, CommandName::cancel},
    {"html comment", "<!--\n/approve\n-->", Kind::none},
    {"after an html comment", "<!-- note -->\n/approve", Kind::command, CommandName::approve},
    {"after a multi-line html comment", "<!-- a\n/cancel\nb -->\n/approve", Kind::command,
     CommandName::approve},
    {"path", "/usr/bin/env bash", Kind::none},
    {"short path", "/path/to/file", Kind::none},
    {"two letters", "/ok", Kind::none},
    {"far word", "/deploy now", Kind::none},
    {"path then command", "/usr/bin/env\n/approve", Kind::command, CommandName::approve},
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.what; }

class ParseCommentTable : public ::testing::TestWithParam<Case> {};

TEST_P(ParseCommentTable, ParsesAsExpected) {
  const Case& c = GetParam();
  ParsedComment p = parse_comment(c.body);
  ASSERT_EQ(p.kind, c.kind) << c.what << ": typed '" << p.typed << "'";
  if (c.kind == Kind::command) {
    EXPECT_TRUE(IsCommand(p, c.name, c.args)) << c.what;
  }
}

INSTANTIATE_TEST_SUITE_P(Commands, ParseCommentTable, ::testing::ValuesIn(kCases));

// ---- Behaviours, by name ----

TEST(Commands, IgnoresApproveInsideCodeBlock) {
  EXPECT_EQ(parse_comment("Try this:\n```\n/approve\n```\n").kind, Kind::none);
}

TEST(Commands, IgnoresApproveInIndentedCode) {
  EXPECT_EQ(parse_comment("Example:\n\n    /approve\n").kind, Kind::none);
}

TEST(Commands, IgnoresCommandInHiddenHtmlComment) {
  EXPECT_EQ(parse_comment("Thanks!\n<!--\n/approve\n-->\n").kind, Kind::none);
}

TEST(Commands, IgnoresQuotedCommand) {
  EXPECT_EQ(parse_comment("> /approve\n\nWhy did you approve this?").kind, Kind::none);
}

TEST(Commands, FirstCommandWins) {
  EXPECT_TRUE(IsCommand(parse_comment("/cancel\n/approve"), CommandName::cancel));
  EXPECT_TRUE(IsCommand(parse_comment("> /cancel\n/approve\n/cancel"), CommandName::approve));
}

TEST(Commands, ReviseTakesRestOfComment) {
  auto p = parse_comment("Some context.\n/revise Please:\n```\n/approve\n```\nthanks\n");
  EXPECT_TRUE(IsCommand(p, CommandName::revise, "Please:\n```\n/approve\n```\nthanks"));
}

TEST(Commands, SuggestsClosestForMistypedCommand) {
  struct Typo {
    const char* body;
    const char* typed;
    const char* suggestion;
  };
  for (const Typo& t :
       {Typo{"/aprove", "/aprove", "/approve"}, Typo{"/Aprove please", "/Aprove", "/approve"},
        Typo{"/plna", "/plna", "/plan"},  // a swap is one edit
        Typo{"/cancle", "/cancle", "/cancel"}, Typo{"/stats", "/stats", "/status"},
        Typo{"/retyr", "/retyr", "/retry"}, Typo{"/hlep", "/hlep", "/help"},
        Typo{"/revice", "/revice", "/revise"}, Typo{"/approved", "/approved", "/approve"},
        Typo{"  /plans\n/approve", "/plans", "/plan"}}) {
    auto p = parse_comment(t.body);
    ASSERT_EQ(p.kind, Kind::mistyped) << t.body;
    EXPECT_EQ(p.typed, t.typed) << t.body;
    EXPECT_EQ(p.suggestion, t.suggestion) << t.body;
  }
}

TEST(Commands, TiesGoToTheFirstCommandInHelpOrder) {
  // "/plep" is two edits from both /plan and /help; /plan comes first.
  auto p = parse_comment("/plep");
  ASSERT_EQ(p.kind, Kind::mistyped);
  EXPECT_EQ(p.suggestion, "/plan");
  // "/hetr" is two edits from both /retry and /help; /retry comes first.
  EXPECT_EQ(parse_comment("/hetr").suggestion, "/retry");
}

TEST(Commands, IgnoresPaths) {
  for (const char* body :
       {"/usr/bin/env", "/path", "/etc/hosts is wrong", "/tmp", "/var/log", "/home/me", "/api/v3"})
    EXPECT_EQ(parse_comment(body).kind, Kind::none) << body;
}

TEST(Commands, IgnoresMistypedInsideCodeAndQuotes) {
  EXPECT_EQ(parse_comment("```\n/aprove\n```\n> /aprove\n    /aprove").kind, Kind::none);
}

TEST(Commands, NamesRoundTrip) {
  ASSERT_EQ(all_commands().size(), 7u);
  for (CommandName c : all_commands()) {
    EXPECT_EQ(command_from_string(to_string(c)), c);
    EXPECT_EQ(parse_comment("/" + std::string(to_string(c))).command.name, c);
  }
  EXPECT_EQ(command_from_string("HeLp"), CommandName::help);
  EXPECT_EQ(command_from_string("deploy"), std::nullopt);
  EXPECT_EQ(command_from_string(""), std::nullopt);
}

}  // namespace
}  // namespace bottega::github
