#include "config/repo_config.h"

#include <gtest/gtest.h>

#include <string>

namespace bottega {
namespace {

RepoConfig server_defaults() {
  RepoConfig d;
  d.roles["plan"] = RoleConfig{"claude", "claude-sonnet-4-5", "high"};
  d.roles["implement"] = RoleConfig{"codex", "gpt-5-codex", ""};
  return d;
}

Result<RepoConfig, RepoConfigError> parse(const std::string& yaml) {
  return parse_repo_config(yaml, server_defaults());
}

::testing::AssertionResult Fails(const Result<RepoConfig, RepoConfigError>& r,
                                 const std::string& key, const std::string& reason_part, int line) {
  if (r.ok()) return ::testing::AssertionFailure() << "parsed";
  const RepoConfigError& e = r.error();
  if (e.key != key || e.reason.find(reason_part) == std::string::npos || e.line != line)
    return ::testing::AssertionFailure()
           << "got {" << e.key << ", " << e.reason << ", " << e.line << "}";
  return ::testing::AssertionSuccess();
}

TEST(RepoConfig, EmptyTextGivesTheDefaults) {
  for (const char* text : {"", "   \n", "# only a comment\n", "---\n"}) {
    auto c = parse(text);
    ASSERT_TRUE(c.ok()) << text << ": " << c.error().describe();
    EXPECT_EQ(c->trigger_label, "bottega");
    EXPECT_EQ(c->trigger_mode, TriggerMode::label);
    EXPECT_EQ(c->max_iterations, 5);
    EXPECT_EQ(c->max_cost_usd, 10.0);
    EXPECT_EQ(c->command_permission, Permission::write);
    EXPECT_EQ(c->approve_permission, Permission::write);
    EXPECT_TRUE(c->setup_commands.empty());
    EXPECT_TRUE(c->test_commands.empty());
    EXPECT_EQ(c->plan_commit_path, "");
    EXPECT_EQ(c->roles.size(), 2u);
    EXPECT_EQ(c->roles.at("plan").model, "claude-sonnet-4-5");
  }
}

TEST(RepoConfig, ReadsEveryKey) {
  auto c = parse(R"(
trigger:
  label: ai-task
  mode: on_open
roles:
  plan:      { harness: claude, model: claude-opus-4-1, effort: max }
  implement: { harness: codex, model: gpt-5-codex }
  review:    { harness: opencode, model: anthropic/claude-sonnet-4-5, effort: high }
  fix:       { harness: claude, model: sonnet }
limits:
  max_iterations: 7
  max_cost_usd: 2.5
permissions:
  command: triage
  approve: maintain
commands:
  setup: ["npm ci", "npm run build"]
  test: npm test
plan:
  commit_path: docs/plans/{issue}.md
)");
  ASSERT_TRUE(c.ok()) << c.error().describe();
  EXPECT_EQ(c->trigger_label, "ai-task");
  EXPECT_EQ(c->trigger_mode, TriggerMode::on_open);
  ASSERT_EQ(c->roles.size(), 4u);
  EXPECT_EQ(c->roles.at("plan").harness, "claude");
  EXPECT_EQ(c->roles.at("plan").model, "claude-opus-4-1");
  EXPECT_EQ(c->roles.at("plan").effort, "max");
  EXPECT_EQ(c->roles.at("implement").harness, "codex");
  EXPECT_EQ(c->roles.at("review").model, "anthropic/claude-sonnet-4-5");
  EXPECT_EQ(c->roles.at("fix").model, "sonnet");
  EXPECT_EQ(c->max_iterations, 7);
  EXPECT_EQ(c->max_cost_usd, 2.5);
  EXPECT_EQ(c->command_permission, Permission::triage);
  EXPECT_EQ(c->approve_permission, Permission::maintain);
  EXPECT_EQ(c->setup_commands, (std::vector<std::string>{"npm ci", "npm run build"}));
  EXPECT_EQ(c->test_commands, (std::vector<std::string>{"npm test"}));
  EXPECT_EQ(c->plan_commit_path, "docs/plans/{issue}.md");
}

TEST(RepoConfig, KeepsTheDefaultsOfKeysNotSet) {
  RepoConfig d = server_defaults();
  d.trigger_label = "robot";
  d.max_iterations = 9;
  d.approve_permission = Permission::admin;
  d.test_commands = {"make check"};
  auto c = parse_repo_config("limits:\n  max_cost_usd: 0\n", d);
  ASSERT_TRUE(c.ok()) << c.error().describe();
  EXPECT_EQ(c->max_cost_usd, 0.0);  // 0 = no cap
  EXPECT_EQ(c->trigger_label, "robot");
  EXPECT_EQ(c->max_iterations, 9);
  EXPECT_EQ(c->approve_permission, Permission::admin);
  EXPECT_EQ(c->test_commands, (std::vector<std::string>{"make check"}));
  EXPECT_EQ(c->roles.size(), 2u);
}

TEST(RepoConfig, ARoleReplacesTheDefaultRoleWhole) {
  // The default plan role has effort high; the file's has none, and gets none.
  auto c = parse("roles:\n  plan:\n    harness: codex\n    model: o3\n");
  ASSERT_TRUE(c.ok()) << c.error().describe();
  EXPECT_EQ(c->roles.at("plan").harness, "codex");
  EXPECT_EQ(c->roles.at("plan").model, "o3");
  EXPECT_EQ(c->roles.at("plan").effort, "");
  EXPECT_EQ(c->roles.at("implement").model, "gpt-5-codex");  // untouched
}

TEST(RepoConfig, TriggerModeShorthand) {
  auto c = parse("trigger: on_open\n");
  ASSERT_TRUE(c.ok()) << c.error().describe();
  EXPECT_EQ(c->trigger_mode, TriggerMode::on_open);
  EXPECT_EQ(c->trigger_label, "bottega");
  EXPECT_TRUE(Fails(parse("trigger: always\n"), "trigger", "expected label or on_open", 1));
}

TEST(RepoConfig, CommandsTakeAStringAListOrNothing) {
  RepoConfig d = server_defaults();
  d.setup_commands = {"make deps"};
  auto c = parse_repo_config("commands:\n  setup:\n  test:\n    - make test\n    - make lint\n", d);
  ASSERT_TRUE(c.ok()) << c.error().describe();
  EXPECT_TRUE(c->setup_commands.empty());  // set to nothing: no setup commands
  EXPECT_EQ(c->test_commands, (std::vector<std::string>{"make test", "make lint"}));
}

TEST(RepoConfig, CommitPathMayBeEmptied) {
  RepoConfig d = server_defaults();
  d.plan_commit_path = "PLAN.md";
  auto c = parse_repo_config("plan:\n  commit_path: \"\"\n", d);
  ASSERT_TRUE(c.ok()) << c.error().describe();
  EXPECT_EQ(c->plan_commit_path, "");
}

// ---- Every error path: key, reason and line ----

struct ErrorCase {
  const char* what;
  const char* yaml;
  const char* key;
  const char* reason;  // a part of the reason
  int line;
};

const ErrorCase kErrors[] = {
    {"invalid YAML", "limits:\n  max_iterations: [1, 2\n", "", "not valid YAML", 3},
    {"tab indentation", "limits:\n\tmax_iterations: 3\n", "", "not valid YAML", 2},
    {"top level a list", "- a\n- b\n", "", "expected a mapping of trigger, roles", 1},
    {"top level a scalar", "hello\n", "", "expected a mapping", 1},
    {"unknown top-level key", "trigger: label\nlimit:\n  max_iterations: 2\n", "limit",
     "did you mean limits?", 2},
    {"nested key at the top", "max_iterations: 3\n", "max_iterations",
     "did you mean limits.max_iterations?", 1},
    {"unknown key far from all", "colour: red\n", "colour", "unknown key; expected trigger", 1},
    {"non-scalar key", "? [a, b]\n: c\n", "", "expected key names", 1},
    {"duplicate key", "limits:\n  max_iterations: 2\n  max_iterations: 3\n",
     "limits.max_iterations", "given twice", 3},
    {"section not a mapping", "limits: 5\n", "limits",
     "expected a mapping of max_iterations, max_cost_usd, max_question_rounds, max_ci_fixes, "
     "max_conflict_fixes, got \"5\"",
     1},
    {"section a list", "permissions:\n  - write\n", "permissions", "got a list", 1},
    // trigger
    {"unknown trigger key", "trigger:\n  lable: x\n", "trigger.lable",
     "did you mean trigger.label?", 2},
    {"empty label", "trigger:\n  label: \"\"\n", "trigger.label", "(empty)", 2},
    {"null label", "trigger:\n  label:\n", "trigger.label", "(empty)", 2},
    {"label with comma", "trigger:\n  label: a,b\n", "trigger.label", "contains a comma", 2},
    {"label too long", "trigger:\n  label: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
     "trigger.label", "longer than 50 characters", 2},
    {"label a list", "trigger:\n  label: [a]\n", "trigger.label",
     "expected a single value, got a list", 2},
    {"bad mode", "trigger:\n  mode: on_comment\n", "trigger.mode",
     "expected label or on_open, got \"on_comment\"", 2},
    // roles
    {"unknown role", "roles:\n  planner:\n    harness: claude\n", "roles.planner",
     "expected plan, implement, review or fix", 2},
    {"role not a mapping", "roles:\n  plan: claude\n", "roles.plan",
     "expected a mapping with harness, model and effort, got \"claude\"", 2},
    {"role null", "roles:\n  plan:\n", "roles.plan", "got nothing", 2},
    {"role without harness", "roles:\n  plan:\n    model: opus\n", "roles.plan.harness", "required",
     2},
    {"role unknown harness", "roles:\n  plan:\n    harness: gemini\n    model: x\n",
     "roles.plan.harness", "got \"gemini\"", 3},
    {"role without model", "roles:\n  review:\n    harness: codex\n", "roles.review.model",
     "no model given", 2},
    {"model the harness cannot run",
     "roles:\n  implement:\n    harness: claude\n    model: gpt-5\n", "roles.implement.model",
     "harness claude cannot run model 'gpt-5'", 4},
    {"opencode needs provider/model", "roles:\n  fix: {harness: opencode, model: gpt-5}\n",
     "roles.fix.model", "provider/model", 2},
    {"bad effort", "roles:\n  plan:\n    harness: claude\n    model: opus\n    effort: xhigh\n",
     "roles.plan.effort", "takes effort low, medium, high or max", 5},
    {"unknown role key", "roles:\n  plan:\n    harness: claude\n    modle: opus\n",
     "roles.plan.modle", "did you mean roles.plan.model?", 4},
    {"role key a mapping", "roles:\n  plan:\n    harness: {a: b}\n", "roles.plan.harness",
     "expected a single value, got a mapping", 3},
    // limits
    {"iterations not a number", "limits:\n  max_iterations: many\n", "limits.max_iterations",
     "expected a whole number from 1 to 50, got \"many\"", 2},
    {"iterations zero", "limits:\n  max_iterations: 0\n", "limits.max_iterations", "got \"0\"", 2},
    {"iterations too many", "limits:\n  max_iterations: 51\n", "limits.max_iterations",
     "got \"51\"", 2},
    {"iterations negative", "limits:\n  max_iterations: -1\n", "limits.max_iterations",
     "got \"-1\"", 2},
    {"iterations decimal", "limits:\n  max_iterations: 2.5\n", "limits.max_iterations",
     "got \"2.5\"", 2},
    {"iterations huge", "limits:\n  max_iterations: 99999999999999999999\n",
     "limits.max_iterations", "from 1 to 50", 2},
    {"cost negative", "limits:\n  max_cost_usd: -5\n", "limits.max_cost_usd",
     "expected US dollars from 0 (no cap) to 1000000, got \"-5\"", 2},
    {"cost not a number", "limits:\n  max_cost_usd: ten\n", "limits.max_cost_usd", "got \"ten\"",
     2},
    {"cost infinite", "limits:\n  max_cost_usd: .inf\n", "limits.max_cost_usd", "got \".inf\"", 2},
    {"cost with exponent", "limits:\n  max_cost_usd: 1e3\n", "limits.max_cost_usd", "got \"1e3\"",
     2},
    {"cost too high", "limits:\n  max_cost_usd: 2000000\n", "limits.max_cost_usd", "1000000", 2},
    {"cost null", "limits:\n  max_cost_usd:\n", "limits.max_cost_usd", "got \"\"", 2},
    // permissions
    {"bad command permission", "permissions:\n  command: push\n", "permissions.command",
     "expected read, triage, write, maintain or admin, got \"push\"", 2},
    {"none is no level", "permissions:\n  approve: none\n", "permissions.approve", "got \"none\"",
     2},
    {"permission case", "permissions:\n  approve: Admin\n", "permissions.approve", "got \"Admin\"",
     2},
    {"unknown permissions key", "permissions:\n  merge: admin\n", "permissions.merge",
     "unknown key; expected command or approve", 2},
    // commands
    {"commands a mapping", "commands:\n  setup:\n    npm: ci\n", "commands.setup",
     "expected a command or a list of commands, got a mapping", 2},
    {"command entry a list", "commands:\n  test:\n    - make\n    - [a, b]\n", "commands.test",
     "entry 2: expected a command, got a list", 4},
    {"command entry empty", "commands:\n  test: [\"make\", \"\"]\n", "commands.test",
     "entry 2: expected a command, got an empty one", 2},
    {"unknown commands key", "commands:\n  tests: make\n", "commands.tests",
     "did you mean commands.test?", 2},
    // plan
    {"absolute commit path", "plan:\n  commit_path: /etc/plan.md\n", "plan.commit_path",
     "relative to the repository root", 2},
    {"commit path with ..", "plan:\n  commit_path: docs/../../x.md\n", "plan.commit_path",
     "must not contain ..", 2},
    {"commit path into .git", "plan:\n  commit_path: .git/hooks/post-checkout\n",
     "plan.commit_path", "must not be inside .git", 2},
    {"commit path into .GIT", "plan:\n  commit_path: .GIT/config\n", "plan.commit_path",
     "must not be inside .git", 2},
    {"commit path through ./.git", "plan:\n  commit_path: ./.git/config\n", "plan.commit_path",
     "without empty or . parts", 2},
    {"commit path a directory", "plan:\n  commit_path: docs/plans/\n", "plan.commit_path",
     "without empty or . parts", 2},
    {"commit path with //", "plan:\n  commit_path: docs//x.md\n", "plan.commit_path",
     "without empty or . parts", 2},
    {"commit path unknown placeholder", "plan:\n  commit_path: plans/{title}.md\n",
     "plan.commit_path", "only {issue} is replaced", 2},
    {"commit path control character", "plan:\n  commit_path: \"a\\nb.md\"\n", "plan.commit_path",
     "control character", 2},
    {"unknown plan key", "plan:\n  path: x.md\n", "plan.path", "expected commit_path", 2},
    {"first problem in document order", "limits:\n  max_iterations: 0\ncolour: red\n",
     "limits.max_iterations", "from 1 to 50", 2},
};

void PrintTo(const ErrorCase& c, std::ostream* os) { *os << c.what; }

class RepoConfigErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(RepoConfigErrors, NameTheKeyTheReasonAndTheLine) {
  const ErrorCase& c = GetParam();
  EXPECT_TRUE(Fails(parse(c.yaml), c.key, c.reason, c.line)) << c.what;
}

INSTANTIATE_TEST_SUITE_P(RepoConfig, RepoConfigErrors, ::testing::ValuesIn(kErrors));

TEST(RepoConfig, DescribeNamesTheFileLineKeyAndReason) {
  RepoConfigError e{"limits.max_iterations", "expected a whole number from 1 to 50, got \"many\"",
                    4};
  EXPECT_EQ(e.describe(),
            ".github/bottega.yml line 4: limits.max_iterations: expected a whole number from 1 "
            "to 50, got \"many\"");
  EXPECT_EQ((RepoConfigError{"", "not valid YAML: end of map not found", 2}).describe(),
            ".github/bottega.yml line 2: not valid YAML: end of map not found");
  EXPECT_EQ((RepoConfigError{"", "too large", 0}).describe(), ".github/bottega.yml: too large");
}

TEST(RepoConfig, LongValuesAreCutShortInErrors) {
  auto c = parse("limits:\n  max_iterations: " + std::string(500, 'x') + "\n");
  ASSERT_FALSE(c.ok());
  EXPECT_LT(c.error().reason.size(), 150u) << c.error().reason;
}

TEST(RepoConfig, NeverThrowsOnHostileInput) {
  for (const std::string& text :
       {std::string(100'000, 'a'), std::string(5000, '[') + std::string(5000, ']'),
        std::string("a: &x [*x]\n"), std::string("\0\xff\xfe", 3), std::string("{{{{"),
        std::string("trigger: !!binary aGVsbG8=\n"), std::string("roles: *undefined\n")}) {
    EXPECT_NO_THROW({
      auto c = parse(text);
      (void)c;
    });
  }
  EXPECT_TRUE(Fails(parse(std::string(100'000, 'a')), "", "larger than 65536 bytes", 0));
}

TEST(RepoConfig, DefaultsComeFromTheServerConfig) {
  ServerConfig s;
  s.task_trigger_label = "ai";
  s.task_trigger = "on_open";
  s.task_max_iterations = 3;
  s.task_max_cost_usd = 1.5;
  s.task_command_permission = "triage";
  s.task_approve_permission = "admin";
  s.roles["review"] = RoleConfig{"codex", "o3", "high"};
  RepoConfig d = repo_defaults(s);
  EXPECT_EQ(d.trigger_label, "ai");
  EXPECT_EQ(d.trigger_mode, TriggerMode::on_open);
  EXPECT_EQ(d.max_iterations, 3);
  EXPECT_EQ(d.max_cost_usd, 1.5);
  EXPECT_EQ(d.command_permission, Permission::triage);
  EXPECT_EQ(d.approve_permission, Permission::admin);
  ASSERT_EQ(d.roles.size(), 1u);
  EXPECT_EQ(d.roles.at("review").model, "o3");
  EXPECT_TRUE(d.setup_commands.empty());
  EXPECT_EQ(d.plan_commit_path, "");

  RepoConfig plain = repo_defaults(ServerConfig{});
  EXPECT_EQ(plain.trigger_label, "bottega");
  EXPECT_EQ(plain.trigger_mode, TriggerMode::label);
  EXPECT_EQ(plain.max_iterations, 5);
  EXPECT_EQ(plain.max_cost_usd, 10.0);
  EXPECT_EQ(plain.command_permission, Permission::write);
  EXPECT_EQ(plain.approve_permission, Permission::write);
}

TEST(RepoConfig, NetworkAllowTakesHostsAndRefusesWhatIsNotAHost) {
  auto ok = parse("network:\n  allow:\n    - registry.npmjs.org\n    - \"*.pypi.org:443\"\n");
  ASSERT_TRUE(ok.ok()) << ok.error().describe();
  EXPECT_EQ(ok->egress_allow, (std::vector<std::string>{"registry.npmjs.org", "*.pypi.org:443"}));
  EXPECT_TRUE(
      Fails(parse("network:\n  allow: evil/path\n"), "network.allow", "not a host name", 2));
  EXPECT_TRUE(Fails(parse("network:\n  allow: [\"a.b:99999\"]\n"), "network.allow", "port", 2));
}

TEST(RepoConfig, TriggerModeNames) {
  EXPECT_EQ(to_string(TriggerMode::label), "label");
  EXPECT_EQ(to_string(TriggerMode::on_open), "on_open");
}

}  // namespace
}  // namespace bottega
