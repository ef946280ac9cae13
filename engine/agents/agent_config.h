// From the server configuration to what the agent runtime takes: one
// harness's settings and the runner's options (limits, sandbox, where
// `bottega` is). The workflow and `bottega agent` share these, so a
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

// Limits and sandbox from `agents.*`. `bottega_dir` (the directory of the
// running binary) goes first on the agent's PATH so it can run `bottega
// signal`, and `bottega_dir`/bottega runs the sandbox's bridge. Nothing
// needs hiding: the sandbox shows only what it binds (sandbox.h).
RunnerOptions runner_options(const ServerConfig& config, const std::string& bottega_dir);

}  // namespace bottega::agents
