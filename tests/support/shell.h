// Shell command lines for tests: what a person would type, run with
// `sh -c`, and the quoting to build them safely.
// Thread-safety: callable from any thread.
#pragma once

#include <string>

namespace bottega::testing {

struct ShellResult {
  int status = -1;  // the exit status; -1: could not run, or killed by a signal
  std::string out;  // stdout (append "2>&1" to the command for stderr too)
};

ShellResult run_shell(const std::string& command);

// An HTTP request by curl (`curl -s ARGS`: ARGS as typed on a command
// line, the URL among them): the status (0 when none came) and the body.
struct HttpAnswer {
  int status = 0;
  std::string body;
};
HttpAnswer curl(const std::string& args);

// A shell word: single-quoted, quotes inside escaped.
std::string shell_quote(const std::string& s);

}  // namespace bottega::testing
