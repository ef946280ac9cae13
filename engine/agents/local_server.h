// The socket side shared by the per-turn servers (EgressProxy, ModelGateway):
// a listener on a unix socket or on 127.0.0.1, one accepting thread, one
// thread per connection (capped), and deadline-bound I/O on non-blocking
// sockets that a stop wakes at once; plus the small HTTP/1.1 head parsing
// both need. Internal to engine/agents.
//
// Thread-safety: LocalServer's listen_*() and stop() from one controlling
// thread; handlers run on their connection's own thread. The I/O functions
// are for one connection's thread.
// Ownership: the server owns the listening socket and every accepted socket
// (closed after the handler returns). Connection threads share the server's
// state, so one stuck in a call that no stop can wake (DNS, an upstream
// HTTPS call) outlives stop()'s deadline harmlessly and ends on its own.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/base/result.h"

namespace bottega::agents::local {

using Clock = std::chrono::steady_clock;

enum class Io { ok, eof, timeout, stopped, too_large, error };

// Waits until `fd` is ready for `events` (POLLIN, POLLOUT). `stopped` when
// `stop_fd` became readable first, `timeout` at the deadline.
Io wait_fd(int fd, short events, int stop_fd, Clock::time_point deadline);
// Appends what one read returns (at most `max` bytes): ok, eof, or the wait's failure.
Io read_some(int fd, int stop_fd, Clock::time_point deadline, std::string& out,
             std::size_t max = 64 * 1024);
// Writes all of `data` before the deadline.
Io write_all(int fd, int stop_fd, Clock::time_point deadline, std::string_view data);

// Reads an HTTP head (up to the blank line) into `head`, without the blank
// line; bytes read past it stay in `buffer`. The first byte must come before
// `first_byte`, the whole head within `head_timeout` of it; `too_large` past
// `cap` bytes; `eof` when the peer closed before sending anything.
Io read_head(int fd, int stop_fd, Clock::time_point first_byte,
             std::chrono::milliseconds head_timeout, std::size_t cap, std::string& buffer,
             std::string& head);

struct RequestHead {
  std::string method;
  std::string target;
  std::string version;                                       // "HTTP/1.1"
  std::vector<std::pair<std::string, std::string>> headers;  // names as sent
  // The value of the first header with this name (any case), or "".
  std::string_view header(std::string_view name) const;
};

// Parses a request head (request line and header lines, CRLF or LF). False
// on anything malformed (obsolete line folding included).
bool parse_request_head(std::string_view text, RequestHead& out);

std::string lower(std::string_view text);
// "200 OK", "403 Forbidden": the reason phrase for common statuses.
std::string_view reason_phrase(int status);
// A whole small answer: status line, Content-Type text/plain, Content-Length,
// Connection: close, body.
std::string simple_response(int status, std::string_view body);

class LocalServer {
 public:
  // Runs once per accepted connection on its own thread; `stop_fd` turns
  // readable when the server stops. The socket is closed after it returns.
  using Handler = std::function<void(int fd, int stop_fd)>;

  LocalServer(std::string component, int max_connections, Handler handler);
  ~LocalServer();  // stop(0)
  LocalServer(const LocalServer&) = delete;
  LocalServer& operator=(const LocalServer&) = delete;

  // Binds and starts accepting. A stale socket file at `path` is replaced;
  // the new one is made 0600. Fails on a bad or too long path, a bind error,
  // or when already listening.
  Result<void> listen_unix(const std::string& path);
  // Binds 127.0.0.1 on a free port and starts accepting; returns the port.
  Result<uint16_t> listen_loopback();

  // Closes the listener (removing the unix socket file), wakes and shuts
  // down every connection, and waits up to `grace` for their threads to
  // end. Idempotent.
  void stop(std::chrono::milliseconds grace);

 private:
  struct State;
  Result<void> start(int listen_fd);
  std::shared_ptr<State> state_;
};

}  // namespace bottega::agents::local
