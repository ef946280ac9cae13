// Running git (and git http-backend) for the fake GitHub: posix_spawn with
// stdin from a file (no pipe deadlock on large pushes) and stdout captured.
// Thread-safety: run_process may be called from any thread.
#pragma once

#include <string>
#include <vector>

namespace bottega::fake_github {

struct ProcessResult {
  int exit_code = -1;  // -1: could not start or killed by a signal
  std::string out;     // everything written to stdout
};

// Runs argv[0] (searched in PATH) with the current environment plus `env`
// ("NAME=value"), `input` on stdin (written to a file under tmp_dir first)
// and stderr discarded.
ProcessResult run_process(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                          const std::string& input, const std::string& tmp_dir);

// The trimmed first line of output.
std::string first_line(const std::string& out);

}  // namespace bottega::fake_github
