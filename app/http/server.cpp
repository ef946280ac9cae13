#include "app/http/server.h"

#include <openssl/ssl.h>

#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <condition_variable>
#include <list>
#include <mutex>
#include <optional>
#include <thread>

#include "config/base/log.h"

namespace bottega {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::string_view HttpRequest::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return {};
}

std::string_view HttpRequest::path() const {
  std::string_view t = target;
  return t.substr(0, t.find('?'));
}

namespace {

// What the server shares with its sessions: settings, the handler, and the
// bookkeeping that graceful shutdown needs.
// An io_context whose pending handlers can be destroyed on demand (what its
// destructor does first), so stop() can release every session at once.
class ServerContext : public asio::io_context {
 public:
  using asio::execution_context::shutdown;
};

// What the server and its sessions share. A session can outlive the server
// (a handler may still hold its responder on another thread), so the
// io_context and the TLS context live here, as long as any session does.
struct Shared {
  ServerContext ioc;
  std::optional<asio::ssl::context> tls;
  // Cleared by stop(): a response that comes later is dropped (the client
  // is gone) instead of being handed to a stopped io_context.
  std::mutex respond_mutex;
  bool responses_open = true;
  HttpServerOptions options;
  Handler handler;
  std::atomic<bool> stopping{false};
  std::mutex mutex;
  std::condition_variable drained;
  std::size_t sessions = 0;
  std::list<std::function<void()>> closers;  // closes one idle session, on its strand
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

template <class Derived>
class Session {
 public:
  explicit Session(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}

 protected:
  Derived& derived() { return static_cast<Derived&>(*this); }

  void register_session() {
    std::lock_guard lock(shared_->mutex);
    ++shared_->sessions;
    closer_ = shared_->closers.insert(shared_->closers.end(), [weak = derived().weak_from_this()] {
      if (auto self = weak.lock()) {
        asio::post(self->stream().get_executor(), [self] {
          if (!self->busy_) self->close();
        });
      }
    });
  }

  void unregister_session() {
    std::lock_guard lock(shared_->mutex);
    shared_->closers.erase(closer_);
    --shared_->sessions;
    shared_->drained.notify_all();
  }

 public:
  void do_read() {
    if (shared_->stopping) return derived().close();
    busy_ = false;
    parser_.emplace();
    parser_->body_limit(shared_->options.max_body_bytes);
    parser_->header_limit(64 * 1024);
    if (buffer_.capacity() < 4096) buffer_.reserve(4096);  // headers in one read
    beast::get_lowest_layer(derived().stream())
        .expires_after(requests_ == 0 ? shared_->options.read_timeout
                                      : shared_->options.idle_timeout);
    http::async_read_header(derived().stream(), buffer_, *parser_,
                            beast::bind_front_handler(&Session::on_read_header,
                                                      derived().shared_from_this()));
  }

  void on_read_header(beast::error_code ec, std::size_t) {
    if (ec) return on_read_error(ec);
    busy_ = true;
    // Room for the whole body, so it arrives in one read rather than in
    // 512-byte steps (the buffer otherwise grows only as far as asked).
    if (auto length = parser_->content_length(); length && *length <= shared_->options.max_body_bytes)
      buffer_.reserve(buffer_.size() + static_cast<std::size_t>(*length));
    beast::get_lowest_layer(derived().stream()).expires_after(shared_->options.read_timeout);
    http::async_read(derived().stream(), buffer_, *parser_,
                     beast::bind_front_handler(&Session::on_read, derived().shared_from_this()));
  }

  void on_read_error(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      keep_alive_ = false;
      return do_write(HttpResponse::text(
          413, "request body exceeds the limit of " +
                   std::to_string(shared_->options.max_body_bytes) + " bytes\n"));
    }
    if (ec == http::error::header_limit) {
      keep_alive_ = false;
      return do_write(HttpResponse::text(431, "request headers too large\n"));
    }
    if (ec.category() == http::make_error_code(http::error::end_of_stream).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message) {
      keep_alive_ = false;
      return do_write(HttpResponse::text(400, "malformed HTTP request: " + ec.message() + "\n"));
    }
    // end of stream, timeout, reset: nothing to answer.
    derived().close();
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec) return on_read_error(ec);
    ++requests_;
    auto message = parser_->release();
    keep_alive_ = message.keep_alive();
    HttpRequest request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    request.headers.reserve(std::distance(message.begin(), message.end()));
    for (const auto& field : message)
      request.headers.emplace_back(lower(field.name_string()), std::string(field.value()));
    request.body = std::move(message.body());
    request.remote = remote_;
    // No deadline while the handler works; the write sets its own.
    beast::get_lowest_layer(derived().stream()).expires_never();
    auto self = derived().shared_from_this();
    Responder respond = [self](HttpResponse response) {
      std::lock_guard lock(self->shared_->respond_mutex);
      if (!self->shared_->responses_open) return;
      asio::dispatch(self->stream().get_executor(),
                     [self, response = std::move(response)]() mutable {
                       self->do_write(std::move(response));
                     });
    };
    try {
      shared_->handler(std::move(request), std::move(respond));
    } catch (const std::exception& e) {
      // A handler must not throw; if one does, the client still gets an answer.
      component_log("http").error("handler threw: {}", e.what());
      do_write(HttpResponse::text(500, "internal error\n"));
    }
  }

  void do_write(HttpResponse response) {
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(11);
    res->result(static_cast<http::status>(response.status));
    res->set(http::field::server, "bottega");
    res->set(http::field::content_type, response.content_type);
    for (auto& [k, v] : response.headers) res->set(k, v);
    res->body() = std::move(response.body);
    res->keep_alive(keep_alive_ && !shared_->stopping);
    res->prepare_payload();
    beast::get_lowest_layer(derived().stream()).expires_after(shared_->options.read_timeout);
    http::async_write(derived().stream(), *res,
                      [self = derived().shared_from_this(), res](beast::error_code ec, std::size_t) {
                        if (ec || !res->keep_alive()) return self->close();
                        self->do_read();
                      });
  }

 protected:
  std::shared_ptr<Shared> shared_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::list<std::function<void()>>::iterator closer_;
  std::string remote_;
  std::size_t requests_ = 0;
  bool keep_alive_ = true;
  bool busy_ = false;
};

class PlainSession : public Session<PlainSession>,
                     public std::enable_shared_from_this<PlainSession> {
 public:
  PlainSession(tcp::socket&& socket, std::shared_ptr<Shared> shared)
      : Session(std::move(shared)), stream_(std::move(socket)) {}
  ~PlainSession() { unregister_session(); }

  beast::tcp_stream& stream() { return stream_; }

  void run(std::string remote) {
    remote_ = std::move(remote);
    register_session();
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->do_read(); });
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.close();
  }

 private:
  beast::tcp_stream stream_;
};

class TlsSession : public Session<TlsSession>, public std::enable_shared_from_this<TlsSession> {
 public:
  TlsSession(tcp::socket&& socket, asio::ssl::context& ctx, std::shared_ptr<Shared> shared)
      : Session(std::move(shared)), stream_(std::move(socket), ctx) {}
  ~TlsSession() { unregister_session(); }

  beast::ssl_stream<beast::tcp_stream>& stream() { return stream_; }

  void run(std::string remote) {
    remote_ = std::move(remote);
    register_session();
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      beast::get_lowest_layer(self->stream_).expires_after(self->shared_->options.read_timeout);
      self->busy_ = true;
      self->stream_.async_handshake(asio::ssl::stream_base::server,
                                    [self](beast::error_code ec) {
                                      if (ec) return self->close_socket();
                                      self->do_read();
                                    });
    });
  }

  void close() {
    if (closing_) return;
    closing_ = true;
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
    stream_.async_shutdown([self = shared_from_this()](beast::error_code) { self->close_socket(); });
  }

 private:
  void close_socket() { beast::get_lowest_layer(stream_).close(); }

  beast::ssl_stream<beast::tcp_stream> stream_;
  bool closing_ = false;
};

}  // namespace

struct HttpServer::Impl {
  std::shared_ptr<Shared> shared = std::make_shared<Shared>();
  ServerContext& ioc = shared->ioc;
  std::optional<asio::ssl::context>& tls = shared->tls;
  // Keeps the threads running while a handler holds a request but no I/O is
  // pending (during a drain, the acceptor is already closed).
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(ioc);
  std::optional<tcp::acceptor> acceptor;
  std::vector<std::thread> threads;
  uint16_t port = 0;
  bool running = false;

  void do_accept() {
    acceptor->async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor->is_open()) return;
        component_log("http").warn("accept failed: {}", ec.message());
      } else {
        beast::error_code ignored;
        auto peer = socket.remote_endpoint(ignored);
        std::string remote = ignored ? std::string("?") : peer.address().to_string();
        if (tls) {
          std::make_shared<TlsSession>(std::move(socket), *tls, shared)->run(std::move(remote));
        } else {
          std::make_shared<PlainSession>(std::move(socket), shared)->run(std::move(remote));
        }
      }
      do_accept();
    });
  }
};

HttpServer::HttpServer(HttpServerOptions options, Handler handler) : impl_(std::make_unique<Impl>()) {
  impl_->shared->options = std::move(options);
  impl_->shared->handler = std::move(handler);
}

HttpServer::~HttpServer() { stop(std::chrono::milliseconds(1000)); }

uint16_t HttpServer::port() const { return impl_->port; }

Result<void> HttpServer::start() {
  auto& o = impl_->shared->options;
  if (!o.tls_cert_file.empty()) {
    try {
      impl_->tls.emplace(asio::ssl::context::tls_server);
      SSL_CTX_set_min_proto_version(impl_->tls->native_handle(), TLS1_2_VERSION);
      impl_->tls->set_options(asio::ssl::context::default_workarounds |
                              asio::ssl::context::single_dh_use);
      impl_->tls->use_certificate_chain_file(o.tls_cert_file);
      impl_->tls->use_private_key_file(o.tls_key_file, asio::ssl::context::pem);
    } catch (const std::exception& e) {
      return make_error("TLS: cannot load certificate " + o.tls_cert_file + " and key " +
                        o.tls_key_file + ": " + e.what());
    }
  }
  try {
    tcp::resolver resolver(impl_->ioc);
    auto endpoints = resolver.resolve(o.host, std::to_string(o.port),
                                      tcp::resolver::passive | tcp::resolver::numeric_service);
    tcp::endpoint endpoint = *endpoints.begin();
    impl_->acceptor.emplace(impl_->ioc);
    impl_->acceptor->open(endpoint.protocol());
    impl_->acceptor->set_option(asio::socket_base::reuse_address(true));
    impl_->acceptor->bind(endpoint);
    impl_->acceptor->listen(asio::socket_base::max_listen_connections);
    impl_->port = impl_->acceptor->local_endpoint().port();
  } catch (const std::exception& e) {
    impl_->acceptor.reset();
    return make_error("cannot listen on " + o.host + ":" + std::to_string(o.port) + ": " + e.what());
  }
  impl_->do_accept();
  for (int i = 0; i < std::max(1, o.threads); ++i)
    impl_->threads.emplace_back([this] { impl_->ioc.run(); });
  impl_->running = true;
  component_log("http").info("listening on {}://{}:{}", impl_->tls ? "https" : "http", o.host,
                             impl_->port);
  return {};
}

void HttpServer::stop(std::chrono::milliseconds grace) {
  if (!impl_->running) return;
  impl_->running = false;
  auto shared = impl_->shared;
  shared->stopping = true;
  asio::post(impl_->ioc, [this] {
    beast::error_code ec;
    impl_->acceptor->close(ec);
  });
  // Call the closers outside the lock: one may drop the last reference to a
  // session, whose destructor takes the lock.
  std::vector<std::function<void()>> closers;
  {
    std::lock_guard lock(shared->mutex);
    closers.assign(shared->closers.begin(), shared->closers.end());
  }
  for (auto& close_if_idle : closers) close_if_idle();
  closers.clear();
  {
    std::unique_lock lock(shared->mutex);
    shared->drained.wait_for(lock, grace, [&] { return shared->sessions == 0; });
  }
  {
    std::lock_guard lock(shared->respond_mutex);
    shared->responses_open = false;
  }
  impl_->work.reset();
  impl_->ioc.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
  impl_->acceptor.reset();
  // Releases the sessions still waiting on I/O; those a handler holds are
  // released when it answers (the answer is dropped).
  impl_->ioc.shutdown();
  component_log("http").info("stopped");
}

}  // namespace bottega
