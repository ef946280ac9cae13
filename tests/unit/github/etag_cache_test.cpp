// The ETag cache alone: what it keeps, for how long, and what it gives back.
#include "github/client/etag_cache.h"

#include <gtest/gtest.h>

#include <string>

namespace bottega::github::detail {
namespace {

CachedRead read_of(std::string etag, std::string body = "{}") {
  return CachedRead{std::move(etag), std::move(body), ""};
}

TEST(EtagCache, GivesBackWhatItWasGivenUnderTheSameKeyOnly) {
  EtagCache cache(4);
  cache.remember("1 https://api/x", CachedRead{"\"a\"", "{\"n\":1}", "<next>; rel=\"next\""});
  auto hit = cache.find("1 https://api/x");
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->etag, "\"a\"");
  EXPECT_EQ(hit->body, "{\"n\":1}");
  EXPECT_EQ(hit->link, "<next>; rel=\"next\"");
  EXPECT_EQ(cache.find("2 https://api/x"), std::nullopt);  // another installation
}

TEST(EtagCache, ANewerAnswerReplacesTheOld) {
  EtagCache cache(4);
  cache.remember("k", read_of("\"a\""));
  cache.remember("k", read_of("\"b\""));
  EXPECT_EQ(cache.find("k")->etag, "\"b\"");
}

TEST(EtagCache, TheLeastRecentlyUsedEntryGoesFirst) {
  EtagCache cache(2);
  cache.remember("a", read_of("1"));
  cache.remember("b", read_of("2"));
  ASSERT_TRUE(cache.find("a").has_value());  // a is now the most recent
  cache.remember("c", read_of("3"));
  EXPECT_TRUE(cache.find("a").has_value());
  EXPECT_EQ(cache.find("b"), std::nullopt);
  EXPECT_TRUE(cache.find("c").has_value());
}

TEST(EtagCache, KeepsNothingWithoutRoomOrForAHugeBody) {
  EtagCache none(0);
  none.remember("k", read_of("1"));
  EXPECT_EQ(none.find("k"), std::nullopt);
  EtagCache cache(4);
  cache.remember("big", read_of("1", std::string(4 * 1024 * 1024 + 1, 'x')));
  EXPECT_EQ(cache.find("big"), std::nullopt);
  cache.remember("limit", read_of("1", std::string(4 * 1024 * 1024, 'x')));
  EXPECT_TRUE(cache.find("limit").has_value());
}

}  // namespace
}  // namespace bottega::github::detail
