// The web pages' pure parts: escaping and Markdown, signed cookies, the
// stream's cursor and SSE framing, transcript fragments.
#include <gtest/gtest.h>

#include "app/web/html.h"
#include "app/web/oauth.h"
#include "app/web/session.h"
#include "app/web/task_view.h"
#include "app/web/transcript_view.h"
#include "config/base/redactor.h"

namespace bottega::web {
namespace {

TEST(WebHtml, EscapesEveryMarkupCharacter) {
  EXPECT_EQ(escape("<a href=\"x\">&'</a>"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
}

TEST(WebHtml, ReplacesInvalidUtf8) {
  EXPECT_EQ(escape(std::string("a\xff"
                               "b")),
            "a\xEF\xBF\xBD"
            "b");
}

TEST(WebMarkdown, NeverPassesMarkupThrough) {
  const std::string out = markdown(
      "# Title <script>alert(1)</script>\n\nHello <img src=x "
      "onerror=alert(1)> **bold**\n\n```\n<b>code</b>\n```\n");
  EXPECT_EQ(out.find("<script"), std::string::npos);
  EXPECT_EQ(out.find("<img"), std::string::npos);
  EXPECT_NE(out.find("&lt;script&gt;"), std::string::npos);
  EXPECT_NE(out.find("<strong>bold</strong>"), std::string::npos);
  EXPECT_NE(out.find("&lt;b&gt;code&lt;/b&gt;"), std::string::npos);
}

TEST(WebMarkdown, LinksOnlyHttpTargets) {
  EXPECT_NE(markdown("[ok](https://example.com/a)").find("<a href=\"https://example.com/a\""),
            std::string::npos);
  const std::string bad = markdown("[x](javascript:alert(1))");
  EXPECT_EQ(bad.find("<a "), std::string::npos);
  const std::string quoted = markdown("[x](https://e.com/\"onmouseover=\"alert(1))");
  EXPECT_EQ(quoted.find("\"onmouseover"), std::string::npos);
}

TEST(WebMarkdown, RendersTaskListsHeadingsAndDropsComments) {
  const std::string out =
      markdown("## To-do\n<!-- hidden\nnote -->\n- [ ] first\n- [x] second\n1. one\n");
  EXPECT_NE(out.find("<h4>To-do</h4>"), std::string::npos);
  EXPECT_NE(out.find("☐</span> first"), std::string::npos);
  EXPECT_NE(out.find("☑</span> second"), std::string::npos);
  EXPECT_NE(out.find("<ol>"), std::string::npos);
  EXPECT_EQ(out.find("hidden"), std::string::npos);
}

TEST(WebSession, SignsAndVerifiesASession) {
  CookieSigner signer("client-secret");
  const std::string cookie = signer.session("wanda", 2000);
  EXPECT_EQ(signer.session_login(cookie, 1000), "wanda");
  EXPECT_EQ(signer.session_login(cookie, 2000), std::nullopt);  // expired
  CookieSigner other("another-secret");
  EXPECT_EQ(other.session_login(cookie, 1000), std::nullopt);
}

TEST(WebSession, RefusesATamperedCookie) {
  CookieSigner signer("client-secret");
  std::string cookie = signer.session("wanda", 2000);
  std::string forged = cookie;
  forged.replace(forged.find("wanda"), 5, "admin");
  EXPECT_EQ(signer.session_login(forged, 1000), std::nullopt);
  EXPECT_EQ(signer.session_login("s|wanda|2000", 1000), std::nullopt);
  EXPECT_EQ(signer.session_login("", 1000), std::nullopt);
  // A state cookie is not a session.
  EXPECT_EQ(signer.session_login(signer.state("n", "/tasks", 2000), 1000), std::nullopt);
}

TEST(WebSession, StateIsBoundToItsNonceAndExpires) {
  CookieSigner signer("k");
  const std::string state = signer.state("abc", "/tasks/7", 2000);
  EXPECT_EQ(signer.state_return(state, "abc", 1000), "/tasks/7");
  EXPECT_EQ(signer.state_return(state, "abd", 1000), std::nullopt);
  EXPECT_EQ(signer.state_return(state, "", 1000), std::nullopt);
  EXPECT_EQ(signer.state_return(state, "abc", 2001), std::nullopt);
}

TEST(WebSession, ReturnsOnlyToLocalTaskPaths) {
  EXPECT_EQ(safe_return_path("/tasks/12"), "/tasks/12");
  EXPECT_EQ(safe_return_path("/tasks"), "/tasks");
  EXPECT_EQ(safe_return_path("//evil.example"), "/tasks");
  EXPECT_EQ(safe_return_path("https://evil.example/tasks/1"), "/tasks");
  EXPECT_EQ(safe_return_path("/tasks/1?x=\"y"), "/tasks");
  EXPECT_EQ(safe_return_path("/tasks/..\\evil"), "/tasks");
}

TEST(WebSession, ReadsCookiesAndWritesSafeOnes) {
  EXPECT_EQ(cookie_value("a=1; bottega_session=xyz; b=2", "bottega_session"), "xyz");
  EXPECT_EQ(cookie_value("xbottega_session=1", "bottega_session"), "");
  const std::string set = set_cookie("bottega_session", "v", 60, true);
  EXPECT_NE(set.find("HttpOnly"), std::string::npos);
  EXPECT_NE(set.find("SameSite=Lax"), std::string::npos);
  EXPECT_NE(set.find("Secure"), std::string::npos);
  EXPECT_EQ(set_cookie("n", "v", 0, false).find("Secure"), std::string::npos);
}

TEST(WebOAuth, AcceptsOnlyGitHubLogins) {
  EXPECT_TRUE(valid_login("wanda"));
  EXPECT_TRUE(valid_login("a-b-c"));
  EXPECT_TRUE(valid_login("bottega[bot]"));
  EXPECT_FALSE(valid_login(""));
  EXPECT_FALSE(valid_login("-a"));
  EXPECT_FALSE(valid_login("a--b"));
  EXPECT_FALSE(valid_login("a|b"));
  EXPECT_FALSE(valid_login(std::string(40, 'a')));
}

TEST(WebStream, ParsesCursors) {
  auto c = parse_cursor("12:5");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->run, 12);
  EXPECT_EQ(c->seq, 5);
  EXPECT_EQ(parse_cursor("3:-1")->seq, Cursor::kStart);
  EXPECT_FALSE(parse_cursor("12"));
  EXPECT_FALSE(parse_cursor("a:1"));
  EXPECT_FALSE(parse_cursor("1:-2"));
  EXPECT_FALSE(parse_cursor("1:2x"));
  EXPECT_LT((Cursor{1, Cursor::kEnd}), (Cursor{2, Cursor::kStart}));
}

TEST(WebStream, FramesEachLineAsData) {
  std::vector<StreamItem> items = {{Cursor{4, 2}, false, "<div>a\nb</div>"},
                                   {Cursor{4, Cursor::kEnd}, true, "<tr></tr>"}};
  EXPECT_EQ(sse(items),
            "id: 4:2\nevent: event\ndata: <div>a\ndata: b</div>\n\n"
            "id: 4:2147483647\nevent: run\ndata: <tr></tr>\n\n");
}

TEST(WebTranscript, EscapesAgentTextAndFoldsLongOutput) {
  const std::string msg =
      event_html("assistant", R"({"kind":"assistant","text":"<script>x</script> done"})");
  EXPECT_EQ(msg.find("<script>"), std::string::npos);
  std::string long_output;
  for (int i = 0; i < 40; ++i) long_output += "line " + std::to_string(i) + "\\n";
  const std::string folded = event_html(
      "tool_result", R"({"kind":"tool_result","text":")" + long_output + R"(","exit_code":1})");
  EXPECT_NE(folded.find("<details>"), std::string::npos);
  EXPECT_NE(folded.find("exit 1"), std::string::npos);
  EXPECT_NE(event_html("tool_result", "not json").find("unreadable"), std::string::npos);
}

TEST(WebTranscript, HidesSecrets) {
  register_secret("sk-test-web-secret-123456", "a test key");
  const std::string out =
      event_html("tool_result", R"({"kind":"tool_result","text":"key=sk-test-web-secret-123456"})");
  EXPECT_EQ(out.find("sk-test-web-secret-123456"), std::string::npos);
  unregister_secret("sk-test-web-secret-123456");
}

// A task is on the board in every phase of its work, the pull request's
// fix turns among them.
TEST(WebBoard, ShowsATaskInEveryPhaseOfItsWork) {
  const std::vector<std::string> phases = {
      "planning", "awaiting_approval", "awaiting_answers", "implementing", "reviewing",
      "refining", "opening_pr",        "pr_open",          "fixing",       "blocked",
      "done",     "cancelled"};
  std::vector<TaskSummary> tasks;
  for (std::size_t i = 0; i < phases.size(); ++i) {
    TaskSummary t;
    t.id = static_cast<int64_t>(i) + 1;
    t.repo = "acme/greeter";
    t.issue = t.id;
    t.title = "task " + phases[i];
    t.phase = phases[i];
    t.pr_number = 40 + t.id;
    t.pr_url = "https://github.com/acme/greeter/pull/" + std::to_string(t.pr_number);
    tasks.push_back(t);
  }
  const std::string html = board_html(tasks, "https://github.com");
  for (const auto& t : tasks) {
    EXPECT_NE(html.find("id=\"phase-" + t.phase + "\""), std::string::npos) << t.phase;
    EXPECT_NE(html.find("href=\"/tasks/" + std::to_string(t.id) + "\""), std::string::npos)
        << t.phase;
    EXPECT_NE(html.find("PR #" + std::to_string(t.pr_number)), std::string::npos) << t.phase;
  }
}

}  // namespace
}  // namespace bottega::web
