// The egress proxy on real sockets: loopback stand-ins for the outside
// world (listed in allow_private, the operator's exception), refusals for
// names off the list and for every kind of non-public address, and a client
// that trickles its head.
#include "engine/agents/egress_proxy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "tests/integration/agents/socket_client.h"

namespace bottega::agents::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

std::string standin(uint16_t port) { return "127.0.0.1:" + std::to_string(port); }

EgressProxyOptions allowing(std::vector<std::string> allow,
                            std::vector<std::string> allow_private = {}) {
  EgressProxyOptions o;
  o.allow = std::move(allow);
  o.allow_private = std::move(allow_private);
  return o;
}

class EgressProxyTest : public ::testing::Test {
 protected:
  uint16_t start(EgressProxyOptions options) {
    options.label = "test-turn";
    proxy_ = std::make_unique<EgressProxy>(std::move(options));
    auto port = proxy_->listen_loopback();
    EXPECT_TRUE(port.ok()) << (port.ok() ? "" : port.error().message);
    return port.ok() ? *port : 0;
  }
  // Sends one request head and returns the whole answer (the proxy closes).
  std::string ask(uint16_t port, const std::string& head) {
    Client c = Client::tcp(port);
    EXPECT_TRUE(c.connected());
    c.send(head);
    return c.read_all();
  }
  std::unique_ptr<EgressProxy> proxy_;
};

TEST_F(EgressProxyTest, ConnectToAllowedStandInRelaysBothWays) {
  StandIn echo(StandIn::Mode::echo);
  uint16_t port = start(allowing({standin(echo.port())}, {standin(echo.port())}));
  Client c = Client::tcp(port);
  ASSERT_TRUE(c.connected());
  // Bytes sent right behind the head (a TLS ClientHello would be) go through too.
  c.send("CONNECT " + standin(echo.port()) + " HTTP/1.1\r\nHost: " + standin(echo.port()) +
         "\r\n\r\nping");
  std::string got = c.read_until("ping");
  EXPECT_EQ(got, "HTTP/1.1 200 Connection established\r\n\r\nping");
  c.clear();
  c.send("pong");
  EXPECT_EQ(c.read_until("pong"), "pong");
  c.shutdown_write();
  EXPECT_EQ(c.read_all(), "pong");  // the echo closes after our end of stream
  EXPECT_TRUE(c.peer_closed());
  EXPECT_TRUE(proxy_->refusals().empty());
}

TEST_F(EgressProxyTest, ServesOnAUnixSocket) {
  StandIn echo(StandIn::Mode::echo);
  std::string path = "/tmp/bottega-egress-test-" + std::to_string(::getpid()) + ".sock";
  EgressProxy proxy(allowing({standin(echo.port())}, {standin(echo.port())}));
  ASSERT_TRUE(proxy.listen_unix(path).ok());
  {
    Client c = Client::unix_socket(path);
    ASSERT_TRUE(c.connected());
    c.send("CONNECT " + standin(echo.port()) + " HTTP/1.1\r\n\r\nhi");
    EXPECT_THAT(c.read_until("hi"), HasSubstr("200 Connection established\r\n\r\nhi"));
  }
  proxy.stop();
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST_F(EgressProxyTest, RefusesNamesNotOnTheList) {
  uint16_t port = start(allowing({"github.com", "*.githubusercontent.com"}));
  std::string a = ask(port, "CONNECT evil.example.com:443 HTTP/1.1\r\n\r\n");
  EXPECT_THAT(a, StartsWith("HTTP/1.1 403 Forbidden\r\n"));
  EXPECT_THAT(a, HasSubstr("bottega egress: evil.example.com:443 is not on the allow-list"));
  // On the list, but not on this port; a wildcard does not cover its bare suffix.
  EXPECT_THAT(ask(port, "CONNECT github.com:22 HTTP/1.1\r\n\r\n"), StartsWith("HTTP/1.1 403"));
  EXPECT_THAT(ask(port, "CONNECT githubusercontent.com:443 HTTP/1.1\r\n\r\n"),
              StartsWith("HTTP/1.1 403"));
  std::string g =
      ask(port, "GET http://evil.example.com/x HTTP/1.1\r\nHost: evil.example.com\r\n\r\n");
  EXPECT_THAT(g, StartsWith("HTTP/1.1 403"));
  EXPECT_THAT(g, HasSubstr("evil.example.com:80 is not on the allow-list"));
  // Not a proxy request at all.
  EXPECT_THAT(ask(port, "GET /x HTTP/1.1\r\nHost: github.com\r\n\r\n"), StartsWith("HTTP/1.1 400"));
}

TEST_F(EgressProxyTest, RefusesAnAllowedNameThatResolvesToLoopback) {
  StandIn echo(StandIn::Mode::echo);
  std::string entry = "localhost:" + std::to_string(echo.port());
  uint16_t port = start(allowing({entry}));
  std::string a = ask(port, "CONNECT " + entry + " HTTP/1.1\r\n\r\n");
  EXPECT_THAT(a, StartsWith("HTTP/1.1 403"));
  EXPECT_THAT(a, HasSubstr(entry + " resolves to a private address ("));
  EXPECT_EQ(echo.connections(), 0);
}

TEST_F(EgressProxyTest, RefusesLiteralNonPublicAddressesEvenWhenListed) {
  uint16_t port =
      start(allowing({"10.0.0.1", "169.254.169.254:80", "[::1]", "0.0.0.0", "[::ffff:127.0.0.1]"}));
  struct Case {
    std::string head, shown;
  };
  const Case cases[] = {
      {"CONNECT 10.0.0.1:443 HTTP/1.1\r\n\r\n",
       "10.0.0.1:443 resolves to a private address (10.0.0.1)"},
      {"GET http://169.254.169.254/latest/meta-data/ HTTP/1.1\r\nHost: 169.254.169.254\r\n\r\n",
       "169.254.169.254:80 resolves to a private address (169.254.169.254)"},
      {"CONNECT [::1]:443 HTTP/1.1\r\n\r\n", "[::1]:443 resolves to a private address (::1)"},
      {"CONNECT 0.0.0.0:443 HTTP/1.1\r\n\r\n", "0.0.0.0:443 resolves to a private address"},
      {"CONNECT [::ffff:127.0.0.1]:443 HTTP/1.1\r\n\r\n", "resolves to a private address"},
  };
  for (const auto& c : cases) {
    std::string a = ask(port, c.head);
    EXPECT_THAT(a, StartsWith("HTTP/1.1 403")) << c.head;
    EXPECT_THAT(a, HasSubstr(c.shown)) << c.head;
  }
  auto refusals = proxy_->refusals();
  EXPECT_EQ(refusals.size(), 5u);
  EXPECT_THAT(
      refusals,
      ::testing::Contains("bottega egress: 10.0.0.1:443 resolves to a private address (10.0.0.1)"));
  // The same refusal again is kept once.
  (void)ask(port, cases[0].head);
  EXPECT_EQ(proxy_->refusals().size(), 5u);
}

TEST_F(EgressProxyTest, ForwardsAbsoluteFormPlainHttpInOriginForm) {
  StandIn web(StandIn::Mode::http);
  uint16_t port = start(allowing({standin(web.port())}, {standin(web.port())}));
  std::string a =
      ask(port, "GET http://" + standin(web.port()) +
                    "/simple/pkg/?q=1 HTTP/1.1\r\nHost: elsewhere.example\r\n"
                    "Proxy-Connection: keep-alive\r\nProxy-Authorization: Basic eA==\r\n"
                    "Accept: */*\r\n\r\n");
  EXPECT_THAT(a, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(a, HasSubstr("\r\n\r\nhello"));
  auto heads = web.heads();
  ASSERT_EQ(heads.size(), 1u);
  EXPECT_THAT(heads[0], StartsWith("GET /simple/pkg/?q=1 HTTP/1.1\r\n"));
  EXPECT_THAT(heads[0], HasSubstr("Host: " + standin(web.port()) + "\r\n"));
  EXPECT_THAT(heads[0], HasSubstr("Accept: */*"));
  EXPECT_THAT(heads[0], HasSubstr("Connection: close"));
  EXPECT_THAT(heads[0], Not(HasSubstr("Proxy-")));
  EXPECT_THAT(heads[0], Not(HasSubstr("elsewhere")));
}

TEST_F(EgressProxyTest, DropsAClientThatTricklesItsHead) {
  EgressProxyOptions options = allowing({"github.com"});
  options.header_timeout = std::chrono::milliseconds(300);
  uint16_t port = start(options);
  Client c = Client::tcp(port);
  ASSERT_TRUE(c.connected());
  const std::string head = "CONNECT github.com:443 HTTP/1.1\r\nX-Slow: " + std::string(200, 'a');
  bool dropped = false;
  for (char ch : head) {
    if (!c.send(std::string(1, ch))) {
      dropped = true;
      break;
    }
    c.read_until("\n", std::chrono::milliseconds(50));
    if (c.peer_closed()) {
      dropped = true;
      break;
    }
  }
  if (!dropped) dropped = (c.read_all(std::chrono::seconds(5)), c.peer_closed());
  EXPECT_TRUE(dropped);
}

TEST_F(EgressProxyTest, RefusesAnOversizedHead) {
  uint16_t port = start(allowing({"github.com"}));
  std::string a =
      ask(port,
          "CONNECT github.com:443 HTTP/1.1\r\nX-Big: " + std::string(20 * 1024, 'a') + "\r\n\r\n");
  EXPECT_THAT(a, StartsWith("HTTP/1.1 431"));
}

TEST_F(EgressProxyTest, RejectsMalformedEntriesAtStart) {
  EgressProxy bad(allowing({"*"}));
  EXPECT_FALSE(bad.listen_loopback().ok());
  EgressProxy bad_private(allowing({"a.example"}, {"a.example"}));
  EXPECT_FALSE(bad_private.listen_loopback().ok());
}

TEST_F(EgressProxyTest, StopEndsOpenTunnels) {
  StandIn echo(StandIn::Mode::echo);
  uint16_t port = start(allowing({standin(echo.port())}, {standin(echo.port())}));
  Client c = Client::tcp(port);
  c.send("CONNECT " + standin(echo.port()) + " HTTP/1.1\r\n\r\n");
  c.read_until("\r\n\r\n");
  proxy_->stop();
  c.read_all(std::chrono::seconds(5));
  EXPECT_TRUE(c.peer_closed());
}

}  // namespace
}  // namespace bottega::agents::testing
