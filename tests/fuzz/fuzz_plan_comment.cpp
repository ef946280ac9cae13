// The plan-comment extractor and the comment markers, on any comment body
// (a writer may edit the plan comment).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/report/comments.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  (void)bottega::report::parse_plan_marker(body);
  (void)bottega::report::extract_plan(body);
  (void)bottega::report::parse_status_marker(body);
  (void)bottega::report::render_reply(body);
  return 0;
}
