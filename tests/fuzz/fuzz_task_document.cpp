// The task document reader (a branch anyone with push access may edit):
// every accessor on any document.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/report/task_document.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view doc(reinterpret_cast<const char*>(data), size);
  std::string request = bottega::report::request_part(doc);
  std::string plan = bottega::report::plan_part(doc);
  if (request + plan != doc) __builtin_trap();  // the documented split
  (void)bottega::report::with_plan(doc, plan);
  (void)bottega::report::section(doc, "Todo");
  (void)bottega::report::todo_section(doc);
  (void)bottega::report::count_todos(doc);
  (void)bottega::report::unchecked_todos(doc);
  (void)bottega::report::plan_summary(doc);
  (void)bottega::report::qa_results(doc);  // into the pull request's body
  (void)bottega::report::branch_name(12, doc.substr(0, 256));
  return 0;
}
