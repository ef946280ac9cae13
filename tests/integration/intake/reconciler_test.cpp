// The reconciler against a real PostgreSQL and a scripted delivery log.
// (The GitHub client's own test covers the HTTP side of the log.)
#include "engine/intake/reconciler.h"

#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "engine/db/migrations.h"
#include "tests/support/postgres_fixture.h"

namespace bottega {
namespace {

class ScriptedLog : public HookDeliveryApi {
 public:
  std::vector<HookDelivery> deliveries;
  std::vector<int64_t> redelivered;
  bool fail_listing = false;

  Result<std::vector<HookDelivery>> recent_deliveries(std::size_t limit) override {
    if (fail_listing) return make_error("GitHub answered 502");
    std::vector<HookDelivery> out(deliveries.begin(),
                                  deliveries.begin() + std::min(limit, deliveries.size()));
    return out;
  }
  Result<void> redeliver(int64_t id) override {
    redelivered.push_back(id);
    return {};
  }
};

HookDelivery attempt(int64_t id, std::string guid, int status) {
  HookDelivery d;
  d.id = id;
  d.guid = std::move(guid);
  d.event = "issue_comment";
  d.status_code = status;
  return d;
}

TEST(Reconciler, AsksOnceForFailedDeliveriesThatAreNotStored) {
  testing::TestDatabase db;
  pqxx::connection conn(db.connection_string());
  ASSERT_TRUE(apply_migrations(conn, builtin_migrations()).ok());
  {
    pqxx::work tx(conn);
    tx.exec(
        "INSERT INTO deliveries (delivery_id, event, outcome, body) "
        "VALUES ('have-it', 'issues', 'accepted', '\\x7b7d')");
    tx.commit();
  }
  ScriptedLog log;
  log.deliveries = {attempt(30, "lost-1", 503), attempt(20, "have-it", 0),
                    attempt(10, "lost-2", 0)};
  auto first = reconcile_deliveries(conn, log);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->listed, 3u);
  EXPECT_EQ(first->requested, 2u);
  EXPECT_EQ(log.redelivered, (std::vector<int64_t>{30, 10}));

  auto second = reconcile_deliveries(conn, log);  // the next period: nothing new to ask
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->requested, 0u);
  EXPECT_EQ(log.redelivered.size(), 2u);
}

TEST(Reconciler, AListingFailureIsAnErrorToRetry) {
  testing::TestDatabase db;
  pqxx::connection conn(db.connection_string());
  ASSERT_TRUE(apply_migrations(conn, builtin_migrations()).ok());
  ScriptedLog log;
  log.fail_listing = true;
  auto r = reconcile_deliveries(conn, log);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("502"), std::string::npos);
}

TEST(Reconciler, ScheduleKeepsOneReconcileJobPending) {
  testing::TestDatabase db;
  pqxx::connection conn(db.connection_string());
  ASSERT_TRUE(apply_migrations(conn, builtin_migrations()).ok());
  ASSERT_TRUE(schedule_reconcile(conn).ok());
  ASSERT_TRUE(schedule_reconcile(conn).ok());
  EXPECT_EQ(pqxx::nontransaction(conn)
                .exec1("SELECT count(*) FROM jobs WHERE kind = 'reconcile_deliveries'")[0]
                .as<int>(),
            1);
}

}  // namespace
}  // namespace bottega
