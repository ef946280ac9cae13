#include <gtest/gtest.h>

#include "engine/process/run.h"

namespace bottega {
namespace {

TEST(TailLines, KeepsTheLastLines) {
  EXPECT_EQ(tail_lines("a\nb\nc\nd\n", 2), "c\nd\n");
  EXPECT_EQ(tail_lines("a\nb\nc", 2), "b\nc");
}

TEST(TailLines, ShortTextIsWhole) {
  EXPECT_EQ(tail_lines("only\n", 5), "only\n");
  EXPECT_EQ(tail_lines("", 5), "");
}

}  // namespace
}  // namespace bottega
