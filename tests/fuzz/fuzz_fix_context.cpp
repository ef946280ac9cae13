// What a fix turn reads from outside: a CI job's log (log_tail) and the
// agent's replies.json (read_fix_answers), on any bytes.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "engine/worker/fix_context.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)bottega::log_tail(input, 200);
  (void)bottega::log_tail(input, 1);
  static const std::string dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("fuzz-fix-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d.string();
  }();
  {
    std::ofstream out(dir + "/replies.json", std::ios::binary | std::ios::trunc);
    out.write(input.data(), static_cast<std::streamsize>(input.size()));
  }
  std::string problem;
  (void)bottega::read_fix_answers(dir, {1, 12, 1234567890123}, problem);
  return 0;
}
