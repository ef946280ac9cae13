#include "app/http/server.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <filesystem>
#include <future>
#include <thread>

#include "app/routes.h"
#include "engine/db/database.h"
#include "engine/db/migrations.h"
#include <pqxx/pqxx>

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
  auto after = request(server_->port(), http::verb::get, "/readyz");
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
  HttpServer server(o, [](HttpRequest&&, Responder respond) { respond(HttpResponse::text(200, "")); });
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
  auto reply = std::async(std::launch::async, [port] { return request(port, http::verb::get, "/slow"); });
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
    server_ = std::make_unique<HttpServer>(
        o, [](HttpRequest&& req, Responder respond) { respond(HttpResponse::text(200, req.target)); });
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

}  // namespace
}  // namespace bottega
