#include "engine/intake/reconciler.h"

#include <gtest/gtest.h>

namespace bottega {
namespace {

HookDelivery attempt(int64_t id, std::string guid, int status) {
  HookDelivery d;
  d.id = id;
  d.guid = std::move(guid);
  d.event = "issues";
  d.status_code = status;
  return d;
}

std::vector<int64_t> ids(const std::vector<HookDelivery>& ds) {
  std::vector<int64_t> out;
  for (const auto& d : ds) out.push_back(d.id);
  return out;
}

TEST(ChooseRedeliveries, FailedAndNotStoredIsRedeliveredOnceByItsNewestAttempt) {
  // Newest first: guid "a" failed twice (attempts 3 and 1), "b" failed once.
  std::vector<HookDelivery> recent = {attempt(3, "a", 502), attempt(2, "b", 0),
                                      attempt(1, "a", 504)};
  EXPECT_EQ(ids(choose_redeliveries(recent, {}, {}, 10)), (std::vector<int64_t>{3, 2}));
}

TEST(ChooseRedeliveries, StoredRequestedOrAnsweredAreSkipped) {
  std::vector<HookDelivery> recent = {attempt(4, "stored", 503), attempt(3, "asked", 503),
                                      attempt(2, "ok-later", 202), attempt(1, "ok-later", 500)};
  EXPECT_TRUE(choose_redeliveries(recent, {"stored"}, {"asked"}, 10).empty());
}

TEST(ChooseRedeliveries, RespectsTheLimit) {
  std::vector<HookDelivery> recent = {attempt(3, "a", 500), attempt(2, "b", 500),
                                      attempt(1, "c", 500)};
  EXPECT_EQ(ids(choose_redeliveries(recent, {}, {}, 2)), (std::vector<int64_t>{3, 2}));
}

}  // namespace
}  // namespace bottega
