// Which models and effort levels each harness can take. Pure and
// header-only, so the configuration loader can reject a bad role at start
// without linking the agent runtime.
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace bottega::agents {

inline bool is_known_harness(std::string_view name) {
  return name == "claude" || name == "codex" || name == "opencode";
}

// nullopt when `harness` can run `model`; otherwise why not, for a person.
// Claude Code takes Anthropic models (claude-…, or the aliases opus, sonnet,
// haiku); Codex takes OpenAI-style model names (anything but another
// vendor's or a provider/model pair); OpenCode needs provider/model.
inline std::optional<std::string> check_model(std::string_view harness, std::string_view model) {
  const std::string m(model);
  if (model.empty()) return "no model given (a turn never runs on a default model)";
  for (char c : model)
    if (c == ' ' || c == '\t' || c == '\n' || c == '"') return "model '" + m + "' contains a space or quote";
  if (harness == "claude") {
    if (model.rfind("claude-", 0) == 0 || model == "opus" || model == "sonnet" || model == "haiku")
      return std::nullopt;
    return "harness claude cannot run model '" + m +
           "': it takes Anthropic models (claude-…, opus, sonnet, haiku)";
  }
  if (harness == "codex") {
    if (model.find('/') != std::string_view::npos || model.rfind("claude", 0) == 0 ||
        model.rfind("gemini", 0) == 0 || model == "opus" || model == "sonnet" || model == "haiku")
      return "harness codex cannot run model '" + m +
             "': it takes OpenAI Responses API models (gpt-…, o3, codex-…)";
    return std::nullopt;
  }
  if (harness == "opencode") {
    auto slash = model.find('/');
    if (slash == std::string_view::npos || slash == 0 || slash + 1 == model.size())
      return "harness opencode cannot run model '" + m +
             "': it takes provider/model (e.g. anthropic/claude-sonnet-4-5)";
    return std::nullopt;
  }
  return "unknown harness '" + std::string(harness) + "' (known: claude, codex, opencode)";
}

// nullopt when `harness` accepts `effort` (empty: the CLI's default effort).
inline std::optional<std::string> check_effort(std::string_view harness, std::string_view effort) {
  if (effort.empty()) return std::nullopt;
  auto one_of = [&](std::initializer_list<std::string_view> allowed) {
    for (auto a : allowed)
      if (a == effort) return true;
    return false;
  };
  if (harness == "claude") {
    if (one_of({"low", "medium", "high", "max"})) return std::nullopt;
    return "harness claude takes effort low, medium, high or max, not '" + std::string(effort) + "'";
  }
  if (harness == "codex") {
    if (one_of({"minimal", "low", "medium", "high", "xhigh"})) return std::nullopt;
    return "harness codex takes effort minimal, low, medium, high or xhigh, not '" +
           std::string(effort) + "'";
  }
  if (harness == "opencode") {
    for (char c : effort)
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
        return "harness opencode takes a variant name (e.g. high), not '" + std::string(effort) + "'";
    return std::nullopt;
  }
  return "unknown harness '" + std::string(harness) + "' (known: claude, codex, opencode)";
}

}  // namespace bottega::agents
