// CloseInheritedFds: a Boost.Process v2 initializer that keeps a child from
// inheriting any descriptor but stdin, stdout and stderr.
//
// Boost 1.81's own close_all() skips the descriptors between 3 and its
// internal error pipe (a loop compares an entry with itself), so a
// long-lived grandchild (the PostgreSQL server, an agent's tool) would keep
// our pipes open and a reader would never see EOF. This marks every
// descriptor from 3 up close-on-exec in the child, after the stdio
// bindings ran, which also keeps the launcher's error pipe working.
// Pass it last in the initializer list.
#pragma once

#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <boost/process/v2/process.hpp>

namespace bottega {

struct CloseInheritedFds {
  template <class Launcher>
  boost::system::error_code on_exec_setup(Launcher&, const boost::filesystem::path&,
                                          const char* const*&) {
    if (::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
      const long max = ::sysconf(_SC_OPEN_MAX);
      for (int fd = 3; fd < (max > 0 ? max : 1024); ++fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    return {};
  }
};

}  // namespace bottega
