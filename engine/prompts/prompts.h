// The prompts the agents get and the plan template, by name: "plan",
// "implement", "review" and "plan-template". The defaults are the files
// config/prompts/<name>.md and config/plan-template.md, compiled into the
// binary at build time (so it needs no files beside it); a repository may
// replace one with .github/bottega/prompts/<name>.md on its default branch.
// The caller fetches that file; this module picks and renders. The variables
// every prompt may use are listed in spec/prompts.md and prompt_variables().
// Thread-safety: pure functions over immutable data. Ownership: views point
// into static storage and live as long as the program.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/base/result.h"
#include "engine/prompts/template.h"

namespace bottega::prompts {

// "plan", "implement", "review", "plan-template", in that order.
const std::vector<std::string>& prompt_names();

// The prompts of the workflow's modes (spec/workflow.md, "Modes"):
// "plan-product" (the planner of the product flow) and "solo" (the one
// agent of solo mode). Known, overridable and rendered like the four.
const std::vector<std::string>& mode_prompt_names();

// The prompt a turn of `role` ("plan", "implement", "review", "solo")
// renders: "plan-product" for the planner of a product-flow task.
std::string prompt_for(std::string_view role, bool product_flow);
// The prompts of fix turns on a task's pull request (spec/shepherd.md):
// "fix-ci", "resolve-conflicts", "address-review", and "review-fix" (the
// review of a fix before its push). Named like the others
// (defaults in config/prompts/, overrides in .github/bottega/prompts/).
const std::vector<std::string>& fix_prompt_names();

// The built-in text of the prompt `name`; nullopt for an unknown name.
std::optional<std::string_view> default_prompt(std::string_view name);

// Where a repository puts its override of `name`:
// ".github/bottega/prompts/<name>.md".
std::string override_path(std::string_view name);

// The names of the variables every prompt may use (spec/prompts.md), sorted.
const std::vector<std::string>& prompt_variables();

// Checks a repository's override before any turn needs it: the name must be
// a prompt's and the text may use only prompt_variables(). Fails with the
// override's path, the line and the offending tag.
[[nodiscard]] Result<void> check_override(std::string_view name, std::string_view override_text);

// Renders the prompt `name`: `override_text` when given (a repository's
// file), else the default. Fails for an unknown name, or when the text uses
// a variable `vars` lacks or a malformed tag; the message names the file
// ("prompt implement.md" or "prompt .github/bottega/prompts/implement.md").
[[nodiscard]] Result<std::string> render_prompt(std::string_view name,
                                                std::optional<std::string_view> override_text,
                                                const TemplateVars& vars);

// A markdown bullet list of shell commands for {{setup_commands}} and
// {{test_commands}}: "- `make test`" per command, or "(none configured)".
std::string command_list(const std::vector<std::string>& commands);

}  // namespace bottega::prompts
