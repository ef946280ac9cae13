// Which models and effort levels each harness can take: the rules live with
// the configuration (config/server_config.h), which checks every role at
// start; these names are the agents' view of them.
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "config/server_config.h"

namespace bottega::agents {

inline bool is_known_harness(std::string_view name) { return bottega::is_known_harness(name); }

// nullopt when `harness` can run `model`; otherwise why not, for a person.
inline std::optional<std::string> check_model(std::string_view harness, std::string_view model) {
  return bottega::check_harness_model(harness, model);
}

// nullopt when `harness` accepts `effort` (empty: the CLI's default effort).
inline std::optional<std::string> check_effort(std::string_view harness, std::string_view effort) {
  return bottega::check_harness_effort(harness, effort);
}

}  // namespace bottega::agents
