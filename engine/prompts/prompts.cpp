#include "engine/prompts/prompts.h"

#include <algorithm>
#include <cstddef>

#include "engine/prompts/builtin.h"

namespace bottega::prompts {
namespace {

const BuiltinPrompt* find_builtin(std::string_view name) {
  for (const auto& prompt : builtin_prompts()) {
    if (prompt.name == name) return &prompt;
  }
  return nullptr;
}

bool is_prompt_name(std::string_view name) {
  const auto& names = prompt_names();
  const auto& modes = mode_prompt_names();
  const auto& fixes = fix_prompt_names();
  return std::find(names.begin(), names.end(), name) != names.end() ||
         std::find(modes.begin(), modes.end(), name) != modes.end() ||
         std::find(fixes.begin(), fixes.end(), name) != fixes.end();
}

std::string unknown_prompt_message(std::string_view name) {
  std::string message = "unknown prompt \"" + std::string(name) + "\"; known:";
  bool first = true;
  for (const auto* list : {&prompt_names(), &mode_prompt_names(), &fix_prompt_names()})
    for (const auto& known : *list) {
      message += first ? " " : ", ";
      message += known;
      first = false;
    }
  return message;
}

std::size_t longest_backtick_run(std::string_view text) {
  std::size_t longest = 0;
  std::size_t run = 0;
  for (char c : text) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return longest;
}

}  // namespace

const std::vector<std::string>& prompt_names() {
  static const std::vector<std::string> names = {"plan", "implement", "review", "plan-template"};
  return names;
}

const std::vector<std::string>& mode_prompt_names() {
  static const std::vector<std::string> names = {"plan-product", "solo", "refine"};
  return names;
}

std::string prompt_for(std::string_view role, bool product_flow) {
  if (role == "plan" && product_flow) return "plan-product";
  return std::string(role);
}

const std::vector<std::string>& fix_prompt_names() {
  static const std::vector<std::string> names = {"fix-ci", "resolve-conflicts", "address-review",
                                                 "review-fix"};
  return names;
}

std::optional<std::string_view> default_prompt(std::string_view name) {
  if (!is_prompt_name(name)) return std::nullopt;
  const BuiltinPrompt* prompt = find_builtin(name);
  if (prompt == nullptr) return std::nullopt;
  return prompt->text;
}

std::string override_path(std::string_view name) {
  return ".github/bottega/prompts/" + std::string(name) + ".md";
}

const std::vector<std::string>& prompt_variables() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v = {
        "task",        "repository",    "issue",          "title",          "task_file",
        "worktree",    "branch",        "iteration",      "max_iterations", "port_range",
        "guidance",    "plan_template", "setup_commands", "test_commands",  "pull_request",
        "fix_context", "pull_head"};
    std::sort(v.begin(), v.end());
    return v;
  }();
  return names;
}

Result<void> check_override(std::string_view name, std::string_view override_text) {
  if (!is_prompt_name(name)) return make_error(unknown_prompt_message(name));
  // Rendering with every variable set to "" finds unknown names and malformed
  // tags with the same messages a turn would get.
  TemplateVars vars;
  for (const auto& variable : prompt_variables()) vars.emplace(variable, "");
  auto rendered = render_template(override_text, vars, "prompt " + override_path(name));
  if (!rendered) return rendered.error();
  return {};
}

Result<std::string> render_prompt(std::string_view name,
                                  std::optional<std::string_view> override_text,
                                  const TemplateVars& vars) {
  if (!is_prompt_name(name)) return make_error(unknown_prompt_message(name));
  if (override_text) {
    return render_template(*override_text, vars, "prompt " + override_path(name));
  }
  const BuiltinPrompt* prompt = find_builtin(name);
  if (prompt == nullptr) {
    // Can't happen unless the build embedded the wrong files.
    return make_error("prompt " + std::string(name) + " is missing from this build");
  }
  return render_template(prompt->text, vars, "prompt " + std::string(prompt->file));
}

std::string command_list(const std::vector<std::string>& commands) {
  std::string out;
  for (const auto& command : commands) {
    if (command.find_first_not_of(" \t\r\n") == std::string::npos) continue;
    if (!out.empty()) out += '\n';
    if (command.find('\n') == std::string::npos) {
      // A code span's delimiter must be longer than any backtick run inside.
      std::string ticks(longest_backtick_run(command) + 1, '`');
      bool pad = command.front() == '`' || command.back() == '`';
      out += "- " + ticks + (pad ? " " : "") + command + (pad ? " " : "") + ticks;
    } else {
      std::string fence(std::max<std::size_t>(3, longest_backtick_run(command) + 1), '`');
      out += "- " + fence + "sh\n";
      std::size_t pos = 0;
      std::string_view text = command;
      while (pos <= text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (end == text.size() && line.empty()) break;
        out += "  " + std::string(line) + "\n";
        pos = end + 1;
      }
      out += "  " + fence;
    }
  }
  return out.empty() ? "(none configured)" : out;
}

}  // namespace bottega::prompts
