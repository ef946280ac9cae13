// Internal: the prompt files compiled into the binary. Defined in the
// generated prompts_data.cpp (engine/prompts/embed_prompts.cmake).
// Thread-safety: immutable static data.
#pragma once

#include <string_view>
#include <vector>

namespace bottega::prompts {

struct BuiltinPrompt {
  std::string_view name;  // "plan", "plan-template", ...
  std::string_view file;  // where it came from, relative to the source root
  std::string_view text;
};

const std::vector<BuiltinPrompt>& builtin_prompts();

}  // namespace bottega::prompts
