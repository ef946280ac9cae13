// The bubblewrap sandbox around an agent process, as a pure function from
// the run's paths to the bwrap command line.
//
// Inside: the whole file system read-only, a private /tmp, /dev and a fresh
// /proc in a new PID namespace (no other process's environment is
// visible), the hidden paths replaced by empty ones, and only the worktree
// and the run directory writable. The network is shared: the CLI needs its
// model API.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

namespace bottega::agents {

struct SandboxSpec {
  std::string bwrap = "bwrap";        // the bubblewrap binary
  std::string worktree;               // writable
  std::string run_dir;                // writable (HOME, signal files)
  std::vector<std::string> writable;  // more writable paths (rare)
  // Read-only paths put back after /tmp and the hidden paths are emptied
  // (the runner adds the directory of the program it starts).
  std::vector<std::string> readable;
  // Made invisible: the app's data directory (other tasks' worktrees, the
  // database), the config file, key files. Directories become empty, files
  // become empty files.
  std::vector<std::string> hidden;
};

// The bwrap arguments (argv[0] is `bwrap`) that run `command` in `cwd`
// inside the sandbox. Hidden directories are checked on the file system
// (directory or file), which is the only I/O.
std::vector<std::string> sandbox_command(const SandboxSpec& spec, const std::string& cwd,
                                         const std::vector<std::string>& command);

}  // namespace bottega::agents
