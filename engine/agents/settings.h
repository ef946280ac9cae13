// Harness settings that need parsing: price tables and extra environment
// lists. Header-only and pure, so the configuration loader checks them at
// start without linking the agent runtime.
// Thread-safety: pure functions over values.
#pragma once

#include <cerrno>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "config/base/result.h"
#include "engine/agents/event.h"

namespace bottega::agents {

// USD per million tokens, for CLIs that report no cost (Codex).
struct Price {
  double input = 0;
  double cached_input = 0;
  double output = 0;
};
using PriceTable = std::map<std::string, Price>;  // by model name

// Parses "model=input/cached/output;model2=…" (USD per million tokens);
// "" is an empty table. Fails naming the bad entry.
// Parses "NAME=value;NAME2=value" into variables; fails naming the bad entry.
// price_usage: the cost of `usage` at `price`.
namespace settings_detail {

inline std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

inline std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  while (true) {
    auto pos = s.find(sep);
    parts.push_back(s.substr(0, pos));
    if (pos == std::string_view::npos) break;
    s.remove_prefix(pos + 1);
  }
  return parts;
}

inline bool parse_double(std::string_view s, double& out) {
  std::string text(trim(s));
  if (text.empty()) return false;
  char* end = nullptr;
  errno = 0;
  out = std::strtod(text.c_str(), &end);
  return errno == 0 && *end == '\0' && out >= 0;
}

}  // namespace settings_detail

inline Result<PriceTable> parse_price_table(std::string_view text) {
  PriceTable table;
  for (auto entry : settings_detail::split(text, ';')) {
    entry = settings_detail::trim(entry);
    if (entry.empty()) continue;
    auto eq = entry.find('=');
    if (eq == std::string_view::npos || eq == 0)
      return make_error("price entry '" + std::string(entry) + "' is not model=input/cached/output");
    auto numbers = settings_detail::split(entry.substr(eq + 1), '/');
    Price p;
    if (numbers.size() != 3 || !settings_detail::parse_double(numbers[0], p.input) ||
        !settings_detail::parse_double(numbers[1], p.cached_input) || !settings_detail::parse_double(numbers[2], p.output))
      return make_error("price entry '" + std::string(entry) +
                        "' needs three non-negative numbers input/cached/output (USD per million tokens)");
    table[std::string(settings_detail::trim(entry.substr(0, eq)))] = p;
  }
  return table;
}

inline Result<std::map<std::string, std::string>> parse_env_list(std::string_view text) {
  std::map<std::string, std::string> env;
  for (auto entry : settings_detail::split(text, ';')) {
    entry = settings_detail::trim(entry);
    if (entry.empty()) continue;
    auto eq = entry.find('=');
    std::string name(entry.substr(0, eq));
    bool valid = eq != std::string_view::npos && !name.empty() && !(name[0] >= '0' && name[0] <= '9');
    for (char c : name)
      valid = valid && ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
    if (!valid) return make_error("environment entry '" + std::string(entry) + "' is not NAME=value");
    env[name] = std::string(entry.substr(eq + 1));
  }
  return env;
}

inline double price_usage(const Usage& u, const Price& p) {
  return (static_cast<double>(u.input_tokens + u.cache_write_tokens) * p.input +
          static_cast<double>(u.cached_input_tokens) * p.cached_input +
          static_cast<double>(u.output_tokens) * p.output) /
         1e6;
}

}  // namespace bottega::agents
