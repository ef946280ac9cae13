// The web pages end to end: the real `bottega serve`, the fake GitHub (with
// its sign-in pages), the fake agent, and a real headless Chromium driven by
// tests/e2e/web_browser.mjs (puppeteer-core). The agent's planning turn
// waits for files the browser script writes, so the script sees the turn
// run, new lines arrive, and the turn end, whatever the machine's speed.
// With $BOTTEGA_SCREENSHOT_DIR set, the script writes the README's two
// screenshots there (board.png, task.png).
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/e2e/workflow_fixture.h"
#include "tests/support/shell.h"

namespace bottega::testing {
namespace {

namespace fs = std::filesystem;

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

class WebPagesTest : public WorkflowFixture {};

// The scenario with its `signal` steps run as shell tool calls, as a real
// agent runs `bottega signal` (so the transcript shows the verdict).
Scenario signals_as_tools(Scenario steps) {
  for (auto& step : steps)
    if (step.rfind("signal ", 0) == 0) step = "tool bottega " + step;
  return steps;
}

TEST_F(WebPagesTest, ABrowserSignsInAndWatchesTheTranscriptLive) {
  const std::string chromium = env_or("BOTTEGA_CHROMIUM", "/usr/bin/chromium");
  const std::string puppeteer =
      env_or("BOTTEGA_NPM_DIR", "") + "/puppeteer/node_modules/puppeteer-core";
  ASSERT_TRUE(fs::exists(chromium))
      << chromium << " is missing: deploy/install-deps.sh installs Chromium";
  ASSERT_TRUE(fs::exists(puppeteer))
      << puppeteer << " is missing: tests/support/npm-packages.sh installs puppeteer-core";

  set_config("app.client_id", "Iv1.fakeclientid");
  set_config("app.client_secret", "fake-client-secret");
  // The turns wait for the browser, which may be slow to start.
  set_config("agents.timeout_minutes", "5");
  set_config("agents.idle_timeout_minutes", "5");
  const std::string go = scenario_dir();
  // A second task, still planning while the screenshots are taken (the board
  // then has two columns); it ends when the test writes go-3.
  const int other = open_issue("Document the widget format", "Describe src/widget.txt.");
  write_scenario(std::to_string(other) + "/plan",
                 with_prefix({"text Reading src/widget.txt.",
                              "tool while [ ! -f \"$FAKE_AGENT_SCENARIO_DIR/go-3\" ]; do sleep "
                              "0.1; done"},
                             plan_turn({"describe the format"})));
  const int issue = open_issue("Add a greeting", "Please add hello.txt with a friendly greeting.");
  write_scenario(
      std::to_string(issue) + "/plan",
      signals_as_tools(with_prefix(
          {"thinking The request names one file; the README should mention it too.",
           "text Looking at the repository. <script>alert(1)</script> stays text.", "tool ls -la",
           "tool while [ ! -f \"$FAKE_AGENT_SCENARIO_DIR/go-1\" ]; do sleep 0.1; done; "
           "echo waited for go-1",
           "text First step done.",
           "tool while [ ! -f \"$FAKE_AGENT_SCENARIO_DIR/go-2\" ]; do sleep 0.1; done",
           "text Second step done."},
          plan_turn({"create hello.txt", "mention it in README.md"},
                    "Add `hello.txt` with a greeting and mention it in the README."))));
  start_bottega();
  label_issue(other);
  label_issue(issue);
  ASSERT_TRUE(wait_until(
      [&] {
        for (const auto& run : agent_runs())
          if (run.issue == issue && run.ended_at < 0) return true;
        return false;
      },
      "the planning turn of the main issue runs"));
  const long long task_id = count("SELECT id FROM tasks WHERE issue = " + std::to_string(issue));

  const std::string shots = env_or("BOTTEGA_SCREENSHOT_DIR", tree() + "/screenshots");
  const std::string command =
      "BOTTEGA_URL=" + shell_quote(base_url()) + " TASK_ID=" + std::to_string(task_id) +
      " GO_DIR=" + shell_quote(go) + " SCREENSHOT_DIR=" + shell_quote(shots) +
      " CHROMIUM=" + shell_quote(chromium) + " PUPPETEER=" + shell_quote(puppeteer) +
      " timeout 240 node " +
      shell_quote(std::string(BOTTEGA_SOURCE_DIR) + "/tests/e2e/web_browser.mjs") + " 2>&1";
  auto browser = run_shell(command);
  std::ofstream(go + "/go-1").flush();  // never leave the agents waiting
  std::ofstream(go + "/go-2").flush();
  std::ofstream(go + "/go-3").flush();
  EXPECT_EQ(browser.status, 0) << browser.out << "\n" << describe_state();
  EXPECT_NE(browser.out.find("ok: new transcript lines arrived live"), std::string::npos)
      << browser.out;
  EXPECT_TRUE(fs::exists(shots + "/board.png"));
  EXPECT_TRUE(fs::exists(shots + "/task.png"));
  EXPECT_TRUE(wait_for_label(issue, "bottega:awaiting-approval"));
  EXPECT_TRUE(wait_for_label(other, "bottega:awaiting-approval"));
}

// Signs in through the App's OAuth flow with curl as `login`; returns the
// cookie jar's path ("" when a step failed, with the test failed).
std::string sign_in(const std::string& base, const std::string& jar, const std::string& login,
                    const std::string& back) {
  auto first = run_shell("curl -s -o /dev/null -c " + shell_quote(jar) + " -w '%{redirect_url}' " +
                         shell_quote(base + "/auth/login?return=" + back));
  EXPECT_NE(first.out.find("/login/oauth/authorize?client_id="), std::string::npos) << first.out;
  auto authorized = run_shell("curl -s -k -o /dev/null -w '%{redirect_url}' " +
                              shell_quote(first.out + "&login=" + login));
  EXPECT_NE(authorized.out.find("/auth/callback?code="), std::string::npos) << authorized.out;
  auto back_home =
      run_shell("curl -s -o /dev/null -b " + shell_quote(jar) + " -c " + shell_quote(jar) +
                " -w '%{http_code} %{redirect_url}' " + shell_quote(authorized.out));
  EXPECT_EQ(back_home.out, "302 " + base + back);
  return jar;
}

HttpAnswer get(const std::string& url, const std::string& jar = "", const std::string& extra = "") {
  return curl((jar.empty() ? "" : "-b " + shell_quote(jar) + " ") + extra + " " + shell_quote(url));
}

// The SSE ids in a stream answer, in order.
std::vector<std::string> event_ids(const std::string& body) {
  std::vector<std::string> ids;
  std::istringstream in(body);
  for (std::string line; std::getline(in, line);)
    if (line.rfind("id: ", 0) == 0) ids.push_back(line.substr(4));
  return ids;
}

TEST_F(WebPagesTest, OnlyPeopleWhoCanReadTheRepositorySeeATaskAndItsStream) {
  set_config("app.client_id", "Iv1.fakeclientid");
  set_config("app.client_secret", "fake-client-secret");
  const int issue = open_issue("Escape me", "Make <b>this</b> safe.");
  write_scenario(std::to_string(issue) + "/plan",
                 with_prefix({"text <script>alert('agent')</script> and <b>bold</b>"},
                             plan_turn({"create hello.txt"})));
  start_bottega();
  label_issue(issue);
  ASSERT_TRUE(wait_for_label(issue, "bottega:awaiting-approval"));
  const std::string id =
      std::to_string(count("SELECT id FROM tasks WHERE issue = " + std::to_string(issue)));
  const std::string page = base_url() + "/tasks/" + id;
  const std::string stream = page + "/stream";

  // Signed out: the sign-in page, and no stream.
  auto out = get(page);
  EXPECT_EQ(out.status, 200);
  EXPECT_NE(out.body.find("Sign in with GitHub"), std::string::npos);
  EXPECT_EQ(out.body.find("run-table"), std::string::npos);
  EXPECT_EQ(get(stream + "?after=0:0").status, 401);
  // A forged session is no session.
  EXPECT_EQ(
      get(page, "", "-H 'Cookie: bottega_session=s|wanda|9999999999.00'").body.find("run-table"),
      std::string::npos);

  // The reader sees it; the agent's text is escaped.
  const std::string reader = sign_in(base_url(), tree() + "/reader.jar", kReader, "/tasks/" + id);
  auto seen = get(page, reader);
  EXPECT_EQ(seen.status, 200);
  EXPECT_NE(seen.body.find("run-table"), std::string::npos);
  EXPECT_EQ(seen.body.find("<script>alert"), std::string::npos);
  EXPECT_NE(seen.body.find("&lt;script&gt;alert(&#39;agent&#39;)&lt;/script&gt;"),
            std::string::npos);
  auto board = get(base_url() + "/tasks", reader);
  EXPECT_NE(board.body.find("href=\"/tasks/" + id + "\""), std::string::npos);

  // The stream from the start, then resumed with Last-Event-ID: no gap, no repeat.
  auto all = get(stream + "?after=0:0", reader);
  EXPECT_EQ(all.status, 200);
  auto ids = event_ids(all.body);
  ASSERT_GE(ids.size(), 4u) << all.body;
  EXPECT_EQ(ids.front().substr(ids.front().find(':')), ":-1");
  EXPECT_EQ(ids.back().substr(ids.back().find(':')), ":2147483647");
  auto rest = get(stream, reader, "-H " + shell_quote("Last-Event-ID: " + ids[1]));
  auto rest_ids = event_ids(rest.body);
  EXPECT_EQ(rest_ids, std::vector<std::string>(ids.begin() + 2, ids.end()));
  EXPECT_EQ(get(stream, reader).status, 400);  // no cursor at all

  // Someone without access: as if the task did not exist.
  const std::string stranger = sign_in(base_url(), tree() + "/stranger.jar", "mallory", "/tasks");
  EXPECT_EQ(get(page, stranger).status, 404);
  EXPECT_EQ(get(stream + "?after=0:0", stranger).status, 404);
  EXPECT_EQ(get(base_url() + "/tasks", stranger).body.find("/tasks/" + id + "\""),
            std::string::npos);
  EXPECT_EQ(get(base_url() + "/tasks/999999", reader).status, 404);

  // A callback whose state is not this browser's is refused.
  EXPECT_EQ(get(base_url() + "/auth/callback?code=x&state=y", reader).status, 400);
  // Signing out ends the session.
  auto signed_out = curl("-X POST -b " + shell_quote(reader) + " -c " + shell_quote(reader) + " " +
                         shell_quote(base_url() + "/auth/logout"));
  EXPECT_EQ(signed_out.status, 302);
  EXPECT_EQ(get(page, reader).body.find("run-table"), std::string::npos);
}

}  // namespace
}  // namespace bottega::testing
