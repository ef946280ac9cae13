// The installation-token cache alone: when it mints, and that concurrent
// callers share one mint and its failure.
#include "github/client/token_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

namespace bottega::github::detail {
namespace {

using namespace std::chrono_literals;

class SetClock final : public Clock {
 public:
  time_point now() const override { return now_.load(); }
  std::chrono::steady_clock::time_point steady_now() const override {
    return std::chrono::steady_clock::time_point(now_.load().time_since_epoch());
  }
  void advance(std::chrono::seconds d) { now_ = now_.load() + d; }

 private:
  std::atomic<time_point> now_{time_point(std::chrono::seconds(1'700'000'000))};
};

class TokenCacheTest : public ::testing::Test {
 protected:
  // A mint that hands out "t1", "t2", ... valid for an hour.
  TokenCache::Mint counting_mint() {
    return [this]() -> GhResult<TokenCache::Minted> {
      return TokenCache::Minted{"t" + std::to_string(++mints), clock.now() + 1h};
    };
  }

  SetClock clock;
  TokenCache cache{clock, 300s};
  std::atomic<int> mints{0};
};

TEST_F(TokenCacheTest, MintsOnceAndServesTheTokenUntilTheMarginBeforeItExpires) {
  EXPECT_EQ(*cache.get(1, counting_mint()), "t1");
  clock.advance(3300s - 1s);  // 5 min and a second before expiry
  EXPECT_EQ(*cache.get(1, counting_mint()), "t1");
  clock.advance(1s);  // exactly the margin left: refreshed
  EXPECT_EQ(*cache.get(1, counting_mint()), "t2");
  EXPECT_EQ(mints, 2);
}

TEST_F(TokenCacheTest, EachInstallationHasItsOwnToken) {
  EXPECT_EQ(*cache.get(1, counting_mint()), "t1");
  EXPECT_EQ(*cache.get(2, counting_mint()), "t2");
  EXPECT_EQ(*cache.get(1, counting_mint()), "t1");
}

TEST_F(TokenCacheTest, AFailedMintIsReturnedAndNotCached) {
  auto failing = []() -> GhResult<TokenCache::Minted> {
    return GitHubError::local(GitHubError::Kind::auth, "no");
  };
  auto r = cache.get(1, failing);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "no");
  EXPECT_EQ(*cache.get(1, counting_mint()), "t1");
}

TEST_F(TokenCacheTest, ForgetDropsOnlyTheTokenThatWasUsed) {
  EXPECT_EQ(*cache.get(1, counting_mint()), "t1");
  cache.forget(1, "an older token");  // someone else already refreshed it
  EXPECT_EQ(*cache.get(1, counting_mint()), "t1");
  cache.forget(1, "t1");
  EXPECT_EQ(*cache.get(1, counting_mint()), "t2");
  cache.forget(1, "");  // whatever it is
  EXPECT_EQ(*cache.get(1, counting_mint()), "t3");
}

TEST_F(TokenCacheTest, CallersArrivingDuringAMintWaitForItInsteadOfMintingAgain) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> started{0};
  auto slow_mint = [&]() -> GhResult<TokenCache::Minted> {
    ++started;
    released.wait();
    return TokenCache::Minted{"t" + std::to_string(started.load()), clock.now() + 1h};
  };
  std::vector<std::future<GhResult<std::string>>> callers;
  for (int i = 0; i < 4; ++i)
    callers.push_back(std::async(std::launch::async, [&] { return cache.get(1, slow_mint); }));
  while (started == 0) std::this_thread::yield();
  std::this_thread::sleep_for(50ms);  // the others reach get() meanwhile
  release.set_value();
  for (auto& c : callers) {
    auto r = c.get();
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(*r, "t1");
  }
  EXPECT_EQ(started, 1);
}

}  // namespace
}  // namespace bottega::github::detail
