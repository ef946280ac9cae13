// The slash-command parser on any comment body.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "github/commands.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  (void)bottega::github::parse_comment(body);
  (void)bottega::github::command_from_string(body);
  return 0;
}
