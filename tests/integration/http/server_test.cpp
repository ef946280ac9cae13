#include "app/http/server.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <filesystem>
#include <future>
#include <pqxx/pqxx>
#include <sstream>
#include <thread>

#include "app/routes.h"
#include "config/base/log.h"
#include "engine/db/database.h"
#include "engine/db/migrations.h"
#include "tests/support/postgres_fixture.h"
#include "tests/support/tls_fixture.h"

namespace bottega {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct Reply {
  int status = 0;
  std::string body;
};

// A plain blocking HTTP client for one request on a fresh connection.
Reply request(uint16_t port, http::verb verb, const std::string& target, std::string body = "") {
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, "localhost");
  req.body() = std::move(body);
  req.prepare_payload();
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  return {static_cast<int>(res.result_int()), res.body()};
}

HttpServerOptions local_options() {
  HttpServerOptions o;
  o.host = "127.0.0.1";
  o.port = 0;
  o.threads = 2;
  return o;
}

class RouterTest : public ::testing::Test {
 protected:
  void start(const std::string& connection_string) {
    database_ = std::make_unique<Database>(connection_string, 2);
    RouterDeps deps;
    deps.database = database_.get();
    router_ = std::make_unique<Router>(deps);
    server_ = std::make_unique<HttpServer>(local_options(), router_->handler());
    auto started = server_->start();
    ASSERT_TRUE(started.ok()) << started.error().message;
  }
  void TearDown() override {
    if (server_) server_->stop();
  }
  std::unique_ptr<Database> database_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(RouterTest, HealthzAnswersOk) {
  start("host=/nonexistent dbname=x");
  auto r = request(server_->port(), http::verb::get, "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok\n");
}

TEST_F(RouterTest, ReadyzIs503WithTheReasonWhenTheDatabaseIsDown) {
  start("host=/nonexistent-bottega-socket-dir dbname=x connect_timeout=2");
  auto r = request(server_->port(), http::verb::get, "/readyz");
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("cannot connect to PostgreSQL"), std::string::npos) << r.body;
}

TEST_F(RouterTest, ReadyzIs503UntilMigratedThen200) {
  testing::TestDatabase db;
  start(db.connection_string());
  auto before = request(server_->port(), http::verb::get, "/readyz");
  EXPECT_EQ(before.status, 503);
  EXPECT_NE(before.body.find("migration(s) not applied"), std::string::npos) << before.body;

  pqxx::connection conn(db.connection_string());
  ASSERT_TRUE(apply_migrations(conn, builtin_migrations()).ok());
  // /readyz answers from a background probe (once a second): the next
  // probe sees the migrations.
  auto after = request(server_->port(), http::verb::get, "/readyz");
  for (int i = 0; i < 100 && after.status != 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    after = request(server_->port(), http::verb::get, "/readyz");
  }
  EXPECT_EQ(after.status, 200);
  EXPECT_EQ(after.body, "ready\n");
}

TEST_F(RouterTest, UnknownRouteIs404) {
  start("host=/nonexistent dbname=x");
  auto r = request(server_->port(), http::verb::get, "/no/such/thing");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("/no/such/thing"), std::string::npos);
}

TEST(HttpServer, BodyOverTheLimitIs413) {
  auto o = local_options();
  o.max_body_bytes = 1024;
  bool called = false;
  HttpServer server(o, [&](HttpRequest&&, Responder respond) {
    called = true;
    respond(HttpResponse::text(200, "ok"));
  });
  ASSERT_TRUE(server.start().ok());
  auto r = request(server.port(), http::verb::post, "/anything", std::string(2048, 'x'));
  EXPECT_EQ(r.status, 413);
  EXPECT_FALSE(called);
  auto small = request(server.port(), http::verb::post, "/anything", std::string(1000, 'x'));
  EXPECT_EQ(small.status, 200);
  server.stop();
}

TEST(HttpServer, KeepAliveServesSeveralRequestsOnOneConnection) {
  std::atomic<int> calls{0};
  HttpServer server(local_options(), [&](HttpRequest&& req, Responder respond) {
    ++calls;
    respond(HttpResponse::text(200, req.target));
  });
  ASSERT_TRUE(server.start().ok());
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server.port()));
  for (int i = 0; i < 3; ++i) {
    http::request<http::empty_body> req{http::verb::get, "/n" + std::to_string(i), 11};
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    EXPECT_EQ(res.body(), "/n" + std::to_string(i));
  }
  EXPECT_EQ(calls.load(), 3);
  server.stop();
}

TEST(HttpServer, SlowClientIsDisconnectedAfterTheReadTimeout) {
  auto o = local_options();
  o.read_timeout = std::chrono::milliseconds(300);
  HttpServer server(o,
                    [](HttpRequest&&, Responder respond) { respond(HttpResponse::text(200, "")); });
  ASSERT_TRUE(server.start().ok());
  asio::io_context ioc;
  tcp::socket socket(ioc);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server.port()));
  asio::write(socket, asio::buffer(std::string("GET /healthz HTTP/1.1\r\nHost: x\r\n")));
  // The request never ends; the server must close the connection itself.
  auto closed = std::async(std::launch::async, [&] {
    char byte;
    boost::system::error_code ec;
    asio::read(socket, asio::buffer(&byte, 1), ec);
    return ec;
  });
  ASSERT_EQ(closed.wait_for(std::chrono::seconds(10)), std::future_status::ready)
      << "connection still open long after the read timeout";
  EXPECT_TRUE(closed.get()) << "the server should have closed the connection";
  server.stop();
}

TEST(HttpServer, GracefulStopLetsTheRequestInFlightFinish) {
  std::promise<void> entered;
  HttpServer server(local_options(), [&](HttpRequest&&, Responder respond) {
    entered.set_value();
    std::thread([respond] {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      respond(HttpResponse::text(200, "finished"));
    }).detach();
  });
  ASSERT_TRUE(server.start().ok());
  auto port = server.port();
  auto reply =
      std::async(std::launch::async, [port] { return request(port, http::verb::get, "/slow"); });
  entered.get_future().wait();
  server.stop(std::chrono::milliseconds(5000));
  auto r = reply.get();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "finished");
  // And nothing listens any more.
  asio::io_context ioc;
  tcp::socket socket(ioc);
  boost::system::error_code ec;
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  EXPECT_TRUE(ec);
}

class TlsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::make_temp_dir("bottega-tls-");
    certs_ = testing::make_test_certificates(dir_);
    auto o = local_options();
    o.tls_cert_file = certs_.server_cert;
    o.tls_key_file = certs_.server_key;
    server_ = std::make_unique<HttpServer>(o, [](HttpRequest&& req, Responder respond) {
      respond(HttpResponse::text(200, req.target));
    });
    auto started = server_->start();
    ASSERT_TRUE(started.ok()) << started.error().message;
  }
  void TearDown() override {
    server_->stop();
    std::filesystem::remove_all(dir_);
  }

  // Returns the response body, or the handshake/IO error text.
  std::string get(int max_tls_version) {
    asio::io_context ioc;
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    ctx.load_verify_file(certs_.ca_cert);
    ctx.set_verify_mode(asio::ssl::verify_peer);
    SSL_CTX_set_max_proto_version(ctx.native_handle(), max_tls_version);
    SSL_CTX_set_security_level(ctx.native_handle(), 0);  // let the client offer old versions
    beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
    SSL_set_tlsext_host_name(stream.native_handle(), "localhost");
    stream.set_verify_callback(asio::ssl::host_name_verification("localhost"));
    beast::get_lowest_layer(stream).connect(
        tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
    boost::system::error_code ec;
    stream.handshake(asio::ssl::stream_base::client, ec);
    if (ec) return "handshake failed: " + ec.message();
    http::request<http::empty_body> req{http::verb::get, "/over-tls", 11};
    req.set(http::field::host, "localhost");
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    return res.body();
  }

  std::string dir_;
  testing::TestCertificates certs_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(TlsServerTest, HandshakeWithATestCertificateAndServe) {
  EXPECT_EQ(get(TLS1_3_VERSION), "/over-tls");
  EXPECT_EQ(get(TLS1_2_VERSION), "/over-tls");
}

TEST_F(TlsServerTest, TlsOlderThan12IsRefused) {
  EXPECT_NE(get(TLS1_1_VERSION).find("handshake failed"), std::string::npos);
}

TEST(HttpServer, UnusableCertificateFailsToStart) {
  auto o = local_options();
  o.tls_cert_file = "/nonexistent/cert.pem";
  o.tls_key_file = "/nonexistent/key.pem";
  HttpServer server(o, [](HttpRequest&&, Responder) {});
  auto started = server.start();
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.error().message.find("/nonexistent/cert.pem"), std::string::npos);
}

TEST(HttpServer, PortInUseFailsToStart) {
  HttpServer first(local_options(), [](HttpRequest&&, Responder) {});
  ASSERT_TRUE(first.start().ok());
  auto o = local_options();
  o.port = first.port();
  HttpServer second(o, [](HttpRequest&&, Responder) {});
  auto started = second.start();
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.error().message.find("cannot listen"), std::string::npos);
}

// --- Hostile clients ------------------------------------------------------
// These tests assert outcomes (answers, closed connections, counts of log
// lines), never how long something took: the waits below are upper bounds
// for a busy machine.

tcp::socket connect_raw(asio::io_context& ioc, uint16_t port) {
  tcp::socket socket(ioc);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  return socket;
}

// True when the socket has something to read (data or its end) within `ms`.
bool readable_within(tcp::socket& socket, int ms) {
  pollfd p{socket.native_handle(), POLLIN, 0};
  return ::poll(&p, 1, ms) == 1;
}

// Everything the server sends until it closes the connection (or stays
// silent for 10 s).
std::string read_until_closed(tcp::socket& socket) {
  std::string out;
  char chunk[4096];
  while (readable_within(socket, 10'000)) {
    boost::system::error_code ec;
    std::size_t n = socket.read_some(asio::buffer(chunk), ec);
    out.append(chunk, n);
    if (ec) break;
  }
  return out;
}

// One whole response from a connection that stays open, or "" if the
// server closed it or stayed silent for 10 s.
std::string read_one_response(tcp::socket& socket) {
  if (!readable_within(socket, 10'000)) return "";
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  boost::system::error_code ec;
  http::read(socket, buffer, res, ec);
  if (ec) return "";
  std::ostringstream out;
  out << res;
  return out.str();
}

// True when the server closes the connection (within 10 s) without sending
// anything more.
bool closed_by_server(tcp::socket& socket) {
  if (!readable_within(socket, 10'000)) return false;
  char byte;
  boost::system::error_code ec;
  std::size_t n = socket.read_some(asio::buffer(&byte, 1), ec);
  return n == 0 && ec;
}

// The status of a GET on a fresh connection, or 0 if the server closed it
// without an answer.
int status_of(uint16_t port, const std::string& target) {
  try {
    return request(port, http::verb::get, target).status;
  } catch (const std::exception&) {
    return 0;
  }
}

// Captures what the "http" component logs while it lives.
class LogCapture {
 public:
  LogCapture() : sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(out_)) {
    spdlog::default_logger()->sinks().push_back(sink_);
    component_log("http");  // takes the default logger's sinks
  }
  ~LogCapture() {
    auto& sinks = spdlog::default_logger()->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
    component_log("http");
  }
  std::size_t lines_containing(const std::string& needle) {
    sink_->flush();
    std::istringstream in(out_.str());
    std::size_t n = 0;
    for (std::string line; std::getline(in, line);)
      if (line.find(needle) != std::string::npos) ++n;
    return n;
  }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
};

Handler ok_handler() {
  return [](HttpRequest&& req, Responder respond) {
    respond(HttpResponse::text(200, "got " + std::to_string(req.body.size()) + "\n"));
  };
}

TEST(HttpServer, HugeChunkedTrailerGets431AndTheServerKeepsServing) {
  HttpServer server(local_options(), ok_handler());
  ASSERT_TRUE(server.start().ok());
  // Beast throws std::length_error for a field of 65,534 bytes or more.
  for (std::size_t size : {std::size_t{65'534}, std::size_t{70'000}, std::size_t{300'000}}) {
    asio::io_context ioc;
    auto socket = connect_raw(ioc, server.port());
    std::string req =
        "POST /webhooks/github HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5\r\nhello\r\n0\r\nX-Big: " +
        std::string(size, 'a') + "\r\n\r\n";
    boost::system::error_code ec;
    asio::write(socket, asio::buffer(req), ec);  // the server may stop reading early
    auto reply = read_until_closed(socket);
    EXPECT_EQ(reply.rfind("HTTP/1.1 431", 0), 0u) << size << ": " << reply;
    EXPECT_EQ(status_of(server.port(), "/healthz"), 200) << "after a trailer field of " << size;
  }
  server.stop();
}

TEST(HttpServer, ThrowingHandlersEndOnlyTheirRequest) {
  HttpServer server(local_options(), [](HttpRequest&& req, Responder respond) {
    if (req.target == "/throw-int") throw 42;  // not a std::exception
    if (req.target == "/answer-then-throw") {
      respond(HttpResponse::text(200, "answered\n"));
      throw std::runtime_error("after answering");
    }
    if (req.target == "/unsendable") {
      // Answered from another thread with a header Beast refuses to hold.
      std::thread([respond] {
        HttpResponse r = HttpResponse::text(200, "x");
        r.headers.emplace_back("X-Huge", std::string(70'000, 'h'));
        respond(std::move(r));
      }).detach();
      return;
    }
    respond(HttpResponse::text(200, "ok\n"));
  });
  ASSERT_TRUE(server.start().ok());
  EXPECT_EQ(status_of(server.port(), "/throw-int"), 500);
  EXPECT_EQ(status_of(server.port(), "/answer-then-throw"), 200);
  EXPECT_EQ(status_of(server.port(), "/unsendable"), 500);
  EXPECT_EQ(status_of(server.port(), "/healthz"), 200);
  server.stop();
}

TEST(HttpServer, ConnectionsBeyondTheCapWaitUntilOneCloses) {
  auto o = local_options();
  o.max_connections = 2;
  HttpServer server(o, ok_handler());
  ASSERT_TRUE(server.start().ok());
  asio::io_context ioc;
  auto first = connect_raw(ioc, server.port());
  auto second = connect_raw(ioc, server.port());
  // Both are accepted and idle; the third waits in the backlog.
  auto third = connect_raw(ioc, server.port());
  asio::write(third, asio::buffer(std::string("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")));
  EXPECT_FALSE(readable_within(third, 500)) << "a third connection was served beyond the cap";
  first.close();
  auto reply = read_one_response(third);
  EXPECT_EQ(reply.rfind("HTTP/1.1 200", 0), 0u) << reply;
  second.close();
  third.close();
  EXPECT_EQ(status_of(server.port(), "/healthz"), 200);
  server.stop();
}

// Lowers the soft RLIMIT_NOFILE so that no descriptor can be opened, and
// puts it back when it goes.
class NoFreeDescriptors {
 public:
  NoFreeDescriptors() {
    ::getrlimit(RLIMIT_NOFILE, &saved_);
    int lowest_free = ::dup(0);
    ::close(lowest_free);
    rlimit lowered = saved_;
    lowered.rlim_cur = static_cast<rlim_t>(lowest_free);
    ok_ = ::setrlimit(RLIMIT_NOFILE, &lowered) == 0 && ::dup(0) < 0;
  }
  ~NoFreeDescriptors() { ::setrlimit(RLIMIT_NOFILE, &saved_); }
  bool ok() const { return ok_; }

 private:
  rlimit saved_{};
  bool ok_ = false;
};

TEST(HttpServer, OutOfDescriptorsTheAcceptLoopBacksOffLogsOnceAndRecovers) {
  LogCapture log;
  HttpServer server(local_options(), ok_handler());
  ASSERT_TRUE(server.start().ok());
  asio::io_context ioc;
  std::vector<tcp::socket> clients;
  for (int i = 0; i < 3; ++i) {  // opened now: no descriptor can be opened later
    clients.emplace_back(ioc);
    clients.back().open(tcp::v4());
  }
  {
    NoFreeDescriptors exhausted;
    ASSERT_TRUE(exhausted.ok());
    // The kernel completes these connections; the server cannot accept them.
    for (auto& c : clients)
      c.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server.port()));
    asio::write(clients[0], asio::buffer(std::string("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")));
    std::this_thread::sleep_for(std::chrono::seconds(1));  // long enough to spin, if it spins
  }
  auto reply = read_one_response(clients[0]);
  EXPECT_EQ(reply.rfind("HTTP/1.1 200", 0), 0u) << reply;
  EXPECT_EQ(status_of(server.port(), "/healthz"), 200);
  auto lines = log.lines_containing("accept failed");
  EXPECT_GE(lines, 1u);
  EXPECT_LE(lines, 3u) << "the accept loop logged every failed attempt";
  server.stop();
}

TEST(HttpServer, BodiesOverTheMemoryBudgetGet503BeforeTheyAreRead) {
  auto o = local_options();
  o.max_body_memory_bytes = 1024 * 1024;
  o.read_timeout = std::chrono::milliseconds(3000);
  std::promise<Responder> held;
  HttpServer server(o, [&](HttpRequest&& req, Responder respond) {
    if (req.target == "/hold") return held.set_value(std::move(respond));
    respond(HttpResponse::text(200, "got " + std::to_string(req.body.size()) + "\n"));
  });
  ASSERT_TRUE(server.start().ok());
  auto port = server.port();
  // 800 KB held by a handler that has not answered yet.
  auto first = std::async(std::launch::async, [port] {
    return request(port, http::verb::post, "/hold", std::string(800'000, 'a'));
  });
  auto respond_first = held.get_future().get();

  // Another 800 KB does not fit: 503 on the headers alone.
  asio::io_context ioc;
  auto second = connect_raw(ioc, port);
  asio::write(second, asio::buffer(std::string(
                          "POST /second HTTP/1.1\r\nHost: x\r\nContent-Length: 800000\r\n\r\n")));
  auto reply = read_until_closed(second);
  EXPECT_EQ(reply.rfind("HTTP/1.1 503", 0), 0u) << reply;
  EXPECT_NE(reply.find("Retry-After: "), std::string::npos) << reply;

  respond_first(HttpResponse::text(200, "held\n"));
  respond_first = nullptr;  // it holds the connection
  EXPECT_EQ(first.get().status, 200);
  // Answered, its body no longer counts.
  auto third = request(port, http::verb::post, "/third", std::string(800'000, 'c'));
  EXPECT_EQ(third.status, 200);
  EXPECT_EQ(third.body, "got 800000\n");
  server.stop();
}

TEST(HttpServer, ChunkedBodyGrowingOverTheMemoryBudgetGets503) {
  auto o = local_options();
  o.max_body_memory_bytes = 256 * 1024;
  HttpServer server(o, ok_handler());
  ASSERT_TRUE(server.start().ok());
  asio::io_context ioc;
  auto socket = connect_raw(ioc, server.port());
  boost::system::error_code ec;
  asio::write(socket,
              asio::buffer(std::string(
                  "POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")),
              ec);
  std::string chunk = "10000\r\n" + std::string(0x10000, 'z') + "\r\n";  // 64 KB
  for (int i = 0; i < 16 && !ec; ++i) asio::write(socket, asio::buffer(chunk), ec);
  if (!ec) asio::write(socket, asio::buffer(std::string("0\r\n\r\n")), ec);
  auto reply = read_until_closed(socket);
  EXPECT_EQ(reply.rfind("HTTP/1.1 503", 0), 0u) << reply.substr(0, 200);
  EXPECT_EQ(status_of(server.port(), "/healthz"), 200);
  // Within the budget, a chunked body is fine.
  auto small = request(server.port(), http::verb::post, "/small", std::string(100'000, 's'));
  EXPECT_EQ(small.status, 200);
  server.stop();
}

TEST(HttpServer, HeadAnswersCarryNoBody) {
  HttpServer server(local_options(), [](HttpRequest&& req, Responder respond) {
    respond(HttpResponse::text(200, "hello " + req.target + "\n"));
  });
  ASSERT_TRUE(server.start().ok());
  asio::io_context ioc;
  auto socket = connect_raw(ioc, server.port());
  // Pipelined: a body after the HEAD answer would be read as the next answer.
  asio::write(socket,
              asio::buffer(std::string("HEAD /a HTTP/1.1\r\nHost: x\r\n\r\n"
                                       "GET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")));
  auto all = read_until_closed(socket);
  auto end_of_head = all.find("\r\n\r\n");
  ASSERT_NE(end_of_head, std::string::npos) << all;
  std::string head = all.substr(0, end_of_head);
  std::string rest = all.substr(end_of_head + 4);
  EXPECT_EQ(head.rfind("HTTP/1.1 200", 0), 0u) << head;
  EXPECT_NE(head.find("Content-Length: 9"), std::string::npos) << head;  // "hello /a\n"
  EXPECT_EQ(rest.rfind("HTTP/1.1 200", 0), 0u) << rest;
  EXPECT_NE(rest.find("hello /b\n"), std::string::npos) << rest;
  server.stop();
}

TEST(HttpServer, KeepAliveIdleTimeoutEndsAtTheFirstByteOfTheNextRequest) {
  auto o = local_options();
  o.read_timeout = std::chrono::milliseconds(300);
  o.idle_timeout = std::chrono::milliseconds(60'000);
  HttpServer server(o, ok_handler());
  ASSERT_TRUE(server.start().ok());
  asio::io_context ioc;
  auto socket = connect_raw(ioc, server.port());
  const std::string get = "GET /n HTTP/1.1\r\nHost: x\r\n\r\n";
  asio::write(socket, asio::buffer(get));
  auto first = read_one_response(socket);
  EXPECT_EQ(first.rfind("HTTP/1.1 200", 0), 0u) << first;
  // Idle for longer than the read timeout: the idle timeout governs.
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  asio::write(socket, asio::buffer(get));
  auto second = read_one_response(socket);
  EXPECT_EQ(second.rfind("HTTP/1.1 200", 0), 0u) << second;
  // A header that starts and never ends has the read timeout, not the idle one.
  asio::write(socket, asio::buffer(std::string("GET /n HTTP/1.1\r\nHost: x\r\n")));
  EXPECT_TRUE(closed_by_server(socket))
      << "a trickling header was given the idle timeout instead of the read timeout";
  server.stop();
}

}  // namespace
}  // namespace bottega
