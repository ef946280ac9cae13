// From the server configuration to what the agent runtime takes: one
// harness's settings and the runner's options (limits, sandbox, the paths
// hidden from agents). The workflow and `bottega agent` share these, so a
// turn runs the same way from both.
// Thread-safety: pure functions over values.
#pragma once

#include <string>
#include <string_view>

#include "config/base/result.h"
#include "config/server_config.h"
#include "engine/agents/harness.h"
#include "engine/agents/runner.h"

namespace bottega::agents {

// The settings of harness `name`; fails for an unknown harness (the lists
// were checked when the configuration loaded).
[[nodiscard]] Result<HarnessSettings> harness_settings(const ServerConfig& config,
                                                       std::string_view name);

// Limits and sandbox from `agents.*`; hidden in the sandbox: the data
// directory, the config file, the App private key and the TLS key (as
// absolute paths). `bottega_dir` (the directory of the running binary) goes
// first on the agent's PATH so it can run `bottega signal`.
RunnerOptions runner_options(const ServerConfig& config, const std::string& bottega_dir);

}  // namespace bottega::agents
