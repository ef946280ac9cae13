#include "engine/agents/bridge.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <list>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>

extern char** environ;

namespace bottega::agents {

namespace {

constexpr std::string_view kHost = "127.0.0.1:";

void say(const std::string& message) {
  std::fprintf(stderr, "bottega sandbox-exec: %s\n", message.c_str());
}

// One accepted TCP connection and its unix-socket twin. The descriptors
// are closed when the last holder lets go; `cut()` wakes both pumps.
struct Connection {
  int tcp = -1;
  int peer = -1;  // the unix socket, once connected
  bool cut_requested = false;
  std::mutex mutex;  // guards peer and cut_requested
  std::atomic<bool> done{false};
  std::thread thread;

  ~Connection() {
    if (thread.joinable()) thread.join();
    if (tcp >= 0) ::close(tcp);
    if (peer >= 0) ::close(peer);
  }

  void cut() {
    std::lock_guard lock(mutex);
    cut_requested = true;
    ::shutdown(tcp, SHUT_RDWR);
    if (peer >= 0) ::shutdown(peer, SHUT_RDWR);
  }
};

bool send_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// Copies src to dst until EOF (then half-closes dst) or an error (then
// shuts both down, which also ends the other direction).
void pump(int src, int dst) {
  char buf[64 * 1024];
  for (;;) {
    ssize_t n = ::recv(src, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) {
      ::shutdown(dst, SHUT_WR);
      return;
    }
    if (n < 0 || !send_all(dst, buf, static_cast<std::size_t>(n))) {
      ::shutdown(src, SHUT_RDWR);
      ::shutdown(dst, SHUT_RDWR);
      return;
    }
  }
}

int connect_unix(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);  // length checked by parse_forward
  int rc;
  do {
    rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    int saved = errno;
    ::close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

void serve(Connection& c, const std::string& socket_path) {
  int peer = connect_unix(socket_path);
  if (peer < 0) {
    say("cannot connect to " + socket_path + ": " + std::strerror(errno));
    ::shutdown(c.tcp, SHUT_RDWR);
    c.done = true;
    return;
  }
  {
    std::lock_guard lock(c.mutex);
    c.peer = peer;
    if (c.cut_requested) {
      ::shutdown(c.tcp, SHUT_RDWR);
      ::shutdown(peer, SHUT_RDWR);
    }
  }
  try {
    std::thread down([&c] { pump(c.peer, c.tcp); });
    pump(c.tcp, c.peer);
    down.join();
  } catch (const std::system_error& e) {
    say(std::string("cannot start a thread: ") + e.what());
  }
  c.done = true;
}

int listen_on(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(fd, 128) != 0) {
    int saved = errno;
    ::close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

int status_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return kBridgeSetupFailed;
}

}  // namespace

Result<Forward> parse_forward(std::string_view text) {
  const std::string shown(text);
  if (text.substr(0, kHost.size()) != kHost)
    return make_error("forward '" + shown + "': expected 127.0.0.1:PORT=SOCKET");
  text.remove_prefix(kHost.size());
  auto eq = text.find('=');
  if (eq == std::string_view::npos)
    return make_error("forward '" + shown + "': expected 127.0.0.1:PORT=SOCKET");
  unsigned port = 0;
  auto digits = text.substr(0, eq);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (ec != std::errc() || end != digits.data() + digits.size() || port == 0 || port > 65535)
    return make_error("forward '" + shown + "': the port must be a number in 1..65535");
  Forward f;
  f.port = static_cast<std::uint16_t>(port);
  f.socket = std::string(text.substr(eq + 1));
  if (f.socket.empty() || f.socket[0] != '/')
    return make_error("forward '" + shown + "': the socket must be an absolute path");
  if (f.socket.size() >= sizeof(sockaddr_un{}.sun_path))
    return make_error("forward '" + shown + "': the socket path is longer than " +
                      std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) + " bytes");
  for (unsigned char ch : f.socket)
    if (ch < 0x20 || ch == 0x7f)
      return make_error("forward '" + shown + "': control characters in the socket path");
  return f;
}

std::string format_forward(const Forward& forward) {
  return std::string(kHost) + std::to_string(forward.port) + "=" + forward.socket;
}

int run_bridge(const std::vector<Forward>& forwards, const std::vector<std::string>& argv) {
  if (argv.empty()) {
    say("no program to run");
    return kBridgeSetupFailed;
  }
  // Listen before the program starts, so it can connect at once.
  std::vector<int> listeners;
  auto close_listeners = [&listeners] {
    for (int fd : listeners) ::close(fd);
    listeners.clear();
  };
  for (const auto& f : forwards) {
    int fd = listen_on(f.port);
    if (fd < 0) {
      say("cannot listen on 127.0.0.1:" + std::to_string(f.port) + ": " + std::strerror(errno));
      close_listeners();
      return kBridgeSetupFailed;
    }
    listeners.push_back(fd);
  }

  sigset_t handled, old_mask;
  ::sigemptyset(&handled);
  for (int sig : {SIGCHLD, SIGTERM, SIGINT, SIGHUP}) ::sigaddset(&handled, sig);
  ::pthread_sigmask(SIG_BLOCK, &handled, &old_mask);
  int sfd = ::signalfd(-1, &handled, SFD_CLOEXEC | SFD_NONBLOCK);
  auto restore = [&] {
    if (sfd >= 0) ::close(sfd);
    ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  };
  if (sfd < 0) {
    say(std::string("cannot watch signals: ") + std::strerror(errno));
    close_listeners();
    restore();
    return kBridgeSetupFailed;
  }

  // The program gets our original signal mask and default dispositions.
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawnattr_t attr;
  ::posix_spawnattr_init(&attr);
  sigset_t defaults = handled;
  ::sigaddset(&defaults, SIGPIPE);
  ::posix_spawnattr_setsigmask(&attr, &old_mask);
  ::posix_spawnattr_setsigdefault(&attr, &defaults);
  ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t child = 0;
  int spawn_error = ::posix_spawnp(&child, args[0], nullptr, &attr, args.data(), environ);
  ::posix_spawnattr_destroy(&attr);
  if (spawn_error != 0) {
    say("cannot start " + argv[0] + ": " + std::strerror(spawn_error));
    close_listeners();
    restore();
    return spawn_error == ENOENT ? 127 : 126;
  }

  std::list<std::unique_ptr<Connection>> connections;
  int exit_status = -1;
  while (exit_status < 0) {
    std::vector<pollfd> fds;
    fds.push_back({sfd, POLLIN, 0});
    for (int fd : listeners) fds.push_back({fd, POLLIN, 0});
    // The timeout only guards against a SIGCHLD taken by another thread of
    // an embedding process; signals normally wake the poll.
    int ready = ::poll(fds.data(), fds.size(), 250);
    if (ready < 0 && errno != EINTR) {
      say(std::string("poll failed: ") + std::strerror(errno));
      ::kill(child, SIGKILL);
    }
    signalfd_siginfo info;
    while (::read(sfd, &info, sizeof info) == static_cast<ssize_t>(sizeof info))
      if (info.ssi_signo != SIGCHLD) ::kill(child, static_cast<int>(info.ssi_signo));
    int status = 0;
    pid_t r = ::waitpid(child, &status, WNOHANG);
    if (r == child) {
      exit_status = status_of(status);
      break;
    }
    if (r < 0 && errno == ECHILD) {  // reaped elsewhere: nothing to wait for
      exit_status = kBridgeSetupFailed;
      break;
    }
    for (std::size_t i = 1; ready > 0 && i < fds.size(); ++i) {
      if (!(fds[i].revents & POLLIN)) continue;
      for (;;) {
        int tcp = ::accept4(fds[i].fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (tcp < 0) break;  // EAGAIN: all taken; anything else: the client's problem
        auto c = std::make_unique<Connection>();
        c->tcp = tcp;
        try {
          c->thread = std::thread(serve, std::ref(*c), std::cref(forwards[i - 1].socket));
          connections.push_back(std::move(c));
        } catch (const std::system_error& e) {
          say(std::string("cannot start a thread: ") + e.what());
        }
      }
    }
    connections.remove_if([](const std::unique_ptr<Connection>& c) { return c->done.load(); });
  }

  close_listeners();
  for (auto& c : connections) c->cut();
  connections.clear();  // joins
  signalfd_siginfo info;
  while (::read(sfd, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
  }
  restore();
  return exit_status;
}

}  // namespace bottega::agents
