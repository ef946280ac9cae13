// Raw sockets for the egress proxy and model gateway tests: a blocking
// client with a receive timeout, and a loopback stand-in server (echo, or
// one canned HTTP answer per connection) that records what it received.
// Thread-safety: a Client belongs to one thread; StandIn's accessors lock.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace bottega::agents::testing {

class Client {
 public:
  static Client tcp(uint16_t port) {
    Client c;
    c.fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    if (::connect(c.fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) c.close();
    return c;
  }
  static Client unix_socket(const std::string& path) {
    Client c;
    c.fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
    if (::connect(c.fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) c.close();
    return c;
  }
  Client() = default;
  Client(Client&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Client& operator=(Client&& o) noexcept {
    std::swap(fd_, o.fd_);
    return *this;
  }
  ~Client() { close(); }

  bool connected() const { return fd_ >= 0; }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  void shutdown_write() { ::shutdown(fd_, SHUT_WR); }

  bool send(const std::string& data) {
    std::size_t off = 0;
    while (off < data.size()) {
      ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<std::size_t>(n);
    }
    return true;
  }

  // Reads until `marker` has arrived (or, with an empty marker, until the
  // peer closes), the peer closes, or `timeout` passes. Returns all read.
  std::string read_until(const std::string& marker,
                         std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (!marker.empty() && received_.find(marker) != std::string::npos) break;
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      char buf[4096];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        closed_ = true;
        break;
      }
      received_.append(buf, static_cast<std::size_t>(n));
    }
    return received_;
  }
  std::string read_all(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    return read_until("", timeout);
  }
  bool peer_closed() const { return closed_; }
  void clear() { received_.clear(); }

 private:
  int fd_ = -1;
  std::string received_;
  bool closed_ = false;
};

// A loopback server: echoes every byte back, or (http) reads one request
// head, records it and answers `200 hello` with Connection: close.
class StandIn {
 public:
  enum class Mode { echo, http };
  explicit StandIn(Mode mode) : mode_(mode) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    ::listen(fd_, 16);
    thread_ = std::thread([this] { run(); });
  }
  ~StandIn() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
    for (auto& t : workers_) t.join();
  }
  uint16_t port() const { return port_; }
  std::vector<std::string> heads() const {
    std::lock_guard lock(mutex_);
    return heads_;
  }
  int connections() const { return connections_; }

 private:
  void run() {
    for (;;) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) < 0 || stop_) return;
      if (p.revents == 0) continue;
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) {
        if (stop_) return;
        continue;
      }
      ++connections_;
      workers_.emplace_back([this, c] { serve(c); });
    }
  }
  void serve(int c) {
    std::string got;
    char buf[4096];
    for (;;) {
      pollfd p{c, POLLIN, 0};
      if (::poll(&p, 1, 10'000) <= 0) break;
      ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) break;
      if (mode_ == Mode::echo) {
        if (::send(c, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) break;
        continue;
      }
      got.append(buf, static_cast<std::size_t>(n));
      auto end = got.find("\r\n\r\n");
      if (end == std::string::npos) continue;
      {
        std::lock_guard lock(mutex_);
        heads_.push_back(got.substr(0, end));
      }
      std::string answer = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello";
      (void)::send(c, answer.data(), answer.size(), MSG_NOSIGNAL);
      break;
    }
    ::close(c);
  }

  Mode mode_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
  std::vector<std::thread> workers_;
  mutable std::mutex mutex_;
  std::vector<std::string> heads_;
};

}  // namespace bottega::agents::testing
