// run_git: runs one git process with exactly the environment given, a
// deadline, and stdout and stderr captured apart. Internal to the workspace
// module.
//
// Why not run_command (engine/process/run.h): git needs a clean environment
// (the token travels in it, to that one process only), stdout apart from
// stderr (porcelain output is parsed; stderr becomes error text), and a
// deadline that kills the whole process group (git-remote-https and the
// credential helper are git's children and would keep the pipes open).
//
// Thread-safety: safe to call from several threads at once.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "config/base/result.h"

namespace bottega::workspace_detail {

struct GitCommand {
  std::string exe;                // absolute path of git
  std::vector<std::string> args;  // after argv[0]
  std::string cwd;                // must exist
  std::vector<std::string> env;   // the child's whole environment, "NAME=value"
  std::chrono::milliseconds timeout{0};
};

struct GitOutput {
  int exit_code = -1;      // -1 when killed by a signal (a timeout)
  std::string out;         // stdout, capped at 64 MiB
  std::string err;         // the last 64 KiB of stderr
  bool timed_out = false;  // the deadline passed and the process group was killed
};

// Fails only when the process cannot be started; a non-zero exit or a
// timeout is a successful run that says so.
Result<GitOutput> run_git(const GitCommand& command);

}  // namespace bottega::workspace_detail
