#include "github/app_manifest.h"

#include <gtest/gtest.h>

namespace bottega::github {
namespace {

TEST(AppManifest, AsksForTheWebhookRedirectAndExactlyThePermissionsTheAppUses) {
  ManifestSettings s;
  s.public_url = "https://bottega.example.com";
  const std::string m = app_manifest_json(s);
  for (
      const char* part :
      {R"("hook_attributes":{"url":"https://bottega.example.com/webhooks/github","active":true})",
       R"("redirect_url":"https://bottega.example.com/setup/callback")", R"("public":false)",
       // Sign-in on the web pages comes back here.
       R"("callback_urls":["https://bottega.example.com/setup/callback","https://bottega.example.com/auth/callback"])",
       R"("default_permissions":{"issues":"write","pull_requests":"write","contents":"write","checks":"write","actions":"write","statuses":"read","metadata":"read"})",
       R"("issue_comment")", R"("pull_request_review_comment")", R"("workflow_run")",
       R"("status")"})
    EXPECT_NE(m.find(part), std::string::npos) << part << " in " << m;
}

TEST(AppManifest, FormPostsToTheAccountOrTheOrganization) {
  EXPECT_EQ(manifest_form_url("https://github.com/", "", "s1"),
            "https://github.com/settings/apps/new?state=s1");
  EXPECT_EQ(manifest_form_url("https://ghe.example", "acme-co", "a b"),
            "https://ghe.example/organizations/acme-co/settings/apps/new?state=a%20b");
}

TEST(AppManifest, ConversionAnswerNeedsEveryCredential) {
  const std::string full =
      R"({"id":7,"slug":"bottega","client_id":"Iv1.x","client_secret":"cs","webhook_secret":"ws",)"
      R"("pem":"-----BEGIN RSA PRIVATE KEY-----\nk\n-----END RSA PRIVATE KEY-----\n",)"
      R"("html_url":"https://github.com/apps/bottega","owner":{"login":"octo"}})";
  auto app = parse_registered_app(full);
  ASSERT_TRUE(app.ok()) << app.error().message;
  EXPECT_EQ(app->id, 7);
  EXPECT_EQ(app->owner, "octo");
  EXPECT_EQ(app->webhook_secret, "ws");
  std::string no_pem = full;
  no_pem.replace(no_pem.find("\"pem\""), 5, "\"pen\"");
  auto missing = parse_registered_app(no_pem);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "GitHub's answer has no pem");
  EXPECT_FALSE(parse_registered_app("not json").ok());
}

}  // namespace
}  // namespace bottega::github
