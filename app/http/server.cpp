#include "app/http/server.h"

#include <openssl/ssl.h>

#include <array>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
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

// Header section cap (431 beyond it). The read buffer is capped at the same
// size: Beast does not count a chunked body's trailer section against the
// header limit, and throws std::length_error for a field of 65,534 bytes or
// more; a trailer section that must fit in this buffer can hold neither.
constexpr std::size_t kHeaderLimit = 64 * 1024;
constexpr std::size_t kBufferLimit = 64 * 1024;
// Kept between requests: a typical webhook delivery (header and body) fits,
// so a keep-alive connection reads one without reallocating.
constexpr std::size_t kIdleBufferBytes = 16 * 1024;
// After an error answer, what the client still sends is read and dropped for
// this long before the socket is closed: closing with unread bytes sends a
// reset, which can destroy the answer before the client reads it.
constexpr std::chrono::seconds kLingerTime{1};
constexpr std::chrono::seconds kLogInterval{10};
constexpr std::chrono::milliseconds kFirstAcceptBackoff{50};
constexpr std::chrono::milliseconds kMaxAcceptBackoff{1000};

// Lets a repeated warning through once per interval, counting the others.
class LogLimiter {
 public:
  // True when a line may be written now; `suppressed` is then how many
  // calls were silenced since the last line.
  bool allow(std::size_t& suppressed) {
    auto now = std::chrono::steady_clock::now();
    if (now < next_) {
      ++suppressed_;
      return false;
    }
    next_ = now + kLogInterval;
    suppressed = std::exchange(suppressed_, 0);
    return true;
  }

 private:
  std::chrono::steady_clock::time_point next_{};
  std::size_t suppressed_ = 0;
};

// An io_context run by one thread (the concurrency hint), whose pending
// handlers can be destroyed on demand (what its destructor does first), so
// stop() can release every session at once.
class ServerContext : public asio::io_context {
 public:
  ServerContext() : asio::io_context(1) {}
  using asio::execution_context::shutdown;
};

// What the server and its sessions share. A session can outlive the server
// (a handler may still hold its responder on another thread), so the
// io_contexts and the TLS context live here, as long as any session does.
struct Shared {
  // One io_context per server thread: a session lives on one of them, so
  // its handlers never run at once without a strand, and the threads never
  // hand each other work.
  std::vector<std::unique_ptr<ServerContext>> contexts;
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
  std::list<std::function<void()>> closers;  // closes one idle session, on its thread
  // Set (under `mutex`) when the accept loop stopped at max_connections;
  // the session that ends below the cap calls resume_accept, which stop()
  // clears.
  bool accept_paused = false;
  std::function<void()> resume_accept;
  // Bytes of request bodies held now (see max_body_memory_bytes).
  std::atomic<std::size_t> body_bytes{0};

  // Takes `n` more bytes of the body budget; false (and nothing taken) when
  // they do not fit.
  bool take_body_bytes(std::size_t n) {
    std::size_t used = body_bytes.load();
    do {
      if (n > options.max_body_memory_bytes || used > options.max_body_memory_bytes - n)
        return false;
    } while (!body_bytes.compare_exchange_weak(used, used + n));
    return true;
  }
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

template <class Derived>
class Session {
 public:
  explicit Session(std::shared_ptr<Shared> shared)
      : shared_(std::move(shared)), buffer_(kBufferLimit) {}
  ~Session() { release_body(); }

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
    std::function<void()> resume;
    {
      std::lock_guard lock(shared_->mutex);
      shared_->closers.erase(closer_);
      --shared_->sessions;
      shared_->drained.notify_all();
      if (shared_->accept_paused && shared_->sessions < shared_->options.max_connections &&
          shared_->resume_accept) {
        shared_->accept_paused = false;
        resume = shared_->resume_accept;
      }
    }
    if (resume) resume();
  }

  // Grows this request's share of the body budget to `total` bytes.
  bool reserve_body(std::size_t total) {
    if (total <= reserved_) return true;
    if (!shared_->take_body_bytes(total - reserved_)) return false;
    reserved_ = total;
    return true;
  }

  void release_body() {
    if (reserved_ == 0) return;
    shared_->body_bytes -= reserved_;
    reserved_ = 0;
  }

 public:
  void do_read() {
    if (shared_->stopping) return derived().close();
    busy_ = false;
    head_ = false;
    release_body();
    parser_.emplace();
    parser_->body_limit(shared_->options.max_body_bytes);
    parser_->header_limit(kHeaderLimit);
    // A large body grew the buffer for fast reads; an idle connection keeps
    // only a small one.
    if (buffer_.capacity() > kIdleBufferBytes) buffer_.shrink_to_fit();
    // Room for a whole header in one read.
    if (buffer_.capacity() < kIdleBufferBytes) buffer_.reserve(kIdleBufferBytes);
    auto& socket = beast::get_lowest_layer(derived().stream());
    if (requests_ == 0 || buffer_.size() > 0) {
      socket.expires_after(shared_->options.read_timeout);
      return do_read_header();
    }
    // Between keep-alive requests: the idle timeout runs until the first
    // byte of the next request, then that request has read_timeout.
    socket.expires_after(shared_->options.idle_timeout);
    derived().stream().async_read_some(
        buffer_.prepare(buffer_.capacity() - buffer_.size()),
        beast::bind_front_handler(&Session::on_first_byte, derived().shared_from_this()));
  }

  void on_first_byte(beast::error_code ec, std::size_t n) {
    if (ec) return on_read_error(ec);
    buffer_.commit(n);
    beast::get_lowest_layer(derived().stream()).expires_after(shared_->options.read_timeout);
    do_read_header();
  }

  void do_read_header() {
    http::async_read_header(
        derived().stream(), buffer_, *parser_,
        beast::bind_front_handler(&Session::on_read_header, derived().shared_from_this()));
  }

  void on_read_header(beast::error_code ec, std::size_t) {
    if (ec) return on_read_error(ec);
    busy_ = true;
    head_ = parser_->get().method() == http::verb::head;
    // A declared length is taken from the budget before any of the body is
    // read (Beast has reserved it, but untouched pages cost nothing).
    if (auto length = parser_->content_length(); length && *length > 0)
      if (!reserve_body(static_cast<std::size_t>(*length))) return answer_busy();
    beast::get_lowest_layer(derived().stream()).expires_after(shared_->options.read_timeout);
    if (parser_->is_done()) return on_read({}, 0);
    // Room for large reads while the body arrives (not 512-byte steps), but
    // no more than the rest of a body of known length needs.
    const auto length = parser_->content_length();
    const std::size_t room =
        length ? std::min<std::size_t>(kBufferLimit, buffer_.size() + *length) : kBufferLimit;
    if (buffer_.capacity() < room) buffer_.reserve(room);
    do_read_body();
  }

  void do_read_body() {
    http::async_read_some(
        derived().stream(), buffer_, *parser_,
        beast::bind_front_handler(&Session::on_read_body, derived().shared_from_this()));
  }

  void on_read_body(beast::error_code ec, std::size_t) {
    if (ec) return on_read_error(ec);
    // A chunked body counts as it grows (its string's capacity is what it holds).
    if (!parser_->content_length() && !reserve_body(parser_->get().body().capacity()))
      return answer_busy();
    if (parser_->is_done()) return on_read({}, 0);
    do_read_body();
  }

  void answer_busy() {
    parser_.reset();  // frees what was read of the body
    release_body();
    keep_alive_ = false;
    linger_ = true;
    auto response = HttpResponse::text(503, "too many request bodies in flight; retry later\n");
    response.headers.emplace_back("Retry-After", "5");
    do_write(std::move(response));
  }

  void on_read_error(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      keep_alive_ = false;
      linger_ = true;
      return do_write(HttpResponse::text(413, "request body exceeds the limit of " +
                                                  std::to_string(shared_->options.max_body_bytes) +
                                                  " bytes\n"));
    }
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
      keep_alive_ = false;
      linger_ = true;
      return do_write(HttpResponse::text(431, "request header or trailer section too large\n"));
    }
    if (ec.category() == http::make_error_code(http::error::end_of_stream).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message) {
      keep_alive_ = false;
      linger_ = true;
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
    // Exactly one answer per request, even from a handler that answers and
    // then throws, or answers twice.
    auto answered = std::make_shared<std::atomic<bool>>(false);
    Responder respond = [self, answered](HttpResponse response) {
      if (answered->exchange(true)) return;
      std::lock_guard lock(self->shared_->respond_mutex);
      if (!self->shared_->responses_open) return;
      asio::dispatch(self->stream().get_executor(),
                     [self, response = std::move(response)]() mutable {
                       self->do_write(std::move(response));
                     });
    };
    std::optional<std::string> failure;
    try {
      shared_->handler(std::move(request), std::move(respond));
    } catch (const std::exception& e) {
      failure = e.what();
    } catch (...) {
      failure = "an exception that is not a std::exception";
    }
    if (failure) {
      // A handler must not throw; if one does, the client still gets an answer.
      component_log("http").error("handler threw: {}", *failure);
      if (!answered->exchange(true)) {
        keep_alive_ = false;
        do_write(HttpResponse::text(500, "internal error\n"));
      }
    }
  }

  void do_write(HttpResponse response) {
    release_body();  // the handler is done with the body
    std::shared_ptr<http::response<http::string_body>> res;
    try {
      res = make_response(std::move(response));
    } catch (const std::exception& e) {
      // A response Beast cannot serialize (a header value of 64 KB or more).
      component_log("http").error("cannot send a response: {}", e.what());
      keep_alive_ = false;
      res = make_response(HttpResponse::text(500, "internal error\n"));
    }
    beast::get_lowest_layer(derived().stream()).expires_after(shared_->options.read_timeout);
    auto self = derived().shared_from_this();
    http::async_write(derived().stream(), *res, [self, res](beast::error_code ec, std::size_t) {
      if (ec) return self->close();
      if (!res->keep_alive()) return self->linger_ ? self->linger_close() : self->close();
      self->do_read();
    });
  }

  std::shared_ptr<http::response<http::string_body>> make_response(HttpResponse response) {
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(11);
    res->result(static_cast<http::status>(response.status));
    res->set(http::field::server, "bottega");
    res->set(http::field::content_type, response.content_type);
    // Set-Cookie may repeat (one per cookie); any other header is set once.
    for (auto& [k, v] : response.headers) {
      if (beast::iequals(k, "set-cookie"))
        res->insert(k, v);
      else
        res->set(k, v);
    }
    if (head_) {
      // What GET would send, without the body: a body here would be read
      // as the start of the next response by a pipelining client.
      res->content_length(response.body.size());
    } else {
      res->body() = std::move(response.body);
      res->prepare_payload();
    }
    res->keep_alive(keep_alive_ && !shared_->stopping);
    return res;
  }

  // Half-closes, then reads and drops what the client still sends until it
  // closes or kLingerTime passes, then closes.
  void linger_close() {
    busy_ = false;
    if (!derived().begin_linger()) return derived().close();
    beast::get_lowest_layer(derived().stream()).expires_after(kLingerTime);
    do_linger();
  }

  void do_linger() {
    derived().stream().async_read_some(
        asio::buffer(linger_buffer_),
        [self = derived().shared_from_this()](beast::error_code ec, std::size_t) {
          if (ec) return self->close();
          self->do_linger();
        });
  }

 protected:
  std::shared_ptr<Shared> shared_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::list<std::function<void()>>::iterator closer_;
  std::string remote_;
  std::size_t requests_ = 0;
  std::size_t reserved_ = 0;  // this request's share of the body budget
  bool keep_alive_ = true;
  bool busy_ = false;
  bool head_ = false;    // the request is a HEAD: answer without a body
  bool linger_ = false;  // the request was not read whole: linger before closing
  std::array<char, 4096> linger_buffer_{};
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

  // Sends FIN and keeps reading; false if the socket is already gone.
  bool begin_linger() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    return !ec;
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
      self->stream_.async_handshake(asio::ssl::stream_base::server, [self](beast::error_code ec) {
        if (ec) return self->close_socket();
        self->do_read();
      });
    });
  }

  // TLS has its own close (close_notify); no lingering.
  bool begin_linger() { return false; }

  void close() {
    if (closing_) return;
    closing_ = true;
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
    stream_.async_shutdown(
        [self = shared_from_this()](beast::error_code) { self->close_socket(); });
  }

 private:
  void close_socket() { beast::get_lowest_layer(stream_).close(); }

  beast::ssl_stream<beast::tcp_stream> stream_;
  bool closing_ = false;
};

}  // namespace

struct HttpServer::Impl {
  std::shared_ptr<Shared> shared = std::make_shared<Shared>();
  std::optional<asio::ssl::context>& tls = shared->tls;
  // Keep the threads running while a handler holds a request but no I/O is
  // pending (during a drain, the acceptor is already closed).
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::optional<tcp::acceptor> acceptor;  // on the first context
  std::size_t next_context = 0;           // the accept loop's: where the next session lives
  std::vector<std::thread> threads;
  uint16_t port = 0;
  bool running = false;
  // The accept loop's own state: only one accept (or its backoff timer) is
  // pending at a time, so its handlers never run concurrently.
  std::optional<asio::steady_timer> accept_timer;
  std::chrono::milliseconds accept_backoff{0};
  LogLimiter accept_error_log;
  LogLimiter full_log;

  ServerContext& first_context() { return *shared->contexts.front(); }

  void do_accept() {
    if (shared->stopping || !acceptor || !acceptor->is_open()) return;
    auto& contexts = shared->contexts;
    auto& context = *contexts[next_context++ % contexts.size()];
    acceptor->async_accept(
        context.get_executor(), [this](beast::error_code ec, tcp::socket socket) {
          if (ec) return on_accept_error(ec);
          accept_backoff = std::chrono::milliseconds(0);
          beast::error_code ignored;
          auto peer = socket.remote_endpoint(ignored);
          std::string remote = ignored ? std::string("?") : peer.address().to_string();
          if (tls) {
            std::make_shared<TlsSession>(std::move(socket), *tls, shared)->run(std::move(remote));
          } else {
            std::make_shared<PlainSession>(std::move(socket), shared)->run(std::move(remote));
          }
          if (!pause_if_full()) do_accept();
        });
  }

  // At max_connections, stops accepting until a session ends (it resumes
  // the loop); new connections wait in the listen backlog meanwhile.
  bool pause_if_full() {
    std::size_t open = 0;
    {
      std::lock_guard lock(shared->mutex);
      if (shared->sessions < shared->options.max_connections) return false;
      shared->accept_paused = true;
      open = shared->sessions;
    }
    std::size_t suppressed = 0;
    if (full_log.allow(suppressed))
      component_log("http").warn(
          "{} connections open (max_connections): new ones wait until one closes{}", open,
          suppressed ? " (reached " + std::to_string(suppressed) + " more times)" : "");
    return true;
  }

  void on_accept_error(beast::error_code ec) {
    if (ec == asio::error::operation_aborted || shared->stopping || !acceptor->is_open()) return;
    // The connection went away before it was accepted: nothing to wait for.
    bool transient = ec == asio::error::connection_aborted || ec == asio::error::connection_reset;
    if (!transient) {
      // Out of descriptors or memory, or worse: retrying at once would spin.
      accept_backoff = accept_backoff.count() == 0
                           ? kFirstAcceptBackoff
                           : std::min(accept_backoff * 2, kMaxAcceptBackoff);
    }
    std::size_t suppressed = 0;
    if (accept_error_log.allow(suppressed))
      component_log("http").warn(
          "accept failed: {}{}{}", ec.message(),
          suppressed ? " (and " + std::to_string(suppressed) + " more times since the last message)"
                     : "",
          transient ? "" : "; backing off up to 1 s between attempts");
    if (transient) return do_accept();
    accept_timer->expires_after(accept_backoff);
    accept_timer->async_wait([this](beast::error_code wait_ec) {
      if (!wait_ec) do_accept();
    });
  }

  // Runs one io_context on this thread. An exception that escapes a
  // completion handler (Beast's parser throws on some inputs) has destroyed
  // the handler and with it its session, so only that connection is gone:
  // log it and keep serving.
  void run_thread(ServerContext& context) {
    for (;;) {
      try {
        context.run();
        return;
      } catch (const std::exception& e) {
        component_log("http").error("connection dropped after an exception: {}", e.what());
      } catch (...) {
        component_log("http").error("connection dropped after an unknown exception");
      }
    }
  }
};

HttpServer::HttpServer(HttpServerOptions options, Handler handler)
    : impl_(std::make_unique<Impl>()) {
  impl_->shared->options = std::move(options);
  impl_->shared->handler = std::move(handler);
  for (int i = 0; i < std::max(1, impl_->shared->options.threads); ++i)
    impl_->shared->contexts.push_back(std::make_unique<ServerContext>());
}

HttpServer::~HttpServer() { stop(std::chrono::milliseconds(1000)); }

uint16_t HttpServer::port() const { return impl_->port; }

Result<void> HttpServer::bind() {
  if (impl_->acceptor) return {};
  auto& o = impl_->shared->options;
  if (!o.tls_cert_file.empty()) {
    try {
      impl_->tls.emplace(asio::ssl::context::tls_server);
      SSL_CTX_set_min_proto_version(impl_->tls->native_handle(), TLS1_2_VERSION);
      impl_->tls->set_options(asio::ssl::context::default_workarounds |
                              asio::ssl::context::single_dh_use);
      impl_->tls->use_certificate_chain_file(o.tls_cert_file);
      impl_->tls->use_private_key_file(o.tls_key_file, asio::ssl::context::pem);
    } catch (const boost::system::system_error& e) {
      impl_->tls.reset();
      return make_error("TLS: cannot load certificate " + o.tls_cert_file + " and key " +
                        o.tls_key_file + ": " + e.code().message());
    }
  }
  // The code's message alone: what() appends Boost's source location.
  const std::string where = "cannot listen on " + o.host + ":" + std::to_string(o.port) + ": ";
  try {
    // Each context's reactor (an epoll and an eventfd) is made by its first
    // socket: made now, not when it first accepts while out of descriptors
    // (the exception would end the accept loop).
    for (auto& context : impl_->shared->contexts) tcp::socket reactor_made(*context);
    tcp::resolver resolver(impl_->first_context());
    auto endpoints = resolver.resolve(o.host, std::to_string(o.port),
                                      tcp::resolver::passive | tcp::resolver::numeric_service);
    tcp::endpoint endpoint = *endpoints.begin();
    impl_->acceptor.emplace(impl_->first_context());
    impl_->acceptor->open(endpoint.protocol());
    impl_->acceptor->set_option(asio::socket_base::reuse_address(true));
    impl_->acceptor->bind(endpoint);
    impl_->acceptor->listen(asio::socket_base::max_listen_connections);
    impl_->port = impl_->acceptor->local_endpoint().port();
  } catch (const boost::system::system_error& e) {
    impl_->acceptor.reset();
    if (e.code() == asio::error::address_in_use)
      return make_error(where +
                        "the port is in use (another program listens there; choose "
                        "another with `listen` or BOTTEGA_LISTEN)");
    if (e.code() == asio::error::access_denied)
      return make_error(where +
                        "permission denied (ports below 1024 need privileges; use a "
                        "higher port behind a reverse proxy)");
    return make_error(where + e.code().message());
  }
  return {};
}

Result<void> HttpServer::start() {
  if (auto bound = bind(); !bound) return bound;
  auto& o = impl_->shared->options;
  impl_->accept_timer.emplace(impl_->first_context());
  {
    std::lock_guard lock(impl_->shared->mutex);
    impl_->shared->resume_accept = [impl = impl_.get()] {
      asio::post(impl->first_context(), [impl] { impl->do_accept(); });
    };
  }
  impl_->do_accept();
  for (auto& context : impl_->shared->contexts) {
    impl_->work.push_back(asio::make_work_guard(*context));
    impl_->threads.emplace_back([impl = impl_.get(), c = context.get()] { impl->run_thread(*c); });
  }
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
  {
    std::lock_guard lock(shared->mutex);
    shared->resume_accept = nullptr;
  }
  asio::post(impl_->first_context(), [this] {
    beast::error_code ec;
    impl_->acceptor->close(ec);
    impl_->accept_timer->cancel();
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
  impl_->work.clear();
  for (auto& context : shared->contexts) context->stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
  impl_->acceptor.reset();
  impl_->accept_timer.reset();
  // Releases the sessions still waiting on I/O; those a handler holds are
  // released when it answers (the answer is dropped).
  for (auto& context : shared->contexts) context->shutdown();
  component_log("http").info("stopped");
}

}  // namespace bottega
