#include "engine/agents/local_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>

#include "config/base/log.h"

namespace bottega::agents::local {
namespace {

int poll_timeout(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  if (left.count() <= 0) return 0;
  return static_cast<int>(std::min<int64_t>(left.count() + 1, 60'000));
}

std::string errno_text(int err) { return std::strerror(err); }

}  // namespace

Io wait_fd(int fd, short events, int stop_fd, Clock::time_point deadline) {
  for (;;) {
    pollfd fds[2] = {{fd, events, 0}, {stop_fd, POLLIN, 0}};
    int n = ::poll(fds, stop_fd >= 0 ? 2 : 1, poll_timeout(deadline));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Io::error;
    }
    if (stop_fd >= 0 && (fds[1].revents & POLLIN)) return Io::stopped;
    if (fds[0].revents != 0) return Io::ok;  // ready, or an error the next call reports
    if (Clock::now() >= deadline) return Io::timeout;
  }
}

Io read_some(int fd, int stop_fd, Clock::time_point deadline, std::string& out, std::size_t max) {
  char buf[64 * 1024];
  max = std::min(max, sizeof buf);
  for (;;) {
    ssize_t n = ::recv(fd, buf, max, 0);
    if (n > 0) {
      out.append(buf, static_cast<std::size_t>(n));
      return Io::ok;
    }
    if (n == 0) return Io::eof;
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return Io::error;
    if (Io w = wait_fd(fd, POLLIN, stop_fd, deadline); w != Io::ok) return w;
  }
}

Io write_all(int fd, int stop_fd, Clock::time_point deadline, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return Io::error;
    if (Io w = wait_fd(fd, POLLOUT, stop_fd, deadline); w != Io::ok) return w;
  }
  return Io::ok;
}

Io read_head(int fd, int stop_fd, Clock::time_point first_byte,
             std::chrono::milliseconds head_timeout, std::size_t cap, std::string& buffer,
             std::string& head) {
  Clock::time_point deadline = first_byte;
  bool started = false;
  for (;;) {
    // Robustness (RFC 9112 section 2.2): blank lines before the request line are ignored.
    std::size_t skip = buffer.find_first_not_of("\r\n");
    buffer.erase(0, skip == std::string::npos ? buffer.size() : skip);
    if (!buffer.empty() && !started) {
      started = true;
      deadline = Clock::now() + head_timeout;
    }
    // The head ends at the first empty line: CRLF CRLF, or bare LFs.
    std::size_t crlf = buffer.find("\r\n\r\n"), lf = buffer.find("\n\n");
    if (crlf != std::string::npos || lf != std::string::npos) {
      bool use_crlf = crlf != std::string::npos && (lf == std::string::npos || crlf < lf);
      std::size_t end = use_crlf ? crlf : lf;
      head.assign(buffer, 0, end);
      buffer.erase(0, end + (use_crlf ? 4 : 2));
      return head.size() > cap ? Io::too_large : Io::ok;
    }
    if (buffer.size() > cap) return Io::too_large;
    Io r = read_some(fd, stop_fd, deadline, buffer, cap + 4 - buffer.size());
    if (r == Io::eof) return started ? Io::error : Io::eof;
    if (r != Io::ok) return r;
  }
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string_view RequestHead::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() != name.size()) continue;
    if (lower(k) == lower(name)) return v;
  }
  return {};
}

namespace {

bool is_token_char(char c) {
  if (c >= 'a' && c <= 'z') return true;
  if (c >= 'A' && c <= 'Z') return true;
  if (c >= '0' && c <= '9') return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool parse_request_head(std::string_view text, RequestHead& out) {
  out = {};
  bool first = true;
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_of(std::string_view("\r\0", 2)) != std::string_view::npos) return false;
    if (first) {
      first = false;
      std::size_t a = line.find(' ');
      if (a == std::string_view::npos) return false;
      std::size_t b = line.find(' ', a + 1);
      if (b == std::string_view::npos || line.find(' ', b + 1) != std::string_view::npos)
        return false;
      out.method = line.substr(0, a);
      out.target = line.substr(a + 1, b - a - 1);
      out.version = line.substr(b + 1);
      if (out.method.empty() || out.target.empty()) return false;
      if (!std::all_of(out.method.begin(), out.method.end(), is_token_char)) return false;
      if (out.version != "HTTP/1.1" && out.version != "HTTP/1.0") return false;
      continue;
    }
    if (line.empty()) return false;  // the head ends before its blank line
    if (line.front() == ' ' || line.front() == '\t') return false;  // obsolete folding
    std::size_t colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos) return false;
    std::string_view name = line.substr(0, colon);
    if (!std::all_of(name.begin(), name.end(), is_token_char)) return false;
    out.headers.emplace_back(std::string(name), std::string(trim(line.substr(colon + 1))));
  }
  return !first;
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 529:
      return "Overloaded";
    default:
      return "Status";
  }
}

std::string simple_response(int status, std::string_view body) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " +
                    std::string(reason_phrase(status)) +
                    "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
  out += body;
  return out;
}

namespace {
// The server whose connection this thread serves, if any: a stop() called
// from a handler (a callback that ends the turn) must not wait for itself.
thread_local const void* tl_serving = nullptr;
}  // namespace

struct LocalServer::State {
  std::string component;
  int max_connections = 64;
  Handler handler;
  int stop_pipe[2] = {-1, -1};  // [0] turns readable at stop, for every thread
  int listen_fd = -1;
  std::string unix_path;
  std::thread acceptor;
  std::mutex mutex;
  std::condition_variable ended;
  std::set<int> connections;  // open accepted sockets
  int active = 0;             // connection threads running
  bool stopped = false;

  ~State() {
    for (int fd : stop_pipe)
      if (fd >= 0) ::close(fd);
  }

  static void accept_loop(const std::shared_ptr<State>& self) {
    for (;;) {
      pollfd fds[2] = {{self->listen_fd, POLLIN, 0}, {self->stop_pipe[0], POLLIN, 0}};
      int n = ::poll(fds, 2, -1);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 || (fds[1].revents & POLLIN)) return;
      int fd = ::accept4(self->listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        continue;
      }
      {
        std::lock_guard lock(self->mutex);
        if (!self->stopped && self->active < self->max_connections) {
          self->connections.insert(fd);
          ++self->active;
          std::thread([self, fd] { run_connection(self, fd); }).detach();
          continue;
        }
      }
      std::string busy = simple_response(503, "bottega: too many connections\n");
      (void)::send(fd, busy.data(), busy.size(), MSG_NOSIGNAL);
      ::close(fd);
    }
  }

  static void run_connection(const std::shared_ptr<State>& self, int fd) {
    tl_serving = self.get();
    try {
      self->handler(fd, self->stop_pipe[0]);
    } catch (const std::exception& e) {
      component_log(self->component).error("connection handler failed: {}", e.what());
    }
    tl_serving = nullptr;
    std::lock_guard lock(self->mutex);
    self->connections.erase(fd);
    ::close(fd);
    --self->active;
    self->ended.notify_all();
  }
};

LocalServer::LocalServer(std::string component, int max_connections, Handler handler)
    : state_(std::make_shared<State>()) {
  state_->component = std::move(component);
  state_->max_connections = std::max(1, max_connections);
  state_->handler = std::move(handler);
}

LocalServer::~LocalServer() { stop(std::chrono::milliseconds(0)); }

Result<void> LocalServer::start(int listen_fd) {
  if (::listen(listen_fd, 64) != 0) {
    int err = errno;
    ::close(listen_fd);
    return make_error("cannot listen: " + errno_text(err));
  }
  if (::pipe2(state_->stop_pipe, O_CLOEXEC) != 0) {
    int err = errno;
    ::close(listen_fd);
    return make_error("cannot create a pipe: " + errno_text(err));
  }
  state_->listen_fd = listen_fd;
  auto state = state_;
  state_->acceptor = std::thread([state] { State::accept_loop(state); });
  return {};
}

Result<void> LocalServer::listen_unix(const std::string& path) {
  if (state_->listen_fd >= 0 || state_->stopped) return make_error("already listening");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path)
    return make_error("unusable unix socket path (empty or longer than " +
                      std::to_string(sizeof addr.sun_path - 1) + " bytes): " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) return make_error(path + " exists and is not a socket");
    ::unlink(path.c_str());
  }
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return make_error("cannot create a unix socket: " + errno_text(errno));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    ::close(fd);
    return make_error("cannot bind " + path + ": " + errno_text(err));
  }
  ::chmod(path.c_str(), 0600);
  state_->unix_path = path;
  auto started = start(fd);
  if (!started) ::unlink(path.c_str());
  return started;
}

Result<uint16_t> LocalServer::listen_loopback() {
  if (state_->listen_fd >= 0 || state_->stopped) return make_error("already listening");
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return make_error("cannot create a socket: " + errno_text(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int err = errno;
    ::close(fd);
    return make_error("cannot bind 127.0.0.1: " + errno_text(err));
  }
  auto started = start(fd);
  if (!started) return started.error();
  return static_cast<uint16_t>(ntohs(addr.sin_port));
}

void LocalServer::stop(std::chrono::milliseconds grace) {
  State& s = *state_;
  {
    std::lock_guard lock(s.mutex);
    if (s.stopped) return;
    s.stopped = true;
  }
  if (s.listen_fd < 0) return;
  char one = 1;
  while (::write(s.stop_pipe[1], &one, 1) < 0 && errno == EINTR) {
  }
  if (s.acceptor.joinable()) s.acceptor.join();
  ::close(s.listen_fd);
  s.listen_fd = -1;
  if (!s.unix_path.empty()) ::unlink(s.unix_path.c_str());
  std::unique_lock lock(s.mutex);
  for (int fd : s.connections) ::shutdown(fd, SHUT_RDWR);
  const int own = tl_serving == &s ? 1 : 0;
  s.ended.wait_for(lock, grace, [&] { return s.active <= own; });
}

}  // namespace bottega::agents::local
