#include <fcntl.h>
#include <unistd.h>

#include <csignal>

#include "app/commands.h"

namespace bottega {
namespace {

// A self-pipe: handlers only write the signal number. Dispositions (not the
// mask) are changed, so child processes start with a clean signal state.
int stop_pipe[2] = {-1, -1};

void on_stop_signal(int signal) {
  unsigned char byte = static_cast<unsigned char>(signal);
  [[maybe_unused]] auto n = ::write(stop_pipe[1], &byte, 1);
}

}  // namespace

void install_stop_signals() {
  if (stop_pipe[0] >= 0) return;
  if (::pipe2(stop_pipe, O_CLOEXEC) != 0) return;
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

int wait_for_stop_signal() {
  unsigned char byte = 0;
  while (::read(stop_pipe[0], &byte, 1) != 1) {
  }
  return byte;
}

}  // namespace bottega
