#include "tests/support/fake_github/fake_server.h"

#include <openssl/ssl.h>
#include <sys/socket.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <list>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "config/base/log.h"

namespace bottega::fake_github {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string decode_percent(std::string_view s, bool plus_is_space) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int h = hex(s[i + 1]), l = hex(s[i + 2]);
      if (h >= 0 && l >= 0) {
        out += static_cast<char>(h * 16 + l);
        i += 2;
        continue;
      }
    }
    out += (plus_is_space && s[i] == '+') ? ' ' : s[i];
  }
  return out;
}

}  // namespace

std::string percent_decode(std::string_view s, bool plus_is_space) {
  return decode_percent(s, plus_is_space);
}

std::string Request::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return "";
}

std::string Request::query_param(std::string_view name) const {
  std::string_view rest = query;
  while (!rest.empty()) {
    auto amp = rest.find('&');
    auto pair = rest.substr(0, amp);
    auto eq = pair.find('=');
    if (percent_decode(pair.substr(0, eq), true) == name)
      return eq == std::string_view::npos ? "" : percent_decode(pair.substr(eq + 1), true);
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return "";
}

struct FakeServer::Impl {
  FakeServerOptions options;
  RequestHandler handler;
  asio::io_context ioc;
  std::optional<asio::ssl::context> ssl;
  std::optional<tcp::acceptor> acceptor;
  std::thread accept_thread;
  std::mutex mutex;
  std::set<int> open_fds;
  struct Worker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done = std::make_shared<std::atomic<bool>>(false);
  };
  std::list<Worker> connection_threads;
  std::atomic<bool> stopping{false};
  uint16_t port = 0;
  int listen_fd = -1;
  bool running = false;

  template <class Stream>
  void serve(Stream& stream, tcp::socket& raw) {
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(512 * 1024 * 1024);
      parser.header_limit(256 * 1024);
      beast::error_code ec;
      http::read(stream, buffer, parser, ec);
      if (ec || stopping) return;
      auto msg = parser.release();
      Request req;
      req.method = std::string(msg.method_string());
      req.target = std::string(msg.target());
      auto q = req.target.find('?');
      req.raw_path = req.target.substr(0, q);
      req.path = percent_decode(req.raw_path, false);
      if (q != std::string::npos) req.query = req.target.substr(q + 1);
      for (const auto& f : msg)
        req.headers.emplace_back(lower(f.name_string()), std::string(f.value()));
      req.body = std::move(msg.body());
      Response res;
      try {
        res = handler(req);
      } catch (const std::exception& e) {
        res.status = 500;
        res.body = std::string("{\"message\":\"fake GitHub handler threw: ") + e.what() + "\"}";
      }
      if (res.delay.count() > 0) std::this_thread::sleep_for(res.delay);
      if (res.drop) {
        beast::error_code ignored;
        raw.shutdown(tcp::socket::shutdown_both, ignored);
        raw.close(ignored);
        return;
      }
      http::response<http::string_body> out;
      out.version(11);
      out.result(static_cast<unsigned>(res.status));
      out.set(http::field::server, "GitHub.com");
      if (!res.content_type.empty()) out.set(http::field::content_type, res.content_type);
      for (auto& [k, v] : res.headers) out.insert(k, v);
      out.body() = std::move(res.body);
      out.keep_alive(msg.keep_alive());
      out.prepare_payload();
      http::write(stream, out, ec);
      if (ec || !out.keep_alive()) return;
    }
  }

  void connection(tcp::socket socket) {
    int fd = socket.native_handle();
    {
      std::lock_guard lock(mutex);
      open_fds.insert(fd);
    }
    try {
      if (ssl) {
        asio::ssl::stream<tcp::socket&> stream(socket, *ssl);
        beast::error_code ec;
        stream.handshake(asio::ssl::stream_base::server, ec);
        if (!ec) serve(stream, socket);
      } else {
        serve(socket, socket);
      }
    } catch (const std::exception& e) {
      component_log("fake-github").debug("connection ended: {}", e.what());
    }
    {
      std::lock_guard lock(mutex);
      open_fds.erase(fd);
    }
    beast::error_code ignored;
    socket.close(ignored);
  }

  void accept_loop() {
    for (;;) {
      beast::error_code ec;
      tcp::socket socket(ioc);
      acceptor->accept(socket, ec);
      if (stopping) return;
      if (ec) continue;
      std::lock_guard lock(mutex);
      // Join the threads of connections that have ended (a long-running
      // fake-github would otherwise keep every finished thread).
      for (auto it = connection_threads.begin(); it != connection_threads.end();) {
        if (it->done->load()) {
          it->thread.join();
          it = connection_threads.erase(it);
        } else {
          ++it;
        }
      }
      Worker w;
      w.thread = std::thread(
          [this, done = w.done, s = std::make_shared<tcp::socket>(std::move(socket))]() mutable {
            connection(std::move(*s));
            done->store(true);
          });
      connection_threads.push_back(std::move(w));
    }
  }
};

FakeServer::FakeServer(FakeServerOptions options, RequestHandler handler)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->handler = std::move(handler);
}

FakeServer::~FakeServer() { stop(); }

uint16_t FakeServer::port() const { return impl_->port; }
bool FakeServer::tls() const { return impl_->ssl.has_value(); }

Result<void> FakeServer::start() {
  auto& o = impl_->options;
  if (!o.tls_cert_file.empty()) {
    try {
      impl_->ssl.emplace(asio::ssl::context::tls_server);
      SSL_CTX_set_min_proto_version(impl_->ssl->native_handle(), TLS1_2_VERSION);
      impl_->ssl->use_certificate_chain_file(o.tls_cert_file);
      impl_->ssl->use_private_key_file(o.tls_key_file, asio::ssl::context::pem);
    } catch (const std::exception& e) {
      return make_error("fake GitHub: cannot load " + o.tls_cert_file + ": " + e.what());
    }
  }
  try {
    tcp::endpoint endpoint(asio::ip::make_address(o.host), o.port);
    impl_->acceptor.emplace(impl_->ioc);
    impl_->acceptor->open(endpoint.protocol());
    impl_->acceptor->set_option(asio::socket_base::reuse_address(true));
    impl_->acceptor->bind(endpoint);
    impl_->acceptor->listen();
    impl_->port = impl_->acceptor->local_endpoint().port();
    impl_->listen_fd = impl_->acceptor->native_handle();
  } catch (const std::exception& e) {
    return make_error("fake GitHub: cannot listen on " + o.host + ":" + std::to_string(o.port) +
                      ": " + e.what());
  }
  impl_->running = true;
  impl_->accept_thread = std::thread([this] { impl_->accept_loop(); });
  return {};
}

void FakeServer::stop() {
  if (!impl_->running) return;
  impl_->running = false;
  impl_->stopping = true;
  // shutdown() wakes the blocked accept(); the acceptor object itself is
  // closed only once its thread is gone (it is not safe across threads).
  ::shutdown(impl_->listen_fd, SHUT_RDWR);
  impl_->accept_thread.join();
  beast::error_code ignored;
  impl_->acceptor->close(ignored);
  std::list<Impl::Worker> threads;
  {
    std::lock_guard lock(impl_->mutex);
    for (int fd : impl_->open_fds) ::shutdown(fd, SHUT_RDWR);
    threads.swap(impl_->connection_threads);
  }
  for (auto& w : threads) w.thread.join();
}

}  // namespace bottega::fake_github
