// POST /webhooks/github through the real HTTP server, the Router, the
// Intake and a real PostgreSQL.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <future>
#include <pqxx/pqxx>

#include "app/http/server.h"
#include "app/routes.h"
#include "engine/db/database.h"
#include "engine/db/migrations.h"
#include "engine/intake/intake.h"
#include "github/webhook/signature.h"
#include "tests/support/postgres_fixture.h"

namespace bottega {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

constexpr const char* kSecret = "test-webhook-secret";

struct Reply {
  int status = 0;
  std::string body;
};

class WebhookEndpoint : public ::testing::Test {
 protected:
  void SetUp() override {
    pqxx::connection conn(db_.connection_string());
    ASSERT_TRUE(apply_migrations(conn, builtin_migrations()).ok());
    database_ = std::make_unique<Database>(db_.connection_string(), 2);
    intake_ = std::make_unique<Intake>(db_.connection_string(), IntakeOptions{});
    ASSERT_TRUE(intake_->start().ok());
    router_ = std::make_unique<Router>(RouterDeps{database_.get(), intake_.get(), kSecret});
    HttpServerOptions o;
    o.port = 0;
    server_ = std::make_unique<HttpServer>(o, router_->handler());
    ASSERT_TRUE(server_->start().ok());
  }
  void TearDown() override {
    server_->stop();
    intake_->stop();
  }

  Reply post(const std::string& event, const std::string& delivery, const std::string& body,
             std::optional<std::string> signature = std::nullopt) {
    asio::io_context ioc;
    beast::tcp_stream stream(ioc);
    stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
    http::request<http::string_body> req{http::verb::post, "/webhooks/github", 11};
    req.set(http::field::host, "localhost");
    req.set(http::field::content_type, "application/json");
    if (!event.empty()) req.set("X-GitHub-Event", event);
    if (!delivery.empty()) req.set("X-GitHub-Delivery", delivery);
    std::string sig = signature.value_or(sign_body(kSecret, body));
    if (!sig.empty()) req.set("X-Hub-Signature-256", sig);
    req.body() = body;
    req.prepare_payload();
    beast::error_code ec;
    // The server may answer (413) and close before the whole body is sent.
    http::write(stream, req, ec);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(1 << 20);
    http::read(stream, buffer, parser, ec);
    if (ec) return {0, ec.message()};
    return {static_cast<int>(parser.get().result_int()), parser.get().body()};
  }

  long long count(const std::string& sql) {
    pqxx::connection conn(db_.connection_string());
    return pqxx::nontransaction(conn).exec1(sql)[0].as<long long>();
  }

  std::string issue_comment_body(int number = 5) {
    return R"({"action":"created","issue":{"number":)" + std::to_string(number) +
           R"(,"title":"t","state":"open"},"comment":{"id":99,"body":"/plan","user":{"id":1,"login":"alice","type":"User"}},
      "repository":{"id":1,"full_name":"octo/hello"},"installation":{"id":77},
      "sender":{"id":1,"login":"alice","type":"User"}})";
  }

  testing::TestDatabase db_;
  std::unique_ptr<Database> database_;
  std::unique_ptr<Intake> intake_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(WebhookEndpoint, AcceptedDeliveryIsStoredWithItsJobBeforeTheAnswer) {
  auto r = post("issue_comment", "d-1", issue_comment_body());
  EXPECT_EQ(r.status, 202) << r.body;
  pqxx::connection conn(db_.connection_string());
  pqxx::nontransaction tx(conn);
  auto row = tx.exec1(
      "SELECT event, action, installation_id, repository, sender, outcome, length(body) "
      "FROM deliveries WHERE delivery_id = 'd-1'");
  EXPECT_EQ(row[0].as<std::string>(), "issue_comment");
  EXPECT_EQ(row[1].as<std::string>(), "created");
  EXPECT_EQ(row[2].as<long long>(), 77);
  EXPECT_EQ(row[3].as<std::string>(), "octo/hello");
  EXPECT_EQ(row[4].as<std::string>(), "alice");
  EXPECT_EQ(row[5].as<std::string>(), "accepted");
  EXPECT_EQ(row[6].as<std::size_t>(), issue_comment_body().size());
  auto job = tx.exec1("SELECT kind, task_key, installation_id, state FROM jobs WHERE delivery_id = 'd-1'");
  EXPECT_EQ(job[0].as<std::string>(), "github_event");
  EXPECT_EQ(job[1].as<std::string>(), "octo/hello#5");
  EXPECT_EQ(job[2].as<long long>(), 77);
  EXPECT_EQ(job[3].as<std::string>(), "queued");
}

TEST_F(WebhookEndpoint, DuplicateDeliveryIsAnswered200AndChangesNothing) {
  ASSERT_EQ(post("issue_comment", "dup-1", issue_comment_body()).status, 202);
  auto again = post("issue_comment", "dup-1", issue_comment_body());
  EXPECT_EQ(again.status, 200);
  EXPECT_NE(again.body.find("already received"), std::string::npos);
  EXPECT_EQ(count("SELECT count(*) FROM deliveries"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM jobs"), 1);
}

TEST_F(WebhookEndpoint, TwoIdenticalDeliveriesAtOnceStoreOne) {
  for (int round = 0; round < 10; ++round) {
    const std::string id = "race-" + std::to_string(round);
    auto a = std::async(std::launch::async, [&] { return post("issue_comment", id, issue_comment_body()); });
    auto b = std::async(std::launch::async, [&] { return post("issue_comment", id, issue_comment_body()); });
    std::multiset<int> statuses{a.get().status, b.get().status};
    EXPECT_EQ(statuses, (std::multiset<int>{200, 202})) << "round " << round;
  }
  EXPECT_EQ(count("SELECT count(*) FROM deliveries"), 10);
  EXPECT_EQ(count("SELECT count(*) FROM jobs"), 10);
}

TEST_F(WebhookEndpoint, BadSignaturesAre401AndStoreNothing) {
  const std::string body = issue_comment_body();
  std::string altered = body;
  altered[altered.size() - 2] = ' ';
  EXPECT_EQ(post("issue_comment", "s-1", body, std::string("")).status, 401);             // missing
  EXPECT_EQ(post("issue_comment", "s-2", body, sign_body("wrong", body)).status, 401);     // bad
  EXPECT_EQ(post("issue_comment", "s-3", altered, sign_body(kSecret, body)).status, 401);  // altered
  auto sha1 = "sha1=" + sign_body(kSecret, body).substr(7);
  EXPECT_EQ(post("issue_comment", "s-4", body, sha1).status, 401);  // wrong algorithm
  EXPECT_EQ(count("SELECT count(*) FROM deliveries"), 0);
}

TEST_F(WebhookEndpoint, MalformedJsonIs400AndRecordedAsRejected) {
  auto r = post("issues", "bad-json", R"({"action":"opened",)");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("not valid JSON"), std::string::npos) << r.body;
  pqxx::connection conn(db_.connection_string());
  auto row = pqxx::nontransaction(conn).exec1(
      "SELECT outcome, reason FROM deliveries WHERE delivery_id = 'bad-json'");
  EXPECT_EQ(row[0].as<std::string>(), "rejected");
  EXPECT_NE(row[1].as<std::string>().find("not valid JSON"), std::string::npos);
  EXPECT_EQ(count("SELECT count(*) FROM jobs"), 0);
}

TEST_F(WebhookEndpoint, MissingRequiredFieldIs400WithThePath) {
  auto r = post("issues", "no-number",
                R"({"action":"opened","issue":{"title":"x"},"repository":{"id":1,"full_name":"o/r"}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, "missing required field issue.number\n");
  EXPECT_EQ(count("SELECT count(*) FROM deliveries WHERE outcome = 'rejected'"), 1);
}

TEST_F(WebhookEndpoint, UnknownEventIs202AndRecordedAsIgnored) {
  auto r = post("star", "star-1", R"({"action":"created","repository":{"id":1,"full_name":"o/r"}})");
  EXPECT_EQ(r.status, 202);
  pqxx::connection conn(db_.connection_string());
  auto row = pqxx::nontransaction(conn).exec1(
      "SELECT outcome, reason FROM deliveries WHERE delivery_id = 'star-1'");
  EXPECT_EQ(row[0].as<std::string>(), "ignored");
  EXPECT_EQ(row[1].as<std::string>(), "event star.created is not handled");
  EXPECT_EQ(count("SELECT count(*) FROM jobs"), 0);
}

TEST_F(WebhookEndpoint, NulEncodedInAStringIsStoredWithoutIt) {
  std::string body = issue_comment_body();
  body.replace(body.rfind("\"alice\""), 7, "\"al\\u0000ice\"");  // the sender's login
  auto r = post("issue_comment", "nul-1", body);
  EXPECT_EQ(r.status, 202) << r.body;
  pqxx::connection conn(db_.connection_string());
  auto row = pqxx::nontransaction(conn).exec1(
      "SELECT sender, length(body) FROM deliveries WHERE delivery_id = 'nul-1'");
  EXPECT_EQ(row[0].as<std::string>(), "alice");
  EXPECT_EQ(row[1].as<std::size_t>(), body.size());  // the raw body is kept as sent
}

TEST_F(WebhookEndpoint, OversizeBodyIs413AndStoresNothing) {
  std::string huge(25 * 1024 * 1024 + 1, ' ');
  auto r = post("issues", "huge", huge, std::string("sha256=") + std::string(64, '0'));
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_EQ(count("SELECT count(*) FROM deliveries"), 0);
}

TEST_F(WebhookEndpoint, MissingDeliveryIdOrEventIs400) {
  EXPECT_EQ(post("issue_comment", "", issue_comment_body()).status, 400);
  EXPECT_EQ(post("", "no-event", issue_comment_body()).status, 400);
  EXPECT_EQ(post("Issue Comment\xff", "bad-event", issue_comment_body()).status, 400);
  EXPECT_EQ(count("SELECT count(*) FROM deliveries"), 0);
}

TEST_F(WebhookEndpoint, MetricsCountOutcomesAndSignatureFailures) {
  ASSERT_EQ(post("issue_comment", "m-1", issue_comment_body()).status, 202);
  ASSERT_EQ(post("issue_comment", "m-2", issue_comment_body(), sign_body("x", "y")).status, 401);
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
  http::request<http::empty_body> req{http::verb::get, "/metrics", 11};
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  EXPECT_NE(res.body().find("bottega_webhook_signature_failures_total 1"), std::string::npos) << res.body();
  EXPECT_NE(res.body().find("bottega_webhook_deliveries_total{outcome=\"accepted\"} 1"), std::string::npos);
}

TEST_F(WebhookEndpoint, DatabaseLossIsA503SoGitHubShowsTheDeliveryFailed) {
  ASSERT_EQ(post("issue_comment", "before", issue_comment_body()).status, 202);
  {
    pqxx::connection admin(testing::TestDatabase::admin_connection_string());
    pqxx::nontransaction(admin).exec("DROP DATABASE " + db_.name() + " WITH (FORCE)");
  }
  auto r = post("issue_comment", "during-outage", issue_comment_body());
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_NE(r.body.find("not accepted"), std::string::npos) << r.body;
}

TEST(WebhookEndpointNoSecret, RefusesWith503) {
  HttpServerOptions o;
  Router router(RouterDeps{nullptr, nullptr, ""});
  HttpServer server(o, router.handler());
  ASSERT_TRUE(server.start().ok());
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), server.port()));
  http::request<http::string_body> req{http::verb::post, "/webhooks/github", 11};
  req.body() = "{}";
  req.prepare_payload();
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  EXPECT_EQ(res.result_int(), 503u);
  server.stop();
}

}  // namespace
}  // namespace bottega
