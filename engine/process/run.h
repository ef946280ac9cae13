// run_command: runs a program to completion and captures its output.
// For short-lived helper programs (initdb, pg_ctl, git); long-running agent
// processes have their own runner.
// Thread-safety: safe to call from several threads at once.
#pragma once

#include <string>
#include <vector>

#include "config/base/result.h"

namespace bottega {

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr, interleaved
};

// Runs `exe` (an absolute path) with `args`, stdin from /dev/null, in `cwd`
// (empty: ours). Fails only when the program cannot be started; a non-zero
// exit is a successful run with that exit code.
Result<CommandResult> run_command(const std::string& exe, const std::vector<std::string>& args,
                                  const std::string& cwd = "");

// The last `max_lines` lines of `text`, for error messages.
std::string tail_lines(const std::string& text, std::size_t max_lines = 15);

// `name` found on `path` (a PATH value: directories separated by ':'); a
// name with a slash is returned as is; "" when no executable is found.
std::string find_program(const std::string& name, const std::string& path);

}  // namespace bottega
