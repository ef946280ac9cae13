// The payload of the engine's task jobs (agent_turn, open_pr, cleanup_task,
// task_effects): which task, and for a turn which one. Written by the
// engine, read back when the job is claimed, possibly by a newer version of
// the program: the format is {"task_id":N} or {"task_id":N,"turn":M}.
#pragma once

#include <cstdint>
#include <string>

#include "config/base/result.h"

namespace bottega {

struct TaskJobPayload {
  int64_t task_id = 0;
  int turn = 0;  // agent_turn jobs only; 0 for the others
};

std::string encode_task_job(const TaskJobPayload& p);
// Fails, naming the payload, when it has no task id.
[[nodiscard]] Result<TaskJobPayload> decode_task_job(const std::string& payload);

}  // namespace bottega
