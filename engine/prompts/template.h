// The `{{var}}` template engine the prompts and the plan template are
// written in. Deliberately tiny: `{{ name }}` is replaced by the variable's
// value and there is no other syntax (no conditionals, loops, escapes or
// filters), so a prompt reads as the text the agent gets. It fails instead of
// guessing: a misspelt variable in a repository's override must not reach an
// agent as a silent blank.
// Thread-safety: pure functions. Ownership: results are owned copies.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "config/base/result.h"

namespace bottega::prompts {

// Variable name → value. Names are [a-z_][a-z0-9_]*.
using TemplateVars = std::map<std::string, std::string>;

// Renders `text`, replacing each `{{ name }}` (spaces or tabs allowed inside
// the braces, on one line) by vars.at(name). Values are inserted as they are
// and never scanned again, so a value holding "{{" is harmless.
// Fails, naming the template (`name`, e.g. "prompt implement.md"), the
// 1-based line and the tag, on:
//   - an unknown variable ("prompt implement.md line 12: unknown variable
//     {{iteraton}} (did you mean {{iteration}}?); known: branch, ...");
//   - a `{{` with no `}}` on its line ("... line 3: unclosed {{");
//   - anything else between the braces ("... line 3: {{ a.b }} is not a
//     variable: names are [a-z_][a-z0-9_]* and there is no other syntax").
// A lone `}}` is plain text.
[[nodiscard]] Result<std::string> render_template(std::string_view text, const TemplateVars& vars,
                                                  std::string_view name);

// The variable names `text` uses, each once, in order of first use. Malformed
// tags are skipped (render_template reports them). For validating a
// repository's override before any task needs it.
std::vector<std::string> template_variables(std::string_view text);

}  // namespace bottega::prompts
