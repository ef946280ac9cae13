// FakeServer: a small blocking HTTP/1.1 server (plain or TLS) for the fake
// GitHub, one thread per connection. Unlike the app's HttpServer it lets a
// handler misbehave on purpose: answer slowly or drop the connection
// without answering (fault injection).
// Thread-safety: start()/stop() from one thread; the handler runs on the
// connection threads, concurrently. Ownership: owns its threads and sockets.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/base/result.h"

namespace bottega::fake_github {

struct Request {
  std::string method;
  std::string target;    // path?query as sent
  std::string path;      // percent-decoded path
  std::string raw_path;  // the path as sent (segments still percent-encoded)
  std::string query;     // raw query (without '?')
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string header(std::string_view name) const;
  std::string query_param(std::string_view name) const;  // decoded, "" if absent
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string content_type = "application/json; charset=utf-8";
  bool drop = false;                   // close the connection without answering
  std::chrono::milliseconds delay{0};  // wait this long before answering
};

using RequestHandler = std::function<Response(const Request&)>;

// Decodes %XX escapes (and '+' as a space when asked, for query strings).
std::string percent_decode(std::string_view s, bool plus_is_space);

struct FakeServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string tls_cert_file;  // both set: HTTPS
  std::string tls_key_file;
};

class FakeServer {
 public:
  FakeServer(FakeServerOptions options, RequestHandler handler);
  ~FakeServer();
  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;

  // Binds and starts accepting. Fails on a bad address or certificate.
  Result<void> start();
  uint16_t port() const;
  bool tls() const;
  // Closes the listener and every connection, then joins the threads.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bottega::fake_github
