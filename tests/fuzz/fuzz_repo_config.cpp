// The repository's .bottega.yml parser: never throws, whatever the file.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/repo_config.h"
#include "config/server_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bottega::RepoConfig defaults = bottega::repo_defaults(bottega::ServerConfig{});
  std::string_view yaml(reinterpret_cast<const char*>(data), size);
  (void)bottega::parse_repo_config(yaml, defaults);
  return 0;
}
