#include "github/http_transport.h"

#include <openssl/ssl.h>
#include <zlib.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>

namespace bottega::github {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::string_view HttpReply::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return {};
}

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

struct Endpoint {
  bool tls = true;
  std::string host;
  std::string port;
  std::string target;  // path + query
  std::string key() const { return (tls ? "https://" : "http://") + host + ":" + port; }
};

Result<Endpoint> parse_endpoint(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return make_error("invalid URL: " + std::string(url));
  Endpoint e;
  auto scheme = lower(parsed->scheme());
  if (scheme == "https") {
    e.tls = true;
  } else if (scheme == "http") {
    e.tls = false;
  } else {
    return make_error("unsupported URL scheme in " + std::string(url));
  }
  e.host = std::string(parsed->encoded_host());
  if (e.host.empty()) return make_error("URL without host: " + std::string(url));
  e.port = parsed->has_port() ? std::string(parsed->port()) : (e.tls ? "443" : "80");
  e.target = std::string(parsed->encoded_path());
  if (e.target.empty()) e.target = "/";
  if (parsed->has_query()) e.target += "?" + std::string(parsed->encoded_query());
  return e;
}

Result<std::string> gunzip(const std::string& in, std::size_t cap) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return make_error("zlib init failed");
  std::string out;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  char chunk[16384];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(chunk);
    zs.avail_out = sizeof chunk;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      return make_error("malformed gzip body");
    }
    out.append(chunk, sizeof chunk - zs.avail_out);
    if (out.size() > cap) {
      inflateEnd(&zs);
      return make_error("response body exceeds " + std::to_string(cap) + " bytes");
    }
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) break;  // truncated input
  }
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) return make_error("truncated gzip body");
  return out;
}

// One pooled connection. It has its own io_context so the calling thread
// drives its asynchronous operations (which carry Beast's deadlines) to
// completion: a blocking interface with real timeouts.
struct Connection {
  explicit Connection(bool tls_on, asio::ssl::context& ctx) {
    if (tls_on) {
      tls.emplace(ioc, ctx);
    } else {
      plain.emplace(ioc);
    }
  }
  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }

  // Starts op(handler) and runs the loop until it completes.
  template <class Op>
  beast::error_code run(Op&& op) {
    beast::error_code result = asio::error::would_block;
    ioc.restart();
    op([&result](beast::error_code ec, auto&&...) { result = ec; });
    ioc.run();
    return result;
  }

  asio::io_context ioc;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
  bool reused = false;
};

bool is_stale_connection_error(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::ssl::error::stream_truncated;
}

}  // namespace

struct HttpTransport::Impl {
  TransportOptions options;
  asio::ssl::context ssl{asio::ssl::context::tls_client};
  std::string ssl_error;

  struct HostPool {
    std::vector<std::unique_ptr<Connection>> idle;
    int total = 0;
  };
  std::mutex mutex;
  std::condition_variable available;
  std::map<std::string, HostPool> pools;
  std::atomic<std::size_t> opened{0};

  std::unique_ptr<Connection> acquire(const std::string& key) {
    std::unique_lock lock(mutex);
    auto& pool = pools[key];
    for (;;) {
      if (!pool.idle.empty()) {
        auto c = std::move(pool.idle.back());
        pool.idle.pop_back();
        c->reused = true;
        return c;
      }
      if (pool.total < std::max(1, options.max_connections_per_host)) {
        ++pool.total;
        return nullptr;  // the caller opens a new one
      }
      available.wait(lock);
    }
  }

  void release(const std::string& key, std::unique_ptr<Connection> c) {
    std::lock_guard lock(mutex);
    auto& pool = pools[key];
    if (c) {
      pool.idle.push_back(std::move(c));
    } else {
      --pool.total;
    }
    available.notify_one();
  }

  Result<std::unique_ptr<Connection>> open(const Endpoint& e) {
    if (!ssl_error.empty() && e.tls) return make_error(ssl_error);
    auto c = std::make_unique<Connection>(e.tls, ssl);
    tcp::resolver resolver(c->ioc);
    beast::error_code ec;
    auto results = resolver.resolve(e.host, e.port, ec);
    if (ec) return make_error("cannot resolve " + e.host + ": " + ec.message());
    c->lowest().expires_after(options.connect_timeout);
    ec = c->run([&](auto h) { c->lowest().async_connect(results, std::move(h)); });
    if (ec) return make_error("cannot connect to " + e.host + ":" + e.port + ": " + ec.message());
    if (e.tls) {
      // SNI only for names, never for IP literals (RFC 6066).
      beast::error_code addr_ec;
      asio::ip::make_address(e.host, addr_ec);
      if (addr_ec && !SSL_set_tlsext_host_name(c->tls->native_handle(), e.host.c_str()))
        return make_error("cannot set SNI for " + e.host);
      c->tls->set_verify_mode(asio::ssl::verify_peer);
      c->tls->set_verify_callback(asio::ssl::host_name_verification(e.host));
      c->lowest().expires_after(options.connect_timeout);
      ec = c->run(
          [&](auto h) { c->tls->async_handshake(asio::ssl::stream_base::client, std::move(h)); });
      if (ec)
        return make_error("TLS handshake with " + e.host + ":" + e.port +
                          " failed: " + ec.message());
    }
    ++opened;
    return c;
  }

  // One exchange on one connection. `stale` is set when a reused connection
  // turned out to be closed before any answer arrived.
  Result<HttpReply> exchange(Connection& c, const Endpoint& e, const HttpCall& call,
                             const Headers& headers, bool& keep, bool& stale) {
    keep = false;
    stale = false;
    http::request<http::string_body> req;
    req.version(11);
    req.method_string(call.method);
    req.target(e.target);
    const bool default_port = (e.tls && e.port == "443") || (!e.tls && e.port == "80");
    req.set(http::field::host, default_port ? e.host : e.host + ":" + e.port);
    req.set(http::field::user_agent, options.user_agent);
    req.set(http::field::accept_encoding, "gzip");
    for (const auto& [k, v] : headers) req.set(k, v);
    req.body() = call.body;
    if (!call.body.empty() || call.method == "POST" || call.method == "PUT" ||
        call.method == "PATCH")
      req.prepare_payload();
    req.keep_alive(true);

    c.lowest().expires_after(options.read_timeout);
    beast::error_code ec = c.run([&](auto h) {
      if (c.tls) {
        http::async_write(*c.tls, req, std::move(h));
      } else {
        http::async_write(*c.plain, req, std::move(h));
      }
    });
    if (ec) {
      stale = c.reused && is_stale_connection_error(ec);
      return make_error("cannot send " + call.method + " " + e.key() + ": " + ec.message());
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(call.max_body_bytes);
    parser.header_limit(256 * 1024);
    if (call.method == "HEAD") parser.skip(true);
    c.lowest().expires_after(options.read_timeout);
    ec = c.run([&](auto h) {
      if (c.tls) {
        http::async_read(*c.tls, c.buffer, parser, std::move(h));
      } else {
        http::async_read(*c.plain, c.buffer, parser, std::move(h));
      }
    });
    if (ec) {
      stale = c.reused && !parser.got_some() && is_stale_connection_error(ec);
      if (ec == beast::error::timeout)
        return make_error("timed out waiting for " + e.key() + " (" + call.method + " " +
                          std::string(e.target.substr(0, e.target.find('?'))) + ")");
      return make_error("cannot read the answer from " + e.key() + ": " + ec.message());
    }
    auto res = parser.release();
    HttpReply reply;
    reply.status = static_cast<int>(res.result_int());
    std::string encoding;
    for (const auto& f : res) {
      reply.headers.emplace_back(lower(f.name_string()), std::string(f.value()));
      if (f.name() == http::field::content_encoding) encoding = lower(f.value());
    }
    reply.body = std::move(res.body());
    if (encoding == "gzip" && !reply.body.empty()) {
      auto plain = gunzip(reply.body, call.max_body_bytes);
      if (!plain) return make_error(e.key() + ": " + plain.error().message);
      reply.body = std::move(*plain);
    }
    keep = res.keep_alive();
    return reply;
  }

  Result<HttpReply> send_once(const Endpoint& e, const HttpCall& call, const Headers& headers) {
    for (int attempt = 0;; ++attempt) {
      auto key = e.key();
      auto conn = acquire(key);
      if (!conn) {
        auto opened_conn = open(e);
        if (!opened_conn) {
          release(key, nullptr);
          return opened_conn.error();
        }
        conn = std::move(*opened_conn);
      }
      bool keep = false, stale = false;
      auto reply = exchange(*conn, e, call, headers, keep, stale);
      if (reply && keep) {
        release(key, std::move(conn));
      } else {
        conn.reset();
        release(key, nullptr);
      }
      if (!reply && stale && attempt == 0) continue;
      return reply;
    }
  }
};

HttpTransport::HttpTransport(TransportOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  SSL_CTX_set_min_proto_version(impl_->ssl.native_handle(), TLS1_2_VERSION);
  beast::error_code ec;
  if (impl_->options.ca_file.empty()) {
    impl_->ssl.set_default_verify_paths(ec);
  } else {
    impl_->ssl.load_verify_file(impl_->options.ca_file, ec);
  }
  if (ec)
    impl_->ssl_error =
        "cannot load the CA bundle " +
        (impl_->options.ca_file.empty() ? std::string("(system)") : impl_->options.ca_file) + ": " +
        ec.message();
}

HttpTransport::~HttpTransport() = default;

std::size_t HttpTransport::connections_opened() const { return impl_->opened.load(); }

Result<HttpReply> HttpTransport::send(const HttpCall& call) {
  auto first = parse_endpoint(call.url);
  if (!first) return first.error();
  Endpoint e = *first;
  const std::string origin = e.key();
  std::string url = call.url;
  HttpCall current = call;
  Headers headers = call.headers;
  for (int redirects = 0;; ++redirects) {
    auto reply = impl_->send_once(e, current, headers);
    if (!reply) return reply;
    reply->url = url;
    reply->redirects = redirects;
    const int s = reply->status;
    const bool redirect = s == 301 || s == 302 || s == 303 || s == 307 || s == 308;
    if (!redirect || !call.follow_redirects) return reply;
    if (redirects >= impl_->options.max_redirects)
      return make_error("too many redirects from " + call.url);
    auto location = reply->header("location");
    if (location.empty()) return reply;
    auto base = boost::urls::parse_uri(url);
    auto ref = boost::urls::parse_uri_reference(location);
    if (!base || !ref) return make_error("bad redirect location from " + url);
    boost::urls::url next;
    if (!boost::urls::resolve(*base, *ref, next))
      return make_error("bad redirect location from " + url);
    url = std::string(next.buffer());
    auto ne = parse_endpoint(url);
    if (!ne) return ne.error();
    e = *ne;
    if (s == 303 || ((s == 301 || s == 302) && current.method == "POST")) {
      current.method = "GET";
      current.body.clear();
    }
    // Credentials never follow a redirect to another origin (signed blob URLs).
    if (e.key() != origin) {
      Headers kept;
      for (auto& h : headers)
        if (lower(h.first) != "authorization") kept.push_back(h);
      headers = std::move(kept);
    }
  }
}

}  // namespace bottega::github
