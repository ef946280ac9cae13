// WorkflowFixture: the whole product under test, per test. The real
// `bottega serve` (a child process) against a fresh PostgreSQL database, the
// fake GitHub in-process (HTTPS, App key pair, installation `acme` with the
// repository acme/widgets, a writer and a reader) and the fake agent CLI
// (named `claude`) reading one scenario per turn from <tree>/scenarios.
//
// A test sets up what it needs (config overrides, scenarios), calls
// start_bottega(), acts as people on GitHub (label, comment, edit) and waits
// for what the app shows there (labels, the plan and status comments,
// reactions, pulls) and in the database (agent_runs). Every wait is a poll
// with a generous deadline (machines are shared and slow), never a timing
// assertion; a wait that runs out fails with a dump of the GitHub state, the
// agent runs and the tail of the server's log.
//
// The tree lives under /var/tmp/bottega-e2e-tests, not /tmp: agents run in
// bubblewrap with a private /tmp, where a tree under /tmp would vanish. It
// is removed after a passing test and kept (its path printed) after a
// failing one.
//
// Thread-safety: a gtest fixture, used from the test's thread only (the fake
// GitHub runs its own threads). Ownership: owns the server process, the fake
// GitHub, the database and the tree.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "tests/support/child_process.h"
#include "tests/support/fake_github/fake_github.h"
#include "tests/support/postgres_fixture.h"

namespace bottega::testing {

// A fake agent scenario: one step per line (tests/support/fake_agent/fake_agent.cpp).
using Scenario = std::vector<std::string>;

// One agent run as the app recorded it (agent_runs).
struct AgentRunRow {
  int64_t id = 0;
  std::string role;
  std::string status;
  double started_at = 0;  // seconds since the epoch
  double ended_at = -1;   // < 0: not ended
  // The issue the run was for, from the fake agent's opening message in the
  // stored transcript ("fake_agent issue=N ..."); -1 when not (yet) stored.
  int issue = -1;
};

class WorkflowFixture : public ::testing::Test {
 public:
  static constexpr const char* kOwner = "acme";
  static constexpr const char* kRepo = "widgets";
  static constexpr const char* kWriter = "wanda";      // permission write
  static constexpr const char* kReader = "reed";       // permission read
  static constexpr const char* kReporter = "octocat";  // no permission; opens issues
  static constexpr const char* kAppBot = "bottega[bot]";
  static constexpr const char* kTriggerLabel = "bottega";
  static constexpr const char* kPlanMarker = "<!-- bottega:plan ";
  static constexpr const char* kStatusMarker = "<!-- bottega:status ";
  static constexpr std::chrono::seconds kLong{60};

 protected:
  // Makes the tree, the database, the keys and certificates, starts the fake
  // GitHub, writes the default scenarios (plan, implement, review: all
  // succeed at once) and the default configuration. Does not start bottega.
  void SetUp() override;
  // false (set before SetUp): the fake GitHub records its webhooks instead
  // of sending them, for tests that hand them to an in-process engine.
  bool send_webhooks_ = true;
  // Stops bottega (SIGTERM, then SIGKILL) and the fake; drops the database;
  // removes the tree unless the test failed.
  void TearDown() override;

  // --- configuration (applies at the next start_bottega / restart_bottega) ---
  // Sets a key by its dotted YAML path ("agents.timeout_minutes"), value as
  // written in YAML (always emitted quoted: the loader reads scalars).
  void set_config(const std::string& key, const std::string& value);
  void unset_config(const std::string& key);
  // bottega serves https with the test certificates (trusted by the fake's
  // webhook sender); base_url() becomes https.
  void serve_tls();
  // The YAML the next start writes (nested maps from the dotted keys).
  std::string config_yaml() const;
  const std::string& config_file() const { return config_file_; }

  // --- the server ---
  // Writes the config file, starts `bottega serve --config FILE` and waits
  // (kLong) until /readyz answers 200. Fails the test if it does not.
  void start_bottega();
  // SIGKILL, as a crash: no shutdown, the agent's sandbox dies with it.
  void kill_bottega();
  // kill_bottega() and start_bottega(): same port, data dir and database.
  void restart_bottega();
  bool bottega_running() const { return server_ != nullptr; }
  // Everything every server process of this test wrote (stdout + stderr).
  std::string bottega_log() const;
  std::string base_url() const;  // http://127.0.0.1:<port> of bottega
  int port() const { return port_; }
  pid_t server_pid() const { return server_ ? server_->pid() : -1; }
  std::string database_url() const;  // the test database's connection string

  // --- GitHub, as people ---
  fake_github::FakeGitHub& github() { return *github_; }
  int64_t installation() const { return installation_; }  // acme's, holding acme/widgets
  int open_issue(const std::string& title, const std::string& body = "Please do the thing.");
  // The trigger label, added by `user` (default: the writer).
  void label_issue(int issue, const std::string& user = kWriter,
                   const std::string& label = kTriggerLabel);
  int64_t comment(int issue, const std::string& user, const std::string& body);
  bool edit_comment(int64_t comment_id, const std::string& user, const std::string& body);

  // --- GitHub, what the app shows ---
  std::vector<std::string> labels(int issue) const;
  // The labels starting with "bottega:" (the phase labels), sorted.
  std::vector<std::string> phase_labels(int issue) const;
  std::vector<fake_github::CommentView> comments(int issue) const;
  // The comments carrying a marker (kPlanMarker, kStatusMarker).
  std::vector<fake_github::CommentView> marked_comments(int issue, const std::string& marker) const;
  std::optional<fake_github::CommentView> plan_comment(int issue) const;
  std::optional<fake_github::CommentView> status_comment(int issue) const;
  // The revision in the plan comment's marker; 0 without a plan comment.
  int plan_revision(int issue) const;
  // The app's comments that are neither the plan nor the status comment
  // (replies to commands), oldest first.
  std::vector<fake_github::CommentView> app_replies(int issue) const;
  // The reactions the app (kAppBot) put on a comment.
  std::vector<std::string> app_reactions(int64_t comment_id) const;
  // Pulls whose head is bottega/<issue>-*, oldest first.
  std::vector<fake_github::PullView> pulls_for(int issue) const;
  // Branches of acme/widgets starting with `prefix`.
  std::vector<std::string> branches(const std::string& prefix = "bottega/") const;
  // A file at a ref of acme/widgets (git show REF:PATH); nullopt if absent.
  std::optional<std::string> file_at(const std::string& ref, const std::string& path) const;

  // --- waiting ---
  // Polls `done` every 75 ms until it holds or `timeout` passes; on a timeout
  // the failure names `what` and dumps the state (issues, agent runs, log).
  ::testing::AssertionResult wait_until(const std::function<bool()>& done, const std::string& what,
                                        std::chrono::milliseconds timeout = kLong);
  // Waits until the app is idle: every webhook the fake sent was answered,
  // no job is queued or running, twice in a row 300 ms apart. The barrier
  // before asserting that something did NOT happen.
  ::testing::AssertionResult settle(std::chrono::milliseconds timeout = kLong);
  // Waits for a phase label (e.g. "bottega:awaiting-approval") on the issue.
  ::testing::AssertionResult wait_for_label(int issue, const std::string& label,
                                            std::chrono::milliseconds timeout = kLong);
  // Waits until a reaction by the app is on the comment.
  ::testing::AssertionResult wait_for_reaction(int64_t comment_id, const std::string& content,
                                               std::chrono::milliseconds timeout = kLong);
  // Waits for the issue's pull request (head bottega/<issue>-*).
  ::testing::AssertionResult wait_for_pull(int issue, std::chrono::milliseconds timeout = kLong);
  // A readable dump of everything the app did, for failure messages.
  std::string describe_state() const;

  // --- scenarios ---
  // Writes <tree>/scenarios/<path> (e.g. "plan", "7/review-1", "7/turn-2").
  void write_scenario(const std::string& path, const Scenario& steps);
  std::string scenario_dir() const { return tree_ + "/scenarios"; }
  std::string tree() const { return tree_; }
  // Building blocks. A planning turn that replaces everything from
  // "## Overview" on in $BOTTEGA_TASK_FILE with a plan whose to-do list has
  // `todo` (unchecked), then signals plan-ready.
  static Scenario plan_turn(const std::vector<std::string>& todo = {"create hello.txt"},
                            const std::string& overview = "Add a greeting file.");
  // An implementation turn: writes `files` (path → one line) in the
  // worktree, checks every to-do item, signals ready.
  static Scenario implement_turn(const std::map<std::string, std::string>& files = {
                                     {"hello.txt", "hello"}});
  static Scenario review_ready();
  // A review that unchecks the first checked item, records the finding and
  // signals needs-work with `reason`.
  static Scenario review_needs_work(const std::string& reason);
  // `steps` with `prefix` steps first (e.g. a sleep) and the rest after.
  static Scenario with_prefix(const Scenario& prefix, const Scenario& steps);

  // --- database ---
  pqxx::result query(const std::string& sql);
  long long count(const std::string& sql);  // the first column of the first row
  std::vector<AgentRunRow> agent_runs();    // in id order
  // The largest number of agent runs running at one moment (from started_at
  // and ended_at; a run not ended counts as running until now).
  static int max_overlap(const std::vector<AgentRunRow>& runs);

 private:
  std::string tree_;
  bool tls_ = false;
  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<pqxx::connection> conn_;  // lazily, for query()
  std::unique_ptr<fake_github::FakeGitHub> github_;
  int64_t installation_ = 0;
  std::unique_ptr<ChildProcess> server_;
  std::map<std::string, std::string> config_;  // dotted key → value
  std::string config_file_;
  std::string webhook_secret_;
  int port_ = 0;
  int starts_ = 0;
};

}  // namespace bottega::testing
