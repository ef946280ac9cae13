// spawn_process: starts a program with posix_spawn.
//
// glibc spawns with clone(CLONE_VM | CLONE_VFORK) and runs none of our code
// between the clone and the exec. A fork-based launcher (Boost.Process v2's)
// runs Asio's fork hooks in the child, which allocate: if another thread
// held an allocator lock at the fork (a sanitizer's allocator, whose locks
// are not fork-safe), the child waits on it forever. Used where a child
// starts while other threads are busy (git, beside the HTTPS client).
//
// The child gets /dev/null as stdin, the given descriptors as stdout and
// stderr, no other descriptor of ours, an empty signal mask and SIGPIPE's
// default action. Thread-safety: callable from any thread.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "config/base/result.h"

namespace bottega {

struct SpawnOptions {
  std::string exe;                // absolute path
  std::vector<std::string> args;  // after argv[0]
  std::vector<std::string> env;   // the child's whole environment, "NAME=value"
  std::string cwd;                // empty: ours
  int stdout_fd = -1;             // -1: /dev/null
  int stderr_fd = -1;             // -1: /dev/null
  bool new_session = false;       // setsid(): a session and process group of its own
};

// The child's pid; an error naming the program and the reason when it
// could not be started (a missing or non-executable program included).
Result<pid_t> spawn_process(const SpawnOptions& options);

}  // namespace bottega
