# Writes OUT: a C++ file defining builtin_prompts() from PROMPTS_DIR/*.md
# (each named after its file) and PLAN_TEMPLATE (named "plan-template").
file(GLOB files ${PROMPTS_DIR}/*.md)
list(SORT files)
list(APPEND files ${PLAN_TEMPLATE})
set(body "")
foreach(f ${files})
  get_filename_component(stem ${f} NAME_WE)
  if(f STREQUAL PLAN_TEMPLATE)
    set(name "plan-template")
  else()
    set(name ${stem})
  endif()
  file(RELATIVE_PATH rel ${SOURCE_DIR} ${f})
  file(READ ${f} text)
  string(FIND "${text}" ")bottega_prompt\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${rel} contains the raw-string delimiter )bottega_prompt\"")
  endif()
  string(APPEND body "      {\"${name}\", \"${rel}\", R\"bottega_prompt(${text})bottega_prompt\"},\n")
endforeach()
file(WRITE ${OUT}.tmp "// Generated from config/prompts/*.md and config/plan-template.md by
// embed_prompts.cmake; do not edit.
#include \"engine/prompts/builtin.h\"

namespace bottega::prompts {

const std::vector<BuiltinPrompt>& builtin_prompts() {
  static const std::vector<BuiltinPrompt> prompts = {
${body}  };
  return prompts;
}

}  // namespace bottega::prompts
")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
