// Containment (spec/agents.md, "Threat model"): the agent is the attacker.
// Each test gives the fake agent's `tool` steps, which run shell commands
// inside the sandbox as a real agent's tools do, one door to try, through
// the real binary, the fake GitHub, PostgreSQL and git; and fails if the
// door opens. What the agent saw from inside is written into its worktree
// (and so into the pull request) or its run directory, and read back here.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/e2e/workflow_steps.h"
#include "tests/support/fake_model_api/fake_model_api.h"
#include "tests/support/shell.h"

namespace bottega::testing {
namespace {

namespace fs = std::filesystem;

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string replace_all(std::string text, const std::string& what, const std::string& with) {
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + with.size()))
    text.replace(at, what.size(), with);
  return text;
}

// Every file under `dir` whose name is `name`, concatenated.
std::string read_every(const std::string& dir, const std::string& name) {
  std::string all;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec))
    if (it->path().filename() == name && it->is_regular_file()) all += read_all(it->path());
  return all;
}

class Containment : public Workflow {
 protected:
  // Writes `script` as <scenarios>/<name> (the sandbox shows the scenario
  // directory read-only) and returns the fake agent step that runs it.
  std::string script_step(const std::string& name, const std::string& script) {
    const std::string path = scenario_dir() + "/" + name;
    std::ofstream(path) << script;
    fs::permissions(path, fs::perms::owner_all | fs::perms::group_read | fs::perms::others_read);
    return "tool bash " + shell_quote(path);
  }

  // An implementation turn that runs `step` first, then writes hello.txt,
  // checks the to-do list and signals ready.
  void implement_with(int issue, const std::string& step) {
    write_scenario(std::to_string(issue) + "/implement", with_prefix({step}, implement_turn()));
  }

  // The paths the pull request's branch changes against main.
  std::vector<std::string> changed_paths(const std::string& branch) {
    auto r = run_shell("git --git-dir=" + shell_quote(github().git_dir(kOwner, kRepo)) +
                       " diff --name-only main " + shell_quote(branch));
    std::vector<std::string> paths;
    std::stringstream lines(r.out);
    for (std::string l; std::getline(lines, l);)
      if (!l.empty()) paths.push_back(l);
    return paths;
  }

  // Everything that left the app: comments, pulls, every commit of the
  // repository on GitHub, the server's log, the transcripts and runs.
  std::string everything_that_left() {
    std::string all;
    for (int issue = 1; issue <= 3; ++issue)
      for (const auto& c : comments(issue)) all += c.body + "\n";
    for (const auto& p : github().pulls(kOwner, kRepo)) all += p.title + "\n" + p.body + "\n";
    all += run_shell("git --git-dir=" + shell_quote(github().git_dir(kOwner, kRepo)) +
                     " log --all -p --format=%B")
               .out;
    all += bottega_log();
    for (const auto& row : query("SELECT data::text FROM agent_events")) all += row[0].c_str();
    for (const auto& row :
         query("SELECT coalesce(message, '') || coalesce(stderr_tail, '') FROM agent_runs"))
      all += row[0].c_str();
    for (const auto& row : query("SELECT state::text FROM tasks")) all += row[0].c_str();
    return all;
  }
};

// Door 1: the app's git after the turn. The agent points its git (and then
// the worktree's .git file, and commondir) at programs of its own through
// every setting git runs a program from. A canary outside the sandbox would
// record any of them running as the app; none may, and the pull request
// carries exactly the agent's files.
TEST_F(Containment, NothingTheAgentWritesIntoGitRunsInTheApp) {
  const std::string pwned = tree() + "/pwned";
  fs::create_directories(pwned);
  const std::string attack = replace_all(R"SH(set -u
E="$BOTTEGA_RUN_DIR/evil"; mkdir -p "$E/hooks"
canary() { printf '#!/bin/sh\ntouch "PWNED/%s"\ncat >/dev/null 2>&1\nexit 0\n' "$1" > "$E/$1"; chmod +x "$E/$1"; }
for door in fsmonitor diff ssh cred include filter gitdir hook; do canary $door; done
for h in pre-commit post-commit post-checkout pre-push reference-transaction post-index-change; do
  cp "$E/hook" "$E/hooks/$h"; cp "$E/hook" "$(git rev-parse --git-dir)/hooks/$h" 2>/dev/null || true
done
door() { if "$@" >/dev/null 2>&1; then echo "set: $*" >> doors.txt; else echo "FAILED: $*" >> doors.txt; fi; }
door git config core.fsmonitor "$E/fsmonitor"
door git config core.hooksPath "$E/hooks"
door git config diff.external "$E/diff"
door git config core.sshCommand "$E/ssh"
door git config credential.helper "$E/cred"
printf '[core]\n\tfsmonitor = %s\n' "$E/include" > "$E/included.cfg"
door git config include.path "$E/included.cfg"
door git config filter.evil.clean "$E/filter"
door git config filter.evil.smudge "$E/filter"
printf '* filter=evil\n' > .gitattributes
git init -q --bare "$E/gd" && git --git-dir="$E/gd" config core.bare false &&
  git --git-dir="$E/gd" config core.fsmonitor "$E/gitdir" &&
  git --git-dir="$E/gd" config core.hooksPath "$E/hooks" && echo "set: evil git dir" >> doors.txt
echo "$E/gd" > "$(git rev-parse --git-dir)/commondir" && echo "set: commondir" >> doors.txt
printf 'gitdir: %s\n' "$E/gd" > .git && echo "set: .git file" >> doors.txt
)SH",
                                         "PWNED", pwned);
  ASSERT_NO_FATAL_FAILURE(start_bottega());
  int issue = open_issue("Add a greeting file", "Please add hello.txt that says hello.");
  implement_with(issue, script_step("attack-git.sh", attack));
  ASSERT_NO_FATAL_FAILURE(trigger_and_wait_for_plan(issue));
  ASSERT_NO_FATAL_FAILURE(approve(issue));
  ASSERT_NO_FATAL_FAILURE(expect_pull_request(issue));
  ASSERT_TRUE(settle());

  const auto branch = pulls_for(issue)[0].head_ref;
  auto doors = file_at(branch, "doors.txt");
  ASSERT_TRUE(doors) << "the attack ran and recorded its doors";
  EXPECT_EQ(doors->find("FAILED"), std::string::npos)
      << "every door was set inside the sandbox, so the test means something:\n"
      << *doors;
  EXPECT_NE(doors->find("set: .git file"), std::string::npos) << *doors;
  std::vector<std::string> ran;
  for (const auto& e : fs::directory_iterator(pwned)) ran.push_back(e.path().filename().string());
  EXPECT_TRUE(ran.empty()) << "the app ran the agent's program for: "
                           << ::testing::PrintToString(ran);
  EXPECT_EQ(changed_paths(branch),
            (std::vector<std::string>{".gitattributes", "doors.txt", "hello.txt"}))
      << "exactly the agent's files, no .git";
  EXPECT_EQ(file_at(branch, "hello.txt"), std::optional<std::string>("hello\n"))
      << "committed as written: no filter ran";
}

// Door 2: a path the app writes in the worktree (plan.commit_path) made a
// symbolic link to a file outside it. Nothing is written there; the task
// says why.
TEST_F(Containment, TheAppWritesNothingThroughASymbolicLinkInTheWorktree) {
  const std::string outside = tree() + "/outside.md";
  std::ofstream(outside) << "untouched\n";
  ASSERT_NO_FATAL_FAILURE(start_bottega());
  ASSERT_TRUE(github()
                  .commit_files(kOwner, kRepo, "main",
                                {{".github/bottega.yml", "plan:\n  commit_path: docs/plan.md\n"}},
                                "configure bottega")
                  .ok());
  int issue = open_issue("Add a greeting file", "Please add hello.txt that says hello.");
  implement_with(issue, "tool mkdir -p docs && ln -s " + shell_quote(outside) + " docs/plan.md");
  ASSERT_NO_FATAL_FAILURE(trigger_and_wait_for_plan(issue));
  ASSERT_NO_FATAL_FAILURE(approve(issue));
  ASSERT_TRUE(wait_for_blocked(issue, "symbolic link"));
  ASSERT_TRUE(settle());
  EXPECT_EQ(read_all(outside), "untouched\n") << "nothing was written through the link";
  EXPECT_NE(status_comment(issue)->body.find("docs/plan.md"), std::string::npos)
      << status_comment(issue)->body;
  EXPECT_TRUE(pulls_for(issue).empty());
}

// Door 3: CI. A workflow the agent writes would run with the repository's
// secrets; GitHub refuses it from an App without the `workflows`
// permission, and the app does not try: the task says why, naming the file,
// and nothing is pushed or committed, so `/retry` starts clean and the work
// reaches a pull request without the workflow.
TEST_F(Containment, AWorkflowFileTheAgentWritesIsNeverPushed) {
  ASSERT_NO_FATAL_FAILURE(start_bottega());
  int issue = open_issue("Add a greeting file", "Please add hello.txt that says hello.");
  // The first implementation turn (turn 2) writes it; the retry's does not.
  write_scenario(std::to_string(issue) + "/turn-2",
                 with_prefix({"tool mkdir -p .github/workflows && echo 'on: push' > "
                              ".github/workflows/exfiltrate.yml"},
                             implement_turn()));
  ASSERT_NO_FATAL_FAILURE(trigger_and_wait_for_plan(issue));
  ASSERT_NO_FATAL_FAILURE(approve(issue));
  ASSERT_TRUE(wait_for_blocked(issue, ".github/workflows/exfiltrate.yml"));
  ASSERT_TRUE(settle());
  EXPECT_NE(status_comment(issue)->body.find("`workflows` permission"), std::string::npos)
      << status_comment(issue)->body;
  EXPECT_TRUE(pulls_for(issue).empty());
  EXPECT_TRUE(branches().empty()) << "nothing was pushed";

  int64_t retry = comment(issue, kWriter, "/retry");
  ASSERT_TRUE(wait_for_reaction(retry, "eyes"));
  ASSERT_NO_FATAL_FAILURE(expect_pull_request(issue));
  const auto pulls = pulls_for(issue);
  ASSERT_EQ(pulls.size(), 1u);
  EXPECT_EQ(changed_paths(pulls[0].head_ref), (std::vector<std::string>{"hello.txt"}));
}

// The files the app reads back from the run directory: the agent makes the
// task document a link to a file of the host's (not a registered secret,
// so only not following the link keeps it out). Its content never reaches
// GitHub; the turn is not taken.
TEST_F(Containment, TheAppReadsNoFileThroughALinkTheAgentLeftInItsRunDirectory) {
  const std::string host_file = tree() + "/host-notes.txt";
  const std::string content = "host-only-notes-" + std::to_string(::getpid());
  std::ofstream(host_file) << content << "\n";
  ASSERT_NO_FATAL_FAILURE(start_bottega());
  int issue = open_issue("Add a greeting file", "Please add hello.txt that says hello.");
  write_scenario(std::to_string(issue) + "/plan",
                 {"tool ln -sf " + shell_quote(host_file) + " \"$BOTTEGA_TASK_FILE\"",
                  "signal plan-ready", "result ok planned"});
  label_issue(issue);
  ASSERT_TRUE(wait_for_label(issue, "bottega:blocked"));
  ASSERT_TRUE(settle());
  for (const auto& c : comments(issue))
    EXPECT_EQ(c.body.find(content), std::string::npos) << c.body;
  EXPECT_EQ(count("SELECT count(*) FROM tasks WHERE state::text LIKE '%" + content + "%'"), 0);
  EXPECT_FALSE(plan_comment(issue)) << "no plan was taken from the link";
}

// Door 3 and 4: what the sandbox shows. From inside: the host's secrets,
// the server's files and processes, other worktrees, the database's socket
// are absent or unreadable; the agent is an unprivileged user with no
// capability to undo the view; the network reaches only the egress proxy,
// which lets through the allow-list and refuses loopback, private and
// link-local addresses.
TEST_F(Containment, TheSandboxShowsNoSecretNoHostAndOnlyTheAllowedNetwork) {
  const int github_port = std::stoi(github().base_url().substr(github().base_url().rfind(':') + 1));
  const std::string allowed = "127.0.0.1:" + std::to_string(github_port);
  set_config("agents.egress_allow", allowed);
  set_config("agents.egress_allow_private", allowed);
  // Another task's worktree and a file in the data directory.
  fs::create_directories(tree() + "/data/workspaces/worktrees/acme-widgets-999");
  std::ofstream(tree() + "/data/workspaces/worktrees/acme-widgets-999/secret.txt") << "other\n";
  std::ofstream(tree() + "/data/secret.txt") << "data\n";
  ASSERT_NO_FATAL_FAILURE(start_bottega());
  std::string pg_dir = database_url().substr(database_url().find("host=") + 5);
  pg_dir = pg_dir.substr(0, pg_dir.find(' '));

  std::string probe = R"SH(set -u
out=probe.txt; : > $out
check() { if bash -c "$2" >/dev/null 2>&1; then echo "$1: LEAK" >> $out; else echo "$1: blocked" >> $out; fi; }
echo "uid: $(id -u)" >> $out
echo "capeff: $(grep CapEff /proc/self/status | tr -d '\t' | cut -d: -f2)" >> $out
check shadow 'cat /etc/shadow'
check root 'ls /root'
check config 'cat CONFIG'
check key 'cat KEY'
check log 'cat TREE/serve-1.log'
check data 'cat TREE/data/secret.txt'
check other_worktree 'cat TREE/data/workspaces/worktrees/acme-widgets-999/secret.txt'
check cache_config 'cat TREE/data/workspaces/cache/acme/widgets.git/config'
check server_environ 'cat /proc/SERVER_PID/environ'
check pg_socket 'test -e PGDIR/.s.PGSQL.5432 || ls PGDIR | grep -q .'
check umount 'umount /usr'
check remount 'mount -o remount,rw /'
check write_usr 'touch /usr/bin/pwned'
check tcp_app 'exec 3<>/dev/tcp/127.0.0.1/APP_PORT'
check tcp_github 'exec 3<>/dev/tcp/127.0.0.1/GITHUB_PORT'
check tcp_private 'timeout 5 bash -c "exec 3<>/dev/tcp/10.0.0.1/80"'
check tcp_metadata 'timeout 5 bash -c "exec 3<>/dev/tcp/169.254.169.254/80"'
connect() {
  local hp=${HTTPS_PROXY#http://}; hp=${hp%/}
  exec 4<>/dev/tcp/${hp%:*}/${hp##*:} || { echo "no proxy"; return; }
  printf 'CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n' "$1" "$1" >&4
  local proto code rest; read -r -t 10 proto code rest <&4; echo "$code"; exec 4<&-
}
echo "proxy_allowed: $(connect ALLOWED)" >> $out
echo "proxy_app: $(connect 127.0.0.1:APP_PORT)" >> $out
echo "proxy_localhost: $(connect localhost:APP_PORT)" >> $out
echo "proxy_private: $(connect 10.0.0.1:80)" >> $out
echo "proxy_metadata: $(connect 169.254.169.254:80)" >> $out
echo "proxy_unlisted: $(connect example.com:443)" >> $out
)SH";
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"CONFIG", config_file()},
           {"KEY", tree() + "/app.pem"},
           {"TREE", tree()},
           {"SERVER_PID", std::to_string(server_pid())},
           {"PGDIR", pg_dir},
           {"APP_PORT", std::to_string(port())},
           {"GITHUB_PORT", std::to_string(github_port)},
           {"ALLOWED", allowed}})
    probe = replace_all(probe, from, to);
  int issue = open_issue("Add a greeting file", "Please add hello.txt that says hello.");
  implement_with(issue, script_step("probe.sh", probe));
  ASSERT_NO_FATAL_FAILURE(trigger_and_wait_for_plan(issue));
  ASSERT_NO_FATAL_FAILURE(approve(issue));
  ASSERT_NO_FATAL_FAILURE(expect_pull_request(issue));

  auto seen = file_at(pulls_for(issue)[0].head_ref, "probe.txt");
  ASSERT_TRUE(seen) << "the probe ran";
  EXPECT_EQ(seen->find("LEAK"), std::string::npos) << *seen;
  for (const char* door : {"shadow", "root", "config", "key", "log", "data", "other_worktree",
                           "cache_config", "server_environ", "pg_socket", "umount", "remount",
                           "write_usr", "tcp_app", "tcp_github", "tcp_private", "tcp_metadata"})
    EXPECT_NE(seen->find(std::string(door) + ": blocked"), std::string::npos) << door << "\n"
                                                                              << *seen;
  EXPECT_EQ(seen->find("uid: 0\n"), std::string::npos) << "not root inside:\n" << *seen;
  EXPECT_NE(seen->find("uid: "), std::string::npos) << *seen;
  EXPECT_NE(seen->find("capeff: 0000000000000000"), std::string::npos) << *seen;
  EXPECT_NE(seen->find("proxy_allowed: 200"), std::string::npos) << *seen;
  for (const char* refused :
       {"proxy_app", "proxy_localhost", "proxy_private", "proxy_metadata", "proxy_unlisted"})
    EXPECT_NE(seen->find(std::string(refused) + ": 403"), std::string::npos) << refused << "\n"
                                                                             << *seen;
}

// Door 5: the model key. The agent's environment, processes and files hold
// only a per-turn token; a request with it reaches the model API through the
// gateway, which adds the real key; a budget smaller than one response ends
// the turn there, as "budget reached".
TEST_F(Containment, TheModelKeyStaysOutsideAndTheGatewayEndsTheTurnAtTheBudget) {
  FakeModelApi api("true");
  ASSERT_TRUE(api.start().ok());
  const std::string key = "sk-ant-e2e-" + std::to_string(::getpid()) + "-a1b2c3d4e5f6";
  set_config("harnesses.claude.api_key", key);
  set_config("harnesses.claude.base_url", api.base_url());
  set_config("harnesses.claude.prices", "claude-sonnet-4-5=3/0.3/15");
  // Less than the one answer (100 input and 20 output tokens: $0.0006);
  // the planning turn reports no cost.
  set_config("tasks.max_cost_usd", "0.0001");
  write_scenario("plan", with_prefix({"usage 1 0 1 0 0"}, plan_turn()));
  ASSERT_NO_FATAL_FAILURE(start_bottega());
  const std::string turn = R"SH(set -u
d="$BOTTEGA_RUN_DIR/seen"; mkdir -p "$d"
env > "$d/env.txt"
for p in /proc/[0-9]*; do cat $p/environ $p/cmdline 2>/dev/null | tr '\0' '\n'; done > "$d/processes.txt"
grep -r . "$HOME" "$BOTTEGA_RUN_DIR/home" 2>/dev/null > "$d/home.txt"
echo "$ANTHROPIC_API_KEY" > "$d/token.txt"
u=${ANTHROPIC_BASE_URL#http://}; hp=${u%%/*}
body='{"model":"claude-sonnet-4-5","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}'
exec 5<>/dev/tcp/${hp%:*}/${hp##*:}
printf 'POST /v1/messages HTTP/1.1\r\nHost: %s\r\nx-api-key: %s\r\nanthropic-version: 2023-06-01\r\ncontent-type: application/json\r\ncontent-length: %d\r\nconnection: close\r\n\r\n%s' "$hp" "$ANTHROPIC_API_KEY" ${#body} "$body" >&5
cat <&5 > "$d/answer.txt"
sleep 50
)SH";
  int issue = open_issue("Add a greeting file", "Please add hello.txt that says hello.");
  implement_with(issue, script_step("model.sh", turn));
  ASSERT_NO_FATAL_FAILURE(trigger_and_wait_for_plan(issue));
  ASSERT_NO_FATAL_FAILURE(approve(issue));
  ASSERT_TRUE(wait_for_blocked(issue, "budget"));
  ASSERT_TRUE(settle());

  const std::string runs = tree() + "/data";
  // Stopped mid-turn: the rest of the scenario (hello.txt, the signal) never ran.
  EXPECT_TRUE(pulls_for(issue).empty());
  EXPECT_TRUE(branches().empty());
  const std::string token = read_every(runs, "token.txt");
  ASSERT_FALSE(token.empty());
  EXPECT_EQ(token.find(key), std::string::npos);
  for (const char* file : {"env.txt", "processes.txt", "home.txt"})
    EXPECT_EQ(read_every(runs, file).find(key), std::string::npos) << "the key is in " << file;
  auto requests = api.requests();
  ASSERT_EQ(requests.size(), 1u) << "one request forwarded; none after the budget was spent";
  EXPECT_NE(requests[0].authorization.find(key), std::string::npos)
      << "the gateway added the real key: " << requests[0].authorization;
  auto runs_now = agent_runs();
  ASSERT_FALSE(runs_now.empty());
  EXPECT_EQ(runs_now.back().status, "budget_reached");
}

// Door 6: secrets on the way out. The agent writes the turn's gateway token
// and a secret the app holds (another harness's key, as if it had learnt
// it) into a file, its messages and its stderr. The push is refused naming
// the file, not the secret; no secret reaches GitHub, the log or the
// transcripts.
TEST_F(Containment, NoSecretLeavesThroughAPushACommentTheLogOrTheTranscript) {
  const std::string planted = "sk-planted-" + std::to_string(::getpid()) + "-f00dfeedcafe";
  set_config("harnesses.codex.api_key", planted);
  ASSERT_NO_FATAL_FAILURE(start_bottega());
  const std::string leak = replace_all(R"SH(set -u
echo "$ANTHROPIC_API_KEY" > "$BOTTEGA_RUN_DIR/token.txt"
printf 'token=%s\nplanted=PLANTED\n' "$ANTHROPIC_API_KEY" > leak.txt
echo "the token is $ANTHROPIC_API_KEY and PLANTED" >&2
echo "the token is $ANTHROPIC_API_KEY and PLANTED"
printf '%s' "$ANTHROPIC_API_KEY" | base64
)SH",
                                       "PLANTED", planted);
  int issue = open_issue("Add a greeting file", "Please add hello.txt that says hello.");
  write_scenario(std::to_string(issue) + "/implement",
                 with_prefix({script_step("leak.sh", leak), "stderr leaked $ANTHROPIC_API_KEY",
                              "text my key is $ANTHROPIC_API_KEY"},
                             implement_turn()));
  ASSERT_NO_FATAL_FAILURE(trigger_and_wait_for_plan(issue));
  ASSERT_NO_FATAL_FAILURE(approve(issue));
  ASSERT_TRUE(wait_for_blocked(issue, "leak.txt"));
  ASSERT_TRUE(settle());
  EXPECT_TRUE(pulls_for(issue).empty());
  EXPECT_TRUE(branches().empty()) << "nothing was pushed";

  std::string token = read_every(tree() + "/data", "token.txt");
  while (!token.empty() && token.back() == '\n') token.pop_back();
  ASSERT_GE(token.size(), 16u);
  const std::string out = everything_that_left();
  EXPECT_EQ(out.find(token), std::string::npos) << "the gateway token left the app";
  EXPECT_EQ(out.find(planted), std::string::npos) << "the planted secret left the app";
  EXPECT_NE(out.find("[REDACTED]"), std::string::npos) << "the transcript kept the text, redacted";
}

}  // namespace
}  // namespace bottega::testing
