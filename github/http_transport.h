// HttpTransport: blocking HTTP/1.1 client over Boost.Beast and OpenSSL with
// a keep-alive connection pool per host (scheme, host, port), certificate
// and host-name verification (system roots or a configured CA bundle), SNI,
// a deadline on connect, handshake, write and read, gzip decoding, and
// redirects followed (the Authorization header is dropped when a redirect
// leaves the original host, as GitHub's log redirects to blob storage need).
//
// It knows nothing of GitHub: GitHubClient adds auth, rate limits, retries.
// Thread-safety: send() may be called from any number of threads at once;
// each call checks a connection out of the pool (waiting when the host is
// at max_connections_per_host) and returns it afterwards.
// Ownership: owns its connections; Beast and Asio stay in the .cpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/base/result.h"

namespace bottega::github {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpCall {
  std::string method = "GET";
  std::string url;  // absolute: https://host[:port]/path?query
  Headers headers;  // sent as given (Host, User-Agent, Accept-Encoding are added)
  std::string body;
  bool follow_redirects = true;
  // The largest (decoded) body accepted; a larger one fails the call.
  std::size_t max_body_bytes = 32 * 1024 * 1024;
};

struct HttpReply {
  int status = 0;
  Headers headers;   // names lower-cased
  std::string body;  // decoded (gzip removed)
  std::string url;   // the URL that answered, after redirects
  int redirects = 0;
  // The value of the first header with this lower-case name, or "".
  std::string_view header(std::string_view name) const;
};

struct TransportOptions {
  std::string ca_file;  // PEM bundle to trust; "" = the system's roots
  std::chrono::milliseconds connect_timeout{10'000};  // TCP connect and TLS handshake
  std::chrono::milliseconds read_timeout{30'000};     // writing the request, reading the reply
  int max_connections_per_host = 16;
  int max_redirects = 5;
  std::string user_agent = "bottega";
};

class HttpTransport {
 public:
  explicit HttpTransport(TransportOptions options);
  ~HttpTransport();
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  // Sends one request and reads the whole answer. Success: any HTTP status
  // (4xx and 5xx included). Failure: no usable answer (bad URL, DNS,
  // connect, TLS verification, timeout, reset, malformed HTTP, body over
  // the cap, too many redirects); the message says which and where.
  // A request on a reused connection that the server had already closed is
  // sent once more on a fresh connection.
  Result<HttpReply> send(const HttpCall& call);

  // Connections opened so far (tests check that the pool reuses them).
  std::size_t connections_opened() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bottega::github
