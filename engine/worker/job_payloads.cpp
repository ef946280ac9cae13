#include "engine/worker/job_payloads.h"

#include <simdjson.h>

namespace bottega {

std::string encode_task_job(const TaskJobPayload& p) {
  std::string out = "{\"task_id\":" + std::to_string(p.task_id);
  if (p.turn != 0) out += ",\"turn\":" + std::to_string(p.turn);
  return out + "}";
}

Result<TaskJobPayload> decode_task_job(const std::string& payload) {
  simdjson::dom::parser parser;
  simdjson::dom::object o;
  TaskJobPayload p;
  int64_t turn = 0;
  if (parser.parse(payload).get(o) || o["task_id"].get(p.task_id))
    return make_error("job payload has no task_id: " + payload);
  if (o["turn"].get(turn)) turn = 0;  // only agent_turn jobs name a turn
  p.turn = static_cast<int>(turn);
  return p;
}

}  // namespace bottega
