// ChildProcess: runs a program (the real `bottega` binary, usually) with
// extra environment variables, its stdout and stderr going to a file, for
// end-to-end tests. The destructor kills it if it still runs.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace bottega::testing {

class ChildProcess {
 public:
  ChildProcess(const std::string& program, const std::vector<std::string>& args,
               const std::map<std::string, std::string>& env, const std::string& output_file);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int sig);
  // The exit status (or 128 + signal), or nullopt if it did not end in time.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  std::string output() const;

 private:
  pid_t pid_ = -1;
  std::string output_file_;
  std::optional<int> status_;
};

// The bottega binary under test ($BOTTEGA_BINARY, set by deploy/test.sh).
std::string bottega_binary();

// A TCP port on 127.0.0.1 that was free a moment ago.
int free_port();

}  // namespace bottega::testing
