// The {{var}} template engine on any template (a repository may override
// the prompts), with the variables the prompts have.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/prompts/template.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bottega::prompts::TemplateVars vars = {
      {"branch", "bottega/12-fix"}, {"issue", "12"}, {"title", "Fix {{it}}"}, {"plan", "}}{{"},
      {"iteration", "2"},           {"a", ""}};
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto rendered = bottega::prompts::render_template(text, vars, "fuzz.md");
  auto names = bottega::prompts::template_variables(text);
  // Every variable a rendered template used is a known one.
  if (rendered)
    for (const auto& n : names)
      if (!vars.contains(n)) __builtin_trap();
  return 0;
}
