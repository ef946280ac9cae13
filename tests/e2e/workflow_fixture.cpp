#include "tests/e2e/workflow_fixture.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "tests/support/shell.h"
#include "tests/support/tls_fixture.h"

namespace bottega::testing {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

std::string yaml_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string random_hex(std::size_t n) {
  static const char* digits = "0123456789abcdef";
  std::random_device rd;
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += digits[rd() % 16];
  return out;
}

std::string tail_lines(const std::string& text, std::size_t lines) {
  std::size_t pos = text.size();
  for (std::size_t i = 0; i <= lines && pos > 0; ++i) {
    pos = text.rfind('\n', pos - 1);
    if (pos == std::string::npos) return text;
  }
  return text.substr(pos + 1);
}

std::string clip(const std::string& s, std::size_t n) {
  return s.size() <= n ? s : s.substr(0, n) + "…(" + std::to_string(s.size()) + " bytes)";
}

int http_status(const std::string& url) {
  return std::atoi(
      run_shell("curl -s -k -o /dev/null --max-time 5 -w '%{http_code}' " + shell_quote(url))
          .out.c_str());
}

// Creates the replacement of the task document's tail: a shell command that
// keeps everything before "## Overview" and appends `lines`. It writes the
// file in place (same inode), which works whether the sandbox binds the
// file or its directory.
std::string rewrite_tail_command(const std::vector<std::string>& lines) {
  std::string words;
  for (const auto& l : lines) words += " " + shell_quote(l);
  // $(...) drops the blank line before "## Overview": put it back.
  return "tool content=$(sed '/^## Overview/,$d' \"$BOTTEGA_TASK_FILE\") && { printf '%s\\n\\n' "
         "\"$content\"; printf '%s\\n'" +
         words + "; } > \"$BOTTEGA_TASK_FILE\"";
}

}  // namespace

// ------------------------------------------------------------------ set-up

void WorkflowFixture::SetUp() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  tree_ = std::string("/var/tmp/bottega-e2e-tests/") + std::to_string(::getpid()) + "-" +
          info->test_suite_name() + "." + info->name();
  std::error_code ec;
  fs::remove_all(tree_, ec);
  fs::create_directories(tree_ + "/bin");
  fs::create_directories(tree_ + "/scenarios");
  fs::create_directories(tree_ + "/data");
  // The sandbox runs agents as we are; the tree's parents must be traversable.
  fs::permissions("/var/tmp/bottega-e2e-tests",
                  fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                      fs::perms::others_read | fs::perms::others_exec,
                  ec);
  fs::create_symlink(BOTTEGA_FAKE_AGENT, tree_ + "/bin/claude");

  db_ = std::make_unique<TestDatabase>();
  ASSERT_FALSE(db_->connection_string().empty());

  auto keys = fake_github::generate_rsa_key_pair();
  ASSERT_FALSE(keys.private_pem.empty());
  {
    std::ofstream key(tree_ + "/app.pem");
    key << keys.private_pem;
  }
  fs::permissions(tree_ + "/app.pem", fs::perms::owner_read | fs::perms::owner_write);
  auto certs = make_test_certificates(tree_ + "/tls");
  ASSERT_FALSE(certs.ca_cert.empty());

  port_ = free_port();
  webhook_secret_ = "e2e-" + random_hex(24);

  fake_github::FakeGitHubOptions o;
  o.tls_cert_file = certs.server_cert;
  o.tls_key_file = certs.server_key;
  o.webhook_ca_file = certs.ca_cert;  // for a bottega serving https (serve_tls())
  o.state_dir = tree_ + "/github";
  if (send_webhooks_) o.webhook_url = base_url() + "/webhooks/github";
  o.webhook_secret = webhook_secret_;
  o.app_id = 4242;
  o.app_slug = "bottega";
  o.app_public_key_pem = keys.public_pem;
  github_ = std::make_unique<fake_github::FakeGitHub>(o);
  auto started = github_->start();
  ASSERT_TRUE(started.ok()) << started.error().message;
  installation_ = github_->add_installation(kOwner);
  auto repo = github_->add_repository(
      installation_, kOwner, kRepo,
      {{"README.md", "# widgets\n\nA small repository for the end-to-end tests.\n"},
       {"src/widget.txt", "a widget\n"}});
  ASSERT_TRUE(repo.ok()) << repo.error().message;
  github_->set_permission(kOwner, kRepo, kWriter, "write");
  github_->set_permission(kOwner, kRepo, kReader, "read");

  write_scenario("plan", plan_turn());
  write_scenario("implement", implement_turn());
  write_scenario("review", review_ready());

  const std::string api = github_->base_url();
  config_ = {
      {"listen", "127.0.0.1:" + std::to_string(port_)},
      {"data_dir", tree_ + "/data"},
      {"database.url", db_->connection_string()},
      {"log.level", "debug"},
      {"log.format", "text"},
      {"webhook.secret", webhook_secret_},
      {"webhook.reconcile_interval_seconds", "0"},
      {"app.id", "4242"},
      {"app.private_key_file", tree_ + "/app.pem"},
      {"app.slug", "bottega"},
      {"github.api_url", api},
      {"github.web_url", api},
      {"github.ca_file", certs.ca_cert},
      {"github.mutation_spacing_ms", "0"},
      {"workers", "8"},
      {"queue.lease_seconds", "5"},
      {"agents.sandbox", "on"},
      // The fake agent reads its scenarios inside the sandbox.
      {"agents.sandbox_read_paths", scenario_dir()},
      {"agents.max_running", "3"},
      {"agents.timeout_minutes", "1"},
      {"agents.idle_timeout_minutes", "1"},
      {"harnesses.claude.binary", tree_ + "/bin/claude"},
      {"harnesses.claude.extra_env", "FAKE_AGENT_SCENARIO_DIR=" + scenario_dir()},
      {"tasks.trigger_label", kTriggerLabel},
      {"tasks.max_iterations", "3"},
      {"tasks.max_cost_usd", "5"},
  };
  for (const char* role : {"plan", "implement", "review", "fix"}) {
    config_[std::string("roles.") + role + ".harness"] = "claude";
    config_[std::string("roles.") + role + ".model"] = "claude-sonnet-4-5";
  }
}

void WorkflowFixture::TearDown() {
  if (server_) {
    server_->signal(SIGTERM);
    if (!server_->wait(20s)) server_->signal(SIGKILL);
    server_.reset();
  }
  if (github_) github_->stop();
  conn_.reset();
  db_.reset();
  if (HasFailure()) {
    std::cerr << "e2e: kept the test tree " << tree_ << " (server logs: serve-*.log)\n";
  } else {
    std::error_code ec;
    fs::remove_all(tree_, ec);
  }
}

// ----------------------------------------------------------- configuration

void WorkflowFixture::set_config(const std::string& key, const std::string& value) {
  config_[key] = value;
}

void WorkflowFixture::unset_config(const std::string& key) { config_.erase(key); }

void WorkflowFixture::serve_tls() {
  tls_ = true;
  config_["tls.cert"] = tree_ + "/tls/server.pem";
  config_["tls.key"] = tree_ + "/tls/server.key";
}

std::string WorkflowFixture::config_yaml() const {
  // The dotted keys, sorted, share their prefixes: emit each map once.
  std::string out;
  std::vector<std::string> open;  // the enclosing maps of the previous key
  for (const auto& [key, value] : config_) {
    std::vector<std::string> parts;
    std::stringstream ss(key);
    for (std::string p; std::getline(ss, p, '.');) parts.push_back(p);
    std::size_t common = 0;
    while (common < open.size() && common + 1 < parts.size() && open[common] == parts[common])
      ++common;
    open.resize(common);
    for (std::size_t i = common; i + 1 < parts.size(); ++i) {
      out += std::string(2 * i, ' ') + parts[i] + ":\n";
      open.push_back(parts[i]);
    }
    out +=
        std::string(2 * (parts.size() - 1), ' ') + parts.back() + ": " + yaml_quote(value) + "\n";
  }
  return out;
}

// ------------------------------------------------------------------ server

std::string WorkflowFixture::base_url() const {
  return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_);
}

void WorkflowFixture::start_bottega() {
  ASSERT_FALSE(server_) << "bottega already runs";
  config_file_ = tree_ + "/bottega.yml";
  {
    std::ofstream f(config_file_);
    f << config_yaml();
  }
  ++starts_;
  server_ = std::make_unique<ChildProcess>(
      bottega_binary(), std::vector<std::string>{"serve", "--config", config_file_},
      std::map<std::string, std::string>{}, tree_ + "/serve-" + std::to_string(starts_) + ".log");
  auto deadline = Clock::now() + kLong;
  while (Clock::now() < deadline) {
    if (auto status = server_->wait(0ms)) {
      std::string log = server_->output();
      server_.reset();
      FAIL() << "bottega serve exited with status " << *status << " at start:\n"
             << log << "\nconfig:\n"
             << config_yaml();
    }
    if (http_status(base_url() + "/readyz") == 200) return;
    std::this_thread::sleep_for(100ms);
  }
  FAIL() << "bottega serve was not ready within " << kLong.count() << " s:\n"
         << tail_lines(server_->output(), 60);
}

void WorkflowFixture::kill_bottega() {
  ASSERT_TRUE(server_) << "bottega does not run";
  server_->signal(SIGKILL);
  EXPECT_TRUE(server_->wait(20s).has_value()) << "bottega did not die of SIGKILL";
  server_.reset();
}

void WorkflowFixture::restart_bottega() {
  kill_bottega();
  start_bottega();
}

std::string WorkflowFixture::database_url() const { return db_->connection_string(); }

std::string WorkflowFixture::bottega_log() const {
  std::string all;
  for (int i = 1; i <= starts_; ++i) {
    std::ifstream in(tree_ + "/serve-" + std::to_string(i) + ".log");
    std::stringstream ss;
    ss << in.rdbuf();
    if (starts_ > 1) all += "---- serve-" + std::to_string(i) + ".log\n";
    all += ss.str();
  }
  return all;
}

// ---------------------------------------------------------- GitHub, people

int WorkflowFixture::open_issue(const std::string& title, const std::string& body) {
  int n = github_->create_issue(kOwner, kRepo, kReporter, title, body);
  EXPECT_GT(n, 0) << "the fake did not open the issue";
  return n;
}

void WorkflowFixture::label_issue(int issue, const std::string& user, const std::string& label) {
  github_->add_label_by(kOwner, kRepo, issue, user, label);
}

int64_t WorkflowFixture::comment(int issue, const std::string& user, const std::string& body) {
  int64_t id = github_->add_comment(kOwner, kRepo, issue, user, body);
  EXPECT_GT(id, 0) << "the fake did not take the comment";
  return id;
}

bool WorkflowFixture::edit_comment(int64_t comment_id, const std::string& user,
                                   const std::string& body) {
  return github_->edit_comment(kOwner, kRepo, comment_id, user, body);
}

// ------------------------------------------------------- GitHub, the app's

std::vector<std::string> WorkflowFixture::labels(int issue) const {
  return github_->issue_labels(kOwner, kRepo, issue);
}

std::vector<std::string> WorkflowFixture::phase_labels(int issue) const {
  std::vector<std::string> out;
  for (auto& l : labels(issue))
    if (l.rfind("bottega:", 0) == 0) out.push_back(l);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<fake_github::CommentView> WorkflowFixture::comments(int issue) const {
  return github_->comments(kOwner, kRepo, issue);
}

std::vector<fake_github::CommentView> WorkflowFixture::marked_comments(
    int issue, const std::string& marker) const {
  std::vector<fake_github::CommentView> out;
  for (auto& c : comments(issue))
    if (c.body.find(marker) != std::string::npos) out.push_back(c);
  return out;
}

std::optional<fake_github::CommentView> WorkflowFixture::plan_comment(int issue) const {
  auto all = marked_comments(issue, kPlanMarker);
  if (all.empty()) return std::nullopt;
  return all.front();
}

std::optional<fake_github::CommentView> WorkflowFixture::status_comment(int issue) const {
  auto all = marked_comments(issue, kStatusMarker);
  if (all.empty()) return std::nullopt;
  return all.front();
}

int WorkflowFixture::plan_revision(int issue) const {
  auto plan = plan_comment(issue);
  if (!plan) return 0;
  auto marker = plan->body.find(kPlanMarker);
  auto end = plan->body.find("-->", marker);
  auto at = plan->body.find("revision=", marker);
  if (at == std::string::npos || (end != std::string::npos && at > end)) return 0;
  return std::atoi(plan->body.c_str() + at + 9);
}

std::vector<fake_github::CommentView> WorkflowFixture::app_replies(int issue) const {
  std::vector<fake_github::CommentView> out;
  for (auto& c : comments(issue))
    if (c.user == kAppBot && c.body.find(kPlanMarker) == std::string::npos &&
        c.body.find(kStatusMarker) == std::string::npos)
      out.push_back(c);
  return out;
}

std::vector<std::string> WorkflowFixture::app_reactions(int64_t comment_id) const {
  std::vector<std::string> out;
  for (auto& r : github_->comment_reactions(kOwner, kRepo, comment_id))
    if (r.user == kAppBot) out.push_back(r.content);
  return out;
}

std::vector<fake_github::PullView> WorkflowFixture::pulls_for(int issue) const {
  std::vector<fake_github::PullView> out;
  const std::string prefix = "bottega/" + std::to_string(issue) + "-";
  for (auto& p : github_->pulls(kOwner, kRepo))
    if (p.head_ref.rfind(prefix, 0) == 0) out.push_back(p);
  return out;
}

std::vector<std::string> WorkflowFixture::branches(const std::string& prefix) const {
  auto [code, out] = run_shell("git --git-dir=" + shell_quote(github_->git_dir(kOwner, kRepo)) +
                               " for-each-ref --format='%(refname:short)' refs/heads/");
  std::vector<std::string> result;
  if (code != 0) return result;
  std::stringstream ss(out);
  for (std::string line; std::getline(ss, line);)
    if (line.rfind(prefix, 0) == 0) result.push_back(line);
  return result;
}

std::optional<std::string> WorkflowFixture::file_at(const std::string& ref,
                                                    const std::string& path) const {
  auto [code, out] = run_shell("git --git-dir=" + shell_quote(github_->git_dir(kOwner, kRepo)) +
                               " show " + shell_quote(ref + ":" + path));
  if (code != 0) return std::nullopt;
  return out;
}

// ------------------------------------------------------------------ waiting

::testing::AssertionResult WorkflowFixture::wait_until(const std::function<bool()>& done,
                                                       const std::string& what,
                                                       std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    if (done()) return ::testing::AssertionSuccess();
    if (Clock::now() >= deadline) break;
    std::this_thread::sleep_for(75ms);
  }
  return ::testing::AssertionFailure()
         << "gave up after " << std::chrono::duration_cast<std::chrono::seconds>(timeout).count()
         << " s waiting for: " << what << "\n"
         << describe_state();
}

::testing::AssertionResult WorkflowFixture::settle(std::chrono::milliseconds timeout) {
  auto idle = [&] {
    auto sent = github_->webhooks().size();
    if (!github_->wait_for_webhooks(sent, 0ms)) return false;
    // Jobs scheduled well in the future (periodic polls) are not activity now.
    return count(
               "SELECT count(*) FROM jobs WHERE state = 'running' OR "
               "(state = 'queued' AND run_at < now() + interval '10 seconds')") == 0;
  };
  return wait_until(
      [&] {
        if (!idle()) return false;
        std::this_thread::sleep_for(300ms);
        return idle();
      },
      "the app to be idle (every webhook answered, no job queued or running)", timeout);
}

::testing::AssertionResult WorkflowFixture::wait_for_label(int issue, const std::string& label,
                                                           std::chrono::milliseconds timeout) {
  return wait_until(
      [&] {
        auto all = labels(issue);
        return std::find(all.begin(), all.end(), label) != all.end();
      },
      "label " + label + " on #" + std::to_string(issue), timeout);
}

::testing::AssertionResult WorkflowFixture::wait_for_reaction(int64_t comment_id,
                                                              const std::string& content,
                                                              std::chrono::milliseconds timeout) {
  return wait_until(
      [&] {
        auto all = app_reactions(comment_id);
        return std::find(all.begin(), all.end(), content) != all.end();
      },
      "the app's " + content + " reaction on comment " + std::to_string(comment_id), timeout);
}

::testing::AssertionResult WorkflowFixture::wait_for_pull(int issue,
                                                          std::chrono::milliseconds timeout) {
  return wait_until([&] { return !pulls_for(issue).empty(); },
                    "a pull request from bottega/" + std::to_string(issue) + "-*", timeout);
}

std::string WorkflowFixture::describe_state() const {
  std::ostringstream out;
  out << "---- GitHub (acme/widgets)\n";
  for (int issue = 1;; ++issue) {
    auto issue_labels = github_->issue_labels(kOwner, kRepo, issue);
    auto issue_comments = github_->comments(kOwner, kRepo, issue);
    if (issue_labels.empty() && issue_comments.empty() && !github_->pull(kOwner, kRepo, issue)) {
      // Issues are numbered densely; stop at the first one with no trace
      // after a few (an issue may have neither labels nor comments).
      bool later = false;
      for (int k = 1; k <= 3 && !later; ++k)
        later = !github_->issue_labels(kOwner, kRepo, issue + k).empty() ||
                !github_->comments(kOwner, kRepo, issue + k).empty();
      if (!later) break;
    }
    out << "#" << issue << " labels:";
    for (auto& l : issue_labels) out << " [" << l << "]";
    out << "\n";
    for (auto& h : github_->label_history(kOwner, kRepo, issue))
      out << "    " << h.action << " " << h.label << " by " << h.user << "\n";
    for (auto& c : issue_comments) {
      out << "  comment " << c.id << " by " << c.user << " (" << c.created_at << ", edited "
          << c.updated_at << ")";
      auto reactions = github_->comment_reactions(kOwner, kRepo, c.id);
      if (!reactions.empty()) {
        out << " reactions:";
        for (auto& r : reactions) out << " " << r.content << "/" << r.user;
      }
      out << "\n    " << clip(c.body, 600) << "\n";
    }
  }
  for (auto& p : github_->pulls(kOwner, kRepo))
    out << "pull #" << p.number << " " << p.state << " " << p.head_ref << " -> " << p.base_ref
        << " \"" << p.title << "\"\n    " << clip(p.body, 400) << "\n";
  std::map<int, int> answers;  // receiver's status → webhooks
  for (auto& w : github_->webhooks()) ++answers[w.status_code];
  out << "webhooks answered:";
  for (auto& [status, n] : answers)
    out << " " << (status ? std::to_string(status) : "none") << " x" << n;
  out << "\n---- the fake's last requests\n";
  auto requests = github_->requests();
  for (std::size_t i = requests.size() > 25 ? requests.size() - 25 : 0; i < requests.size(); ++i)
    out << requests[i].method << " " << requests[i].path << " " << requests[i].status << " "
        << requests[i].auth << "\n";
  auto* self = const_cast<WorkflowFixture*>(this);
  try {
    out << "---- agent runs\n";
    for (auto& r : self->agent_runs())
      out << "run " << r.id << " issue " << r.issue << " role " << r.role << " " << r.status
          << " started " << std::fixed << r.started_at << " ended " << r.ended_at << "\n";
    out << "---- jobs\n";
    for (auto row : self->query("SELECT kind, state, count(*), max(attempts), "
                                "coalesce(max(nullif(last_error, '')), '') FROM jobs "
                                "GROUP BY kind, state ORDER BY kind, state"))
      out << row[0].c_str() << " " << row[1].c_str() << " x" << row[2].c_str()
          << " attempts<=" << row[3].c_str() << " " << clip(row[4].c_str(), 300) << "\n";
  } catch (const std::exception& e) {
    out << "(database: " << e.what() << ")\n";
  }
  out << "---- bottega log (tail)\n" << tail_lines(bottega_log(), 80);
  return out.str();
}

// ---------------------------------------------------------------- scenarios

void WorkflowFixture::write_scenario(const std::string& path, const Scenario& steps) {
  fs::path file = fs::path(scenario_dir()) / path;
  fs::create_directories(file.parent_path());
  std::ofstream f(file);
  for (auto& s : steps) f << s << "\n";
  ASSERT_TRUE(f.good()) << "cannot write " << file;
}

Scenario WorkflowFixture::plan_turn(const std::vector<std::string>& todo,
                                    const std::string& overview) {
  std::vector<std::string> plan = {
      "## Overview",
      overview,
      "",
      "## Implementation plan",
      "Phase 1: the files the to-do list names, at the repository root.",
      "",
      "## Testing strategy",
      "Unit tests: none. Manual scenario: the files exist with the content asked for.",
      "",
      "## To-do"};
  for (auto& item : todo) plan.push_back("- [ ] " + item);
  plan.insert(plan.end(), {"", "## Review findings"});
  return {"text planning issue $BOTTEGA_ISSUE", rewrite_tail_command(plan), "signal plan-ready",
          "result ok planned"};
}

Scenario WorkflowFixture::implement_turn(const std::map<std::string, std::string>& files) {
  Scenario s = {"text implementing issue $BOTTEGA_ISSUE, iteration $BOTTEGA_ITERATION"};
  for (auto& [path, content] : files) s.push_back("write " + path + " " + content);
  s.push_back(
      "tool content=$(sed 's/- \\[ \\]/- [x]/' \"$BOTTEGA_TASK_FILE\") && printf '%s\\n' "
      "\"$content\" > \"$BOTTEGA_TASK_FILE\"");
  s.push_back("signal ready");
  s.push_back("result ok implemented");
  return s;
}

Scenario WorkflowFixture::review_ready() {
  return {"text reviewing issue $BOTTEGA_ISSUE: every item is done", "signal ready",
          "result ok reviewed"};
}

Scenario WorkflowFixture::review_needs_work(const std::string& reason) {
  return {"text reviewing issue $BOTTEGA_ISSUE: " + reason,
          "tool content=$(sed '0,/- \\[x\\]/s//- [ ]/' \"$BOTTEGA_TASK_FILE\") && { printf '%s\\n' "
          "\"$content\"; printf '%s\\n' " +
              shell_quote("- FAIL: " + reason) + "; } > \"$BOTTEGA_TASK_FILE\"",
          "signal needs-work --reason " + shell_quote(reason), "result ok reviewed"};
}

Scenario WorkflowFixture::with_prefix(const Scenario& prefix, const Scenario& steps) {
  Scenario out = prefix;
  out.insert(out.end(), steps.begin(), steps.end());
  return out;
}

// ----------------------------------------------------------------- database

pqxx::result WorkflowFixture::query(const std::string& sql) {
  if (!conn_ || !conn_->is_open())
    conn_ = std::make_unique<pqxx::connection>(db_->connection_string());
  try {
    return pqxx::nontransaction(*conn_).exec(sql);
  } catch (const pqxx::broken_connection&) {
    conn_ = std::make_unique<pqxx::connection>(db_->connection_string());
    return pqxx::nontransaction(*conn_).exec(sql);
  }
}

long long WorkflowFixture::count(const std::string& sql) {
  auto r = query(sql);
  if (r.empty() || r[0][0].is_null()) return 0;
  return r[0][0].as<long long>();
}

std::vector<AgentRunRow> WorkflowFixture::agent_runs() {
  std::vector<AgentRunRow> out;
  for (auto row :
       query("SELECT r.id, r.role, r.status, extract(epoch FROM r.started_at)::float8, "
             "coalesce(extract(epoch FROM r.ended_at)::float8, -1), "
             "coalesce((SELECT substring(e.data::text FROM 'fake_agent issue=([0-9]+)')::int "
             "          FROM agent_events e WHERE e.run_id = r.id "
             "          AND e.data::text LIKE '%fake_agent issue=%' ORDER BY e.seq LIMIT 1), -1) "
             "FROM agent_runs r ORDER BY r.id")) {
    AgentRunRow r;
    r.id = row[0].as<int64_t>();
    r.role = row[1].as<std::string>();
    r.status = row[2].as<std::string>();
    r.started_at = row[3].as<double>();
    r.ended_at = row[4].as<double>();
    r.issue = row[5].as<int>();
    out.push_back(r);
  }
  return out;
}

int WorkflowFixture::max_overlap(const std::vector<AgentRunRow>& runs) {
  std::vector<std::pair<double, int>> events;  // (time, +1 start / -1 end)
  for (auto& r : runs) {
    events.emplace_back(r.started_at, +1);
    if (r.ended_at >= 0) events.emplace_back(r.ended_at, -1);
  }
  // At one instant, ends first: a run that starts as another ends does not overlap it.
  std::sort(events.begin(), events.end());
  int now = 0, most = 0;
  for (auto& [t, d] : events) {
    now += d;
    most = std::max(most, now);
  }
  return most;
}

}  // namespace bottega::testing
