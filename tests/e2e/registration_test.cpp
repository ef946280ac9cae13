// Registering the App through the setup page (GitHub's manifest flow),
// through the real `bottega serve` and the fake GitHub: a server without
// credentials → the setup page (403 without its token) → the manifest form
// posted to GitHub → GitHub's redirect with the code → the credentials
// stored sealed (the database holds no plaintext key) → a webhook signed
// with the new secret is accepted → a task runs. No restart.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fstream>
#include <regex>

#include "tests/e2e/workflow_steps.h"
#include "tests/support/shell.h"

namespace bottega::testing {
namespace {

std::pair<int, std::string> sh(const std::string& command) {
  auto r = run_shell(command + " 2>&1");
  return {r.status, r.out};
}

std::string html_unescape(std::string text) {
  for (auto [from, to] :
       {std::pair{"&quot;", "\""}, {"&#39;", "'"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}})
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + 1))
      text.replace(at, std::string(from).size(), to);
  return text;
}

class Registration : public Workflow {
 protected:
  // GET url (the test CA is not needed: -k); status and body.
  std::pair<int, std::string> get(const std::string& url) {
    auto a = curl("-k '" + url + "'");
    return {a.status, a.body};
  }
};

TEST_F(Registration, SetupPageRegistersTheAppAndATaskRunsWithoutARestart) {
  for (const char* key : {"app.id", "app.private_key_file", "app.slug", "webhook.secret"})
    unset_config(key);
  serve_tls();
  set_config("public_url", base_url());
  ASSERT_NO_FATAL_FAILURE(start_bottega());

  // The one-time token is in the log, and only its hash in the database.
  std::smatch m;
  const std::string log = bottega_log();
  ASSERT_TRUE(std::regex_search(
      log, m, std::regex("register one at (https://[^ ]+)/setup\\?token=([0-9a-f]{64})")))
      << log;
  EXPECT_EQ(m[1].str(), base_url());
  const std::string token = m[2].str();
  EXPECT_EQ(count("SELECT count(*) FROM setup_tokens WHERE token_sha256 = sha256('" + token +
                  "'::bytea)"),
            1);
  EXPECT_EQ(count("SELECT count(*) FROM setup_tokens WHERE position('" + token +
                  "'::bytea in token_sha256) > 0"),
            0);

  EXPECT_EQ(get(base_url() + "/setup").first, 403);
  EXPECT_EQ(get(base_url() + "/setup?token=" + std::string(64, '0')).first, 403);
  auto [status, page] = get(base_url() + "/setup?token=" + token);
  ASSERT_EQ(status, 200) << page;
  EXPECT_NE(page.find("no webhook secret"), std::string::npos) << page;
  // An organization's form posts to the organization's settings.
  auto [org_status, org_page] = get(base_url() + "/setup?token=" + token + "&org=acme");
  EXPECT_EQ(org_status, 200);
  EXPECT_NE(org_page.find(github().base_url() + "/organizations/acme/settings/apps/new?state="),
            std::string::npos)
      << org_page;

  ASSERT_TRUE(std::regex_search(page, m, std::regex("<form method=\"post\" action=\"([^\"]+)\">")))
      << page;
  const std::string action = html_unescape(m[1].str());
  EXPECT_EQ(action.rfind(github().base_url() + "/settings/apps/new?state=", 0), 0u) << action;
  ASSERT_TRUE(std::regex_search(page, m, std::regex("name=\"manifest\" value=\"([^\"]+)\"")));
  const std::string manifest_text = html_unescape(m[1].str());
  auto manifest = boost::json::parse(manifest_text).as_object();
  EXPECT_EQ(manifest.at("hook_attributes").at("url").as_string(), base_url() + "/webhooks/github");
  EXPECT_EQ(manifest.at("redirect_url").as_string(), base_url() + "/setup/callback");
  EXPECT_EQ(manifest.at("public").as_bool(), false);
  EXPECT_EQ(
      boost::json::serialize(manifest.at("default_permissions")),
      R"({"issues":"write","pull_requests":"write","contents":"write","checks":"write","actions":"write","statuses":"read","metadata":"read"})");
  for (const char* event : {"issues", "issue_comment", "pull_request", "pull_request_review",
                            "pull_request_review_comment", "push", "check_run", "workflow_run"}) {
    const auto& events = manifest.at("default_events").as_array();
    EXPECT_NE(std::find(events.begin(), events.end(), boost::json::value(event)), events.end())
        << event;
  }

  // The person clicks "Create GitHub App": GitHub redirects with a code.
  std::ofstream(tree() + "/manifest.json") << manifest_text;
  auto [rc, location] =
      sh("curl -s -k -o /dev/null -w '%{redirect_url}' --data-urlencode manifest@" + tree() +
         "/manifest.json '" + action + "'");
  ASSERT_EQ(location.rfind(base_url() + "/setup/callback?code=", 0), 0u) << location;
  const std::string code =
      location.substr(location.find("code=") + 5, location.find('&') - location.find("code=") - 5);
  EXPECT_NE(location.find("&state="), std::string::npos);
  // A state this server did not hand out is refused.
  EXPECT_EQ(get(base_url() + "/setup/callback?code=" + code + "&state=forged").first, 403);

  auto [done_status, done] = get(location);
  ASSERT_EQ(done_status, 200) << done << bottega_log();
  EXPECT_NE(done.find("App bottega registered"), std::string::npos) << done;
  EXPECT_NE(done.find(github().base_url() + "/apps/bottega/installations/new"), std::string::npos)
      << done;
  EXPECT_EQ(github().registered_manifest(), manifest_text);

  // Sealed at rest: no key, no secret in the database; the tokens are gone.
  EXPECT_EQ(count("SELECT count(*) FROM app_registration WHERE app_id > 0 AND slug = 'bottega'"),
            1);
  EXPECT_EQ(count("SELECT count(*) FROM app_registration WHERE position('PRIVATE KEY'::bytea in "
                  "secrets) > 0 OR position('-----'::bytea in secrets) > 0"),
            0);
  EXPECT_EQ(count("SELECT count(*) FROM setup_tokens"), 0);
  EXPECT_EQ(bottega_log().find("PRIVATE KEY-----\n"), std::string::npos);

  // GitHub refuses a code used once; the page is gone.
  auto [again, again_body] = sh("curl -s -k -o /dev/null -w '%{http_code}' -X POST '" +
                                github().base_url() + "/app-manifests/" + code + "/conversions'");
  EXPECT_EQ(again_body, "404");
  EXPECT_EQ(get(base_url() + "/setup?token=" + token).first, 404);
  EXPECT_EQ(get(location).first, 404);

  // The same process now takes webhooks signed with the new secret and runs a task.
  int issue = open_issue("Add a greeting file", "Please add hello.txt that says hello.");
  ASSERT_NO_FATAL_FAILURE(trigger_and_wait_for_plan(issue));
  EXPECT_TRUE(bottega_running());
  EXPECT_EQ(bottega_log().find("---- serve-2.log"), std::string::npos) << "bottega was restarted";
  bool accepted = false;
  for (const auto& hook : github().webhooks())
    if (hook.event == "issues" && hook.status_code == 202) accepted = true;
  EXPECT_TRUE(accepted) << "no issues webhook was accepted";

  // bottega doctor sees the registered App, opened with the same key.
  auto [doctor_status, doctor] =
      sh("'" + bottega_binary() + "' doctor --config '" + config_file() + "' 2>/dev/null");
  for (const char* line : {"ok    registered App: bottega (id ", "ok    webhook secret: set",
                           "ok    App credentials: GitHub accepts the JWT of App bottega",
                           "ok    installation acme: 1 repositories: acme/widgets"})
    EXPECT_NE(doctor.find(line), std::string::npos) << line << " in:\n" << doctor;
}

}  // namespace
}  // namespace bottega::testing
