#include "engine/agents/agent_config.h"

#include <filesystem>

namespace bottega::agents {
namespace {

std::string absolute(const std::string& path) {
  std::error_code ec;
  auto p = std::filesystem::absolute(path, ec);
  return (ec ? std::filesystem::path(path) : p).lexically_normal().string();
}

}  // namespace

Result<HarnessSettings> harness_settings(const ServerConfig& config, std::string_view name) {
  auto it = config.harnesses.find(std::string(name));
  if (it == config.harnesses.end())
    return make_error("unknown harness '" + std::string(name) +
                      "' (known: claude, codex, opencode)");
  const HarnessConfig& hc = it->second;
  HarnessSettings s;
  s.binary = hc.binary;
  s.base_url = hc.base_url;
  s.api_key = hc.api_key;
  auto env = parse_env_list(hc.extra_env);
  if (!env)
    return make_error("harnesses." + std::string(name) + ".extra_env: " + env.error().message);
  auto prices = parse_price_table(hc.prices);
  if (!prices)
    return make_error("harnesses." + std::string(name) + ".prices: " + prices.error().message);
  s.extra_env = std::move(*env);
  s.prices = std::move(*prices);
  return s;
}

RunnerOptions runner_options(const ServerConfig& config, const std::string& bottega_dir) {
  RunnerOptions o;
  o.limits.wall = config.agent_timeout;
  o.limits.idle = config.agent_idle_timeout;
  o.sandbox = config.agent_sandbox;
  o.readable = config.agent_sandbox_read_paths;
  if (!bottega_dir.empty()) {
    const std::string dir = absolute(bottega_dir);
    o.path_prepend.push_back(dir);
    o.bottega_binary = (std::filesystem::path(dir) / "bottega").string();
  }
  return o;
}

}  // namespace bottega::agents
