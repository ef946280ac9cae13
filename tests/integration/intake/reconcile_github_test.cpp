// The reconciler end to end against the fake GitHub: a delivery GitHub
// could not make (our server was down) is found in the App's delivery log,
// redelivered once, and stored.
#include <gtest/gtest.h>

#include <filesystem>
#include <pqxx/pqxx>

#include "app/delivery_log.h"
#include "app/http/server.h"
#include "app/routes.h"
#include "engine/db/database.h"
#include "engine/db/migrations.h"
#include "engine/intake/intake.h"
#include "engine/intake/reconciler.h"
#include "tests/support/child_process.h"
#include "tests/support/fake_github/fake_github.h"
#include "tests/support/postgres_fixture.h"
#include "tests/support/tls_fixture.h"

namespace bottega {
namespace {

using namespace std::chrono_literals;

TEST(ReconcileWithFakeGitHub, ALostDeliveryIsRedeliveredOnceAndStored) {
  testing::TestDatabase db;
  pqxx::connection conn(db.connection_string());
  ASSERT_TRUE(apply_migrations(conn, builtin_migrations()).ok());
  const std::string dir = testing::make_temp_dir("bottega-reconcile-");
  const int port = testing::free_port();
  const std::string secret = "reconcile-secret";
  const auto keys = fake_github::generate_rsa_key_pair();

  fake_github::FakeGitHubOptions fo;
  fo.state_dir = dir + "/state";
  fo.webhook_url = "http://127.0.0.1:" + std::to_string(port) + "/webhooks/github";
  fo.webhook_secret = secret;
  fo.app_public_key_pem = keys.public_pem;
  fake_github::FakeGitHub fake(fo);
  ASSERT_TRUE(fake.start().ok());
  auto installation = fake.add_installation("acme");
  ASSERT_TRUE(fake.add_repository(installation, "acme", "widgets").ok());

  // Our server is not up: GitHub's attempt fails.
  fake.create_issue("acme", "widgets", "alice", "Lost", "nobody heard this");
  ASSERT_TRUE(fake.wait_for_webhooks(1, 10s));

  Database database(db.connection_string(), 2);
  Intake intake(db.connection_string(), IntakeOptions{});
  ASSERT_TRUE(intake.start().ok());
  Router router(RouterDeps{&database, &intake, secret});
  HttpServerOptions so;
  so.port = static_cast<uint16_t>(port);
  HttpServer server(so, router.handler());
  ASSERT_TRUE(server.start().ok());

  github::GitHubClientOptions co;
  co.api_url = fake.base_url();
  co.app_id = "4242";
  co.private_key_pem = keys.private_pem;
  auto client = github::GitHubClient::create(co);
  ASSERT_TRUE(client.ok()) << client.error().describe();
  GitHubDeliveryLog log(**client);

  auto first = reconcile_deliveries(conn, log);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->requested, 1u);
  ASSERT_TRUE(fake.wait_for_webhooks(2, 10s));  // the redelivery reached us
  auto stored = [&] {
    return pqxx::nontransaction(conn)
        .exec1("SELECT count(*) FROM deliveries WHERE event = 'issues' AND outcome = 'accepted'")[0]
        .as<int>();
  };
  for (int i = 0; i < 50 && stored() == 0; ++i) std::this_thread::sleep_for(100ms);
  EXPECT_EQ(stored(), 1);

  auto second = reconcile_deliveries(conn, log);  // now stored: nothing to ask
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(second->requested, 0u);
  EXPECT_EQ(stored(), 1);

  server.stop();
  intake.stop();
  fake.stop();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace bottega
