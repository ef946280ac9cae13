#include <gtest/gtest.h>

#include <set>

#include "engine/queue/queue.h"

namespace bottega {
namespace {

TEST(RetryDelay, DoublesWithJitterAndIsCapped) {
  QueueLimits limits;
  limits.backoff_base = std::chrono::milliseconds(1000);
  limits.backoff_cap = std::chrono::milliseconds(16000);
  std::mt19937_64 rng(1);
  for (int attempt = 1; attempt <= 8; ++attempt) {
    double nominal = std::min(1000.0 * (1 << (attempt - 1)), 16000.0);
    for (int i = 0; i < 50; ++i) {
      auto d = retry_delay(attempt, limits, rng).count();
      EXPECT_GE(d, nominal * 0.75 - 1) << "attempt " << attempt;
      EXPECT_LE(d, nominal * 1.25 + 1) << "attempt " << attempt;
    }
  }
}

TEST(RetryDelay, JitterSpreadsRetries) {
  QueueLimits limits;
  std::mt19937_64 rng(7);
  std::set<int64_t> seen;
  for (int i = 0; i < 20; ++i) seen.insert(retry_delay(3, limits, rng).count());
  EXPECT_GT(seen.size(), 10u);
}

}  // namespace
}  // namespace bottega
