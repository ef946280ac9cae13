// Sockets for the sandbox and bridge tests: a listener that never
// accepts, a unix-socket echo server, and a Python probe that connects
// from inside a sandbox.
#pragma once

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <string>
#include <thread>

namespace bottega::agents::testing {

// A listening socket (connections wait in the backlog, never accepted).
class Listener {
 public:
  static Listener tcp_loopback() {
    Listener l(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(l.fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    socklen_t len = sizeof addr;
    ::getsockname(l.fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    l.port_ = ntohs(addr.sin_port);
    EXPECT_EQ(::listen(l.fd_, 16), 0);
    return l;
  }
  static Listener unix_socket(const std::string& path) {
    Listener l(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    EXPECT_EQ(::bind(l.fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << path;
    EXPECT_EQ(::listen(l.fd_, 16), 0);
    return l;
  }
  Listener(Listener&& o) noexcept : fd_(o.fd_), port_(o.port_) { o.fd_ = -1; }
  ~Listener() {
    if (fd_ >= 0) ::close(fd_);
  }
  int fd() const { return fd_; }
  int port() const { return port_; }

 private:
  explicit Listener(int fd) : fd_(fd) {}
  int fd_ = -1;
  int port_ = 0;
};

// A unix-socket server that answers each connection with "pong:" and what
// it read up to the client's half-close, then closes.
class EchoServer {
 public:
  explicit EchoServer(const std::string& path) : listener_(Listener::unix_socket(path)) {
    thread_ = std::thread([this] {
      for (;;) {
        int c = ::accept(listener_.fd(), nullptr, nullptr);
        if (c < 0 || stop_) {
          if (c >= 0) ::close(c);
          return;
        }
        std::string got;
        char buf[4096];
        ssize_t n;
        while ((n = ::read(c, buf, sizeof buf)) > 0) got.append(buf, static_cast<std::size_t>(n));
        std::string reply = "pong:" + got;
        for (std::size_t done = 0; done < reply.size();) {
          ssize_t w = ::send(c, reply.data() + done, reply.size() - done, MSG_NOSIGNAL);
          if (w <= 0) break;
          done += static_cast<std::size_t>(w);
        }
        ::close(c);
        ++served_;
      }
    });
  }
  ~EchoServer() {
    stop_ = true;
    ::shutdown(listener_.fd(), SHUT_RDWR);
    thread_.join();
  }
  int served() const { return served_; }

 private:
  Listener listener_;
  std::atomic<bool> stop_{false};
  std::atomic<int> served_{0};
  std::thread thread_;
};

// python3 probe.py tcp HOST PORT | unix PATH | talk PORT [SIZE]:
// "connected"; the reply to "ping" (or "pong:SIZE bytes" when SIZE bytes
// came back intact); or "failed: <error> after <seconds>s" (status 1).
inline constexpr const char* kSocketProbe = R"(import socket, sys, time
kind = sys.argv[1]
start = time.monotonic()
try:
    if kind == "unix":
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(3)
        s.connect(sys.argv[2])
        print("connected")
    elif kind == "tcp":
        s = socket.create_connection((sys.argv[2], int(sys.argv[3])), timeout=3)
        print("connected")
    else:
        s = socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=5)
        size = int(sys.argv[3]) if len(sys.argv) > 3 else 0
        s.sendall(b"x" * size if size else b"ping")
        s.shutdown(socket.SHUT_WR)
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        print("pong:%d bytes" % (len(data) - 5) if size and data[:5] == b"pong:" and
              data[5:] == b"x" * size else data.decode())
except OSError as e:
    print("failed: %s after %.1fs" % (e, time.monotonic() - start))
    sys.exit(1)
)";

}  // namespace bottega::agents::testing
