// HttpServer: the app's HTTP/1.1 server on Boost.Beast, plain or TLS
// (TLS 1.2 and up), with keep-alive, per-request read and idle timeouts, a
// body cap (413), and graceful shutdown that lets in-flight requests finish.
// Under hostile clients it stays up and bounded: header and trailer sections
// are capped (431), the connections open at once are capped (more wait in
// the listen backlog), the bytes of request bodies held at once are capped
// (503 with Retry-After), running out of file descriptors backs the accept
// loop off, and no exception from a request ends the process (it ends that
// request's connection).
//
// The server knows nothing of routes: every request goes to one Handler,
// which answers through a Responder, possibly later and from another thread.
// Thread-safety: start() and stop() from one controlling thread; handlers
// run on the server's threads. Ownership: the server owns its threads,
// sockets and sessions; Beast and Asio stay inside server.cpp.
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

namespace bottega {

struct HttpRequest {
  std::string method;                                        // "GET", "POST", ...
  std::string target;                                        // path and query, as sent
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string remote;  // peer address, for logs

  // The value of the first header with this (lower-case) name, or "".
  std::string_view header(std::string_view name) const;
  // The target without its query string.
  std::string_view path() const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  // Each set once, but Set-Cookie, which is sent once per entry.
  std::vector<std::pair<std::string, std::string>> headers;

  static HttpResponse text(int status, std::string body) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    return r;
  }
};

// Call exactly once, from any thread.
using Responder = std::function<void(HttpResponse)>;
using Handler = std::function<void(HttpRequest&&, Responder)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;          // 0: any free port (see HttpServer::port())
  std::string tls_cert_file;  // both set: HTTPS only
  std::string tls_key_file;
  std::size_t max_body_bytes = 25 * 1024 * 1024;
  std::chrono::milliseconds read_timeout{10'000};  // to read one request
  // Between keep-alive requests, until the first byte of the next one; from
  // that byte on, read_timeout applies.
  std::chrono::milliseconds idle_timeout{60'000};
  int threads = 2;
  // Connections open at once; beyond it new ones wait in the listen backlog
  // until one closes. Keep it under the process's file descriptor limit.
  std::size_t max_connections = 1024;
  // Bytes of request bodies held at once, from their headers until their
  // answers: a request whose Content-Length does not fit in what is left is
  // answered 503 with Retry-After before its body is read; a chunked body
  // counts as it grows and gets 503 (and the connection closed) when it no
  // longer fits.
  std::size_t max_body_memory_bytes = std::size_t{256} * 1024 * 1024;
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, Handler handler);
  ~HttpServer();  // stops with a short deadline if still running
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Loads the certificate and key, binds and listens, without accepting yet
  // (connections wait in the backlog until start()). Fails, in one line
  // without a source location, on a bad address, a port in use, or an
  // unusable certificate or key. Idempotent once it succeeded.
  Result<void> bind();

  // Binds (unless bind() did), then accepts and starts the threads.
  Result<void> start();

  // The port actually bound (after start()).
  uint16_t port() const;

  // Stops accepting, closes idle connections, lets requests in flight be
  // answered for up to `grace`, then closes everything and joins threads.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bottega
