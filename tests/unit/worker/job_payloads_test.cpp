// The task jobs' payload (engine/worker/job_payloads.h): what the engine
// writes reads back, and what earlier versions queued still reads.
#include "engine/worker/job_payloads.h"

#include <gtest/gtest.h>

namespace bottega {
namespace {

TEST(JobPayloads, RoundTrip) {
  for (TaskJobPayload p :
       {TaskJobPayload{7, 0}, TaskJobPayload{42, 3}, TaskJobPayload{INT64_MAX, 1}}) {
    auto back = decode_task_job(encode_task_job(p));
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->task_id, p.task_id);
    EXPECT_EQ(back->turn, p.turn);
  }
}

TEST(JobPayloads, WhatEarlierVersionsQueuedStillDecodes) {
  auto turn = decode_task_job(R"({"task_id":12,"turn":4})");
  ASSERT_TRUE(turn.ok());
  EXPECT_EQ(turn->task_id, 12);
  EXPECT_EQ(turn->turn, 4);
  auto pull = decode_task_job(R"({"task_id":12})");
  ASSERT_TRUE(pull.ok());
  EXPECT_EQ(pull->turn, 0);
  EXPECT_EQ(encode_task_job({12, 4}), R"({"task_id":12,"turn":4})");
  EXPECT_EQ(encode_task_job({12, 0}), R"({"task_id":12})");
}

TEST(JobPayloads, APayloadWithoutATaskIsRefusedNamingIt) {
  for (const char* bad : {"{}", "", "not json", R"({"task_id":"12"})", "[1]"}) {
    auto r = decode_task_job(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message.find("task_id"), std::string::npos);
  }
}

}  // namespace
}  // namespace bottega
