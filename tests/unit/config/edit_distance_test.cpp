#include "config/base/edit_distance.h"

#include <gtest/gtest.h>

namespace bottega {
namespace {

TEST(EditDistance, CountsInsertionsDeletionsSubstitutionsAndSwaps) {
  struct Case {
    const char* a;
    const char* b;
    std::size_t expected;
  };
  const Case cases[] = {
      {"", "", 0},
      {"", "abc", 3},
      {"abc", "", 3},
      {"plan", "plan", 0},
      {"aprove", "approve", 1},
      {"approvee", "approve", 1},
      {"plna", "plan", 1},
      {"cancle", "cancel", 1},
      {"path", "plan", 3},
      {"ca", "abc", 3},     // OSA: no substring is edited twice
      {"Plan", "plan", 1},  // case counts
      {"kitten", "sitting", 3},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(edit_distance(c.a, c.b), c.expected) << c.a << " -> " << c.b;
    EXPECT_EQ(edit_distance(c.b, c.a), c.expected) << c.b << " -> " << c.a;
  }
}

}  // namespace
}  // namespace bottega
