#include "app/cli.h"

#include <gtest/gtest.h>

namespace bottega {
namespace {

Result<ParsedCommand> parse(std::vector<std::string> args) {
  return parse_command_line(args, command_specs());
}

TEST(CommandLine, ParsesCommandAndFlagBothForms) {
  auto a = parse({"serve", "--config", "/etc/b.yml"});
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->command, "serve");
  EXPECT_EQ(a->get("config"), "/etc/b.yml");
  auto b = parse({"migrate", "--config=/x.yml"});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->get("config"), "/x.yml");
}

TEST(CommandLine, NoArgumentsOrHelpAsksForTopLevelHelp) {
  for (auto args : {std::vector<std::string>{}, std::vector<std::string>{"--help"}}) {
    auto r = parse(args);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->help);
    EXPECT_TRUE(r->command.empty());
  }
  EXPECT_NE(top_level_help(command_specs()).find("serve"), std::string::npos);
}

TEST(CommandLine, HelpForEachCommand) {
  for (const auto& spec : command_specs()) {
    auto r = parse({spec.name, "--help"});
    ASSERT_TRUE(r.ok()) << spec.name;
    EXPECT_TRUE(r->help);
    EXPECT_EQ(r->command, spec.name);
    EXPECT_NE(command_help(spec).find("Usage: bottega " + spec.name), std::string::npos);
  }
}

TEST(CommandLine, UnknownCommandIsNamed) {
  auto r = parse({"srve"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "unknown command 'srve' (see bottega --help)");
}

TEST(CommandLine, UnknownFlagIsNamed) {
  auto r = parse({"serve", "--port", "3"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "bottega serve: unknown flag '--port' (see bottega serve --help)");
  auto s = parse({"serve", "-x"});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("'-x'"), std::string::npos);
}

TEST(CommandLine, FlagMissingItsValueIsNamed) {
  auto r = parse({"serve", "--config"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "bottega serve: flag '--config' needs a value (FILE)");
  auto e = parse({"serve", "--config="});
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("non-empty"), std::string::npos);
}

TEST(CommandLine, UnexpectedArgumentIsNamed) {
  auto r = parse({"version", "extra"});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("unexpected argument 'extra'"), std::string::npos);
}

TEST(CommandLine, DashDashVersionIsTheVersionCommand) {
  for (const char* spelling : {"--version", "-V"}) {
    auto r = parse({spelling});
    ASSERT_TRUE(r.ok()) << spelling << ": " << r.error().message;
    EXPECT_EQ(r->command, "version") << spelling;
    EXPECT_FALSE(r->help);
  }
  EXPECT_FALSE(parse({"--versions"}).ok());
}

TEST(CommandLine, SwitchRejectsAValue) {
  std::vector<CommandSpec> specs = {{"x", "", "", 0, 0, {{"dry-run", "", ""}}}};
  auto ok = parse_command_line({"x", "--dry-run"}, specs);
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok->has("dry-run"));
  auto bad = parse_command_line({"x", "--dry-run=yes"}, specs);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("takes no value"), std::string::npos);
}

TEST(CommandLine, PositionalsRespectBoundsAndDoubleDash) {
  std::vector<CommandSpec> specs = {{"say", "", "TEXT", 1, 1, {}}};
  EXPECT_FALSE(parse_command_line({"say"}, specs).ok());
  auto r = parse_command_line({"say", "--", "--not-a-flag"}, specs);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->positionals.at(0), "--not-a-flag");
}

}  // namespace
}  // namespace bottega
