// POST /webhooks/github through the real HTTP server, the Router, the
// Intake and a real PostgreSQL.
#include <gtest/gtest.h>
#include <signal.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <pqxx/pqxx>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "app/http/server.h"
#include "app/routes.h"
#include "config/base/log.h"
#include "engine/db/database.h"
#include "engine/db/embedded_postgres.h"
#include "engine/db/migrations.h"
#include "engine/intake/intake.h"
#include "github/webhook/signature.h"
#include "tests/support/postgres_fixture.h"
#include "tests/support/tls_fixture.h"

namespace bottega {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

constexpr const char* kSecret = "test-webhook-secret";

struct Reply {
  int status = 0;
  std::string body;
  std::string retry_after;
};

// One request on a fresh connection, given up after `timeout` (status 0).
// Asynchronous, because a Beast stream's deadline only applies to those.
Reply send_request(uint16_t port, http::verb verb, const std::string& target,
                   const std::vector<std::pair<std::string, std::string>>& headers,
                   const std::string& body, std::chrono::seconds timeout) {
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, "localhost");
  for (const auto& [name, value] : headers) req.set(name, value);
  req.body() = body;
  req.prepare_payload();
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(1 << 20);
  beast::error_code result = asio::error::would_block;
  stream.expires_after(timeout);
  stream.async_connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                       [&](beast::error_code ec) {
                         if (ec) return void(result = ec);
                         http::async_write(stream, req, [&](beast::error_code, std::size_t) {
                           // The server may answer and close before the whole body is sent.
                           http::async_read(
                               stream, buffer, parser,
                               [&](beast::error_code ec, std::size_t) { result = ec; });
                         });
                       });
  ioc.run();
  if (result) return {0, result.message(), ""};
  const auto& res = parser.get();
  return {static_cast<int>(res.result_int()), res.body(), std::string(res["Retry-After"])};
}

std::vector<std::pair<std::string, std::string>> webhook_headers(const std::string& event,
                                                                 const std::string& delivery,
                                                                 const std::string& body) {
  return {{"Content-Type", "application/json"},
          {"X-GitHub-Event", event},
          {"X-GitHub-Delivery", delivery},
          {"X-Hub-Signature-256", sign_body(kSecret, body)}};
}

std::string comment_body(int number = 5) {
  return R"({"action":"created","issue":{"number":)" + std::to_string(number) +
         R"(,"title":"t","state":"open"},"comment":{"id":99,"body":"/plan","user":{"id":1,"login":"alice","type":"User"}},
      "repository":{"id":1,"full_name":"octo/hello"},"installation":{"id":77},
      "sender":{"id":1,"login":"alice","type":"User"}})";
}

// Lines a component logs while this lives. Make it while the component is
// quiet: a logger's sinks are not meant to change under it.
class LogCapture {
 public:
  explicit LogCapture(std::string component)
      : component_(std::move(component)),
        sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(100000)) {
    spdlog::default_logger()->sinks().push_back(sink_);
    component_log(component_);  // takes the default logger's sinks again
  }
  ~LogCapture() {
    auto& sinks = spdlog::default_logger()->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
    component_log(component_);
  }
  int count(const std::string& needle) const {
    int n = 0;
    for (const auto& line : sink_->last_formatted()) n += line.find(needle) != std::string::npos;
    return n;
  }

 private:
  std::string component_;
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
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
    if (ec) return {0, ec.message(), ""};
    return {static_cast<int>(parser.get().result_int()), parser.get().body(), ""};
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
  auto job =
      tx.exec1("SELECT kind, task_key, installation_id, state FROM jobs WHERE delivery_id = 'd-1'");
  EXPECT_EQ(job[0].as<std::string>(), "github_event");
  EXPECT_EQ(job[1].as<std::string>(), "octo/hello#5");
  EXPECT_EQ(job[2].as<long long>(), 77);
  EXPECT_EQ(job[3].as<std::string>(), "queued");
}

// The most common delivery of all, a comment that is no command: stored
// (for replay and audit) and answered 202, with no job to claim and drop.
TEST_F(WebhookEndpoint, AnOrdinaryCommentIsStoredWithoutAJob) {
  std::string body = issue_comment_body();
  body.replace(body.find("\"/plan\""), 7, "\"Thanks, looks good\"");
  auto r = post("issue_comment", "d-ordinary", body);
  EXPECT_EQ(r.status, 202) << r.body;
  pqxx::connection conn(db_.connection_string());
  pqxx::nontransaction tx(conn);
  EXPECT_EQ(tx.exec1("SELECT outcome FROM deliveries WHERE delivery_id = 'd-ordinary'")[0]
                .as<std::string>(),
            "accepted");
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM jobs WHERE delivery_id = 'd-ordinary'")[0].as<int>(), 0);
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
    auto a = std::async(std::launch::async,
                        [&] { return post("issue_comment", id, issue_comment_body()); });
    auto b = std::async(std::launch::async,
                        [&] { return post("issue_comment", id, issue_comment_body()); });
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
  EXPECT_EQ(post("issue_comment", "s-1", body, std::string("")).status, 401);           // missing
  EXPECT_EQ(post("issue_comment", "s-2", body, sign_body("wrong", body)).status, 401);  // bad
  EXPECT_EQ(post("issue_comment", "s-3", altered, sign_body(kSecret, body)).status,
            401);  // altered
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
  auto r =
      post("issues", "no-number",
           R"({"action":"opened","issue":{"title":"x"},"repository":{"id":1,"full_name":"o/r"}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, "missing required field issue.number\n");
  EXPECT_EQ(count("SELECT count(*) FROM deliveries WHERE outcome = 'rejected'"), 1);
}

TEST_F(WebhookEndpoint, UnknownEventIs202AndRecordedAsIgnored) {
  auto r =
      post("star", "star-1", R"({"action":"created","repository":{"id":1,"full_name":"o/r"}})");
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
  auto scrape = [&] {
    asio::io_context ioc;
    beast::tcp_stream stream(ioc);
    stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
    http::request<http::empty_body> req{http::verb::get, "/metrics", 11};
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    return res.body();
  };
  // The value of one sample line ("name{labels}"), 0 when absent. The
  // registry is the process's: other tests of this binary count too.
  auto value = [](const std::string& text, const std::string& sample) {
    auto at = text.find("\n" + sample + " ");
    return at == std::string::npos ? 0.0 : std::stod(text.substr(at + sample.size() + 2));
  };
  const std::string accepted =
      "bottega_webhook_deliveries_total{event=\"issue_comment\",outcome=\"accepted\"}";
  const std::string failures = "bottega_webhook_signature_failures_total";
  const std::string before = scrape();
  ASSERT_EQ(post("issue_comment", "m-1", issue_comment_body()).status, 202);
  ASSERT_EQ(post("issue_comment", "m-2", issue_comment_body(), sign_body("x", "y")).status, 401);
  const std::string after = scrape();
  EXPECT_EQ(value(after, failures) - value(before, failures), 1) << after;
  EXPECT_EQ(value(after, accepted) - value(before, accepted), 1) << after;
  EXPECT_NE(after.find("# TYPE bottega_webhook_intake_duration_seconds histogram"),
            std::string::npos);
  EXPECT_NE(
      after.find(
          "bottega_http_request_duration_seconds_count{route=\"/webhooks/github\",code=\"202\"}"),
      std::string::npos)
      << after;
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

TEST_F(WebhookEndpoint, SameIdsOnManyConnectionsAtOnceAreAll2xxAndStoredOnce) {
  // GitHub redeliveries racing, or two hooks: every connection sends the
  // same ids, a few new ones each round, each round in its own order, on
  // one keep-alive connection, so concurrent batches insert the same new ids.
  constexpr int kConnections = 32, kIdsPerRound = 16, kRounds = 12, kIds = kIdsPerRound * kRounds;
  // Bodies of GitHub's usual size keep each batch's insert running long
  // enough for two batches to overlap.
  std::string body = issue_comment_body();
  body.insert(body.rfind('}'), ",\"padding\":\"" + std::string(8000, 'x') + "\"");
  auto client = [&](int seed) {
    std::vector<int> order;
    std::mt19937 random(seed);
    for (int round = 0; round < kRounds; ++round) {
      std::vector<int> ids(kIdsPerRound);
      for (int i = 0; i < kIdsPerRound; ++i) ids[i] = round * kIdsPerRound + i;
      std::shuffle(ids.begin(), ids.end(), random);
      order.insert(order.end(), ids.begin(), ids.end());
    }
    std::vector<int> statuses;
    asio::io_context ioc;
    beast::tcp_stream stream(ioc);
    stream.expires_after(std::chrono::seconds(120));
    stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
    beast::flat_buffer buffer;
    for (int i : order) {
      http::request<http::string_body> req{http::verb::post, "/webhooks/github", 11};
      req.set(http::field::host, "localhost");
      for (const auto& [name, value] :
           webhook_headers("issue_comment", "same-" + std::to_string(i), body))
        req.set(name, value);
      req.body() = body;
      req.prepare_payload();
      beast::error_code ec;
      http::write(stream, req, ec);
      http::response<http::string_body> res;
      if (!ec) http::read(stream, buffer, res, ec);
      statuses.push_back(ec ? 0 : static_cast<int>(res.result_int()));
      if (ec) break;
    }
    return statuses;
  };
  std::vector<std::future<std::vector<int>>> clients;
  for (int c = 0; c < kConnections; ++c)
    clients.push_back(std::async(std::launch::async, client, c));
  std::map<int, int> by_status;
  for (auto& f : clients)
    for (int status : f.get()) ++by_status[status];
  int answered = 0;
  for (auto [status, n] : by_status) {
    EXPECT_TRUE(status == 200 || status == 202) << n << " answers were " << status;
    answered += n;
  }
  EXPECT_EQ(answered, kConnections * kIds);
  EXPECT_EQ(by_status[202], kIds);  // each id accepted once, every other copy a duplicate
  EXPECT_EQ(count("SELECT count(*) FROM deliveries"), kIds);
  EXPECT_EQ(count("SELECT count(*) FROM jobs"), kIds);
}

TEST_F(WebhookEndpoint, DatabaseLossIsLoggedOncePerIntervalNotPerDelivery) {
  ASSERT_EQ(post("issue_comment", "before", issue_comment_body()).status, 202);
  {
    pqxx::connection admin(testing::TestDatabase::admin_connection_string());
    pqxx::nontransaction(admin).exec("DROP DATABASE " + db_.name() + " WITH (FORCE)");
  }
  LogCapture logs("intake");
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(post("issue_comment", "down-" + std::to_string(i), issue_comment_body()).status, 503);
  // The default interval is 10 s: one line at the first failure, and at most
  // one more on a slow machine.
  EXPECT_GE(logs.count("cannot store"), 1);
  EXPECT_LE(logs.count("cannot store"), 2);
}

TEST(ReadyzErrors, NeverShowTheDatabasePassword) {
  // libpq echoes a malformed URL's user info: `invalid percent-encoded token: "…"`.
  Database database("postgresql://bottega:pa%zzsecret-word@/postgres?host=/nonexistent-dir", 1);
  Router router(RouterDeps{&database, nullptr, ""});
  HttpServerOptions o;
  HttpServer server(o, router.handler());
  ASSERT_TRUE(server.start().ok());
  auto r = send_request(server.port(), http::verb::get, "/readyz", {}, "", std::chrono::seconds(5));
  server.stop();
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_NE(r.body.find("not ready"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("secret-word"), std::string::npos) << r.body;
}

// A PostgreSQL server of the test's own, which it may freeze as a storage
// stall does: SIGSTOP to the postmaster and its backends (never the server
// the other tests share).
class StalledDatabase : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::make_temp_dir("bottega-stall-");
    ::chmod(dir_.c_str(), 0755);  // the unprivileged server user must reach it
    EmbeddedPostgresOptions o;
    o.root = dir_ + "/postgres";
    auto pg = EmbeddedPostgres::start(o);
    ASSERT_TRUE(pg.ok()) << pg.error().message;
    pg_ = std::move(*pg);
    pqxx::connection conn(pg_->connection_string());
    ASSERT_TRUE(apply_migrations(conn, builtin_migrations()).ok());
  }
  void TearDown() override {
    thaw();
    if (server_) server_->stop();
    if (intake_) intake_->stop();
    router_.reset();
    if (pg_) (void)pg_->stop();
    std::filesystem::remove_all(dir_);
  }

  void start_server(IntakeOptions options) {
    database_ = std::make_unique<Database>(pg_->connection_string(), 2);
    intake_ = std::make_unique<Intake>(pg_->connection_string(), options);
    ASSERT_TRUE(intake_->start().ok());
    router_ = std::make_unique<Router>(RouterDeps{database_.get(), intake_.get(), kSecret});
    HttpServerOptions o;
    server_ = std::make_unique<HttpServer>(o, router_->handler());
    ASSERT_TRUE(server_->start().ok());
  }

  void freeze() {
    std::ifstream pid_file(dir_ + "/postgres/data/postmaster.pid");
    pid_t master = 0;
    ASSERT_TRUE(pid_file >> master) << "no postmaster.pid";
    ASSERT_EQ(::kill(master, SIGSTOP), 0);
    frozen_.push_back(master);
    // Stopped, the postmaster forks no more backends: its children now are all.
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
      std::ifstream stat(entry.path() / "stat");
      std::string line;
      if (!std::getline(stat, line)) continue;
      auto close = line.rfind(')');
      if (close == std::string::npos) continue;
      std::istringstream rest(line.substr(close + 2));
      std::string state;
      pid_t parent = 0;
      rest >> state >> parent;
      if (parent != master) continue;
      pid_t pid = std::stoi(entry.path().filename().string());
      if (::kill(pid, SIGSTOP) == 0) frozen_.push_back(pid);
    }
  }
  void thaw() {
    for (pid_t pid : frozen_) ::kill(pid, SIGCONT);
    frozen_.clear();
  }

  Reply post(const std::string& delivery, std::chrono::seconds timeout = std::chrono::seconds(20)) {
    const std::string body = comment_body();
    return send_request(server_->port(), http::verb::post, "/webhooks/github",
                        webhook_headers("issue_comment", delivery, body), body, timeout);
  }
  Reply readyz() {
    return send_request(server_->port(), http::verb::get, "/readyz", {}, "",
                        std::chrono::seconds(5));
  }
  long long count(const std::string& sql) {
    pqxx::connection conn(pg_->connection_string());
    return pqxx::nontransaction(conn).exec1(sql)[0].as<long long>();
  }

  // Sends `n` deliveries at once while the database is stopped; returns how
  // many were refused at once for a full queue.
  int refused_for_a_full_queue(int n) {
    std::vector<std::future<Reply>> replies;
    for (int i = 0; i < n; ++i)
      replies.push_back(
          std::async(std::launch::async, [this, i] { return post("q-" + std::to_string(i)); }));
    int refused = 0;
    for (auto& f : replies) {
      Reply r = f.get();
      EXPECT_EQ(r.status, 503) << "no answer, or not 503, while the database is stopped: "
                               << r.body;
      if (r.body.find("too many deliveries") != std::string::npos) {
        EXPECT_FALSE(r.retry_after.empty()) << "a refusal for a full queue needs Retry-After";
        ++refused;
      }
    }
    return refused;
  }

  std::string dir_;
  std::unique_ptr<EmbeddedPostgres> pg_;
  std::unique_ptr<Database> database_;
  std::unique_ptr<Intake> intake_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<HttpServer> server_;
  std::vector<pid_t> frozen_;
};

TEST_F(StalledDatabase, DeliveryNotCommittedInTimeIs503AndARedeliveryFindsItOnce) {
  IntakeOptions options;
  options.commit_timeout = std::chrono::milliseconds(500);
  start_server(options);
  ASSERT_EQ(post("before").status, 202);
  freeze();
  auto r = post("during-stall");
  EXPECT_EQ(r.status, 503) << (r.status == 0 ? "no answer while the database is stopped: " : "")
                           << r.body;
  EXPECT_NE(r.body.find("not accepted"), std::string::npos) << r.body;
  thaw();
  // Its batch may still commit it after the 503: GitHub's redelivery is then
  // a duplicate, and the delivery is stored once.
  auto again = post("during-stall");
  EXPECT_TRUE(again.status == 200 || again.status == 202) << again.status << " " << again.body;
  EXPECT_EQ(count("SELECT count(*) FROM deliveries WHERE delivery_id = 'during-stall'"), 1);
  EXPECT_EQ(post("after").status, 202);
}

TEST_F(StalledDatabase, ReadyzAnswersNotReadyWhileTheDatabaseIsStopped) {
  start_server(IntakeOptions{});
  Reply r;
  for (int i = 0; i < 50 && r.status != 200; ++i) {
    r = readyz();
    if (r.status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(r.status, 200) << r.body;
  freeze();
  // The probe notices within a couple of seconds; every answer meanwhile
  // comes without waiting on the database.
  for (int i = 0; i < 50; ++i) {
    r = readyz();
    ASSERT_NE(r.status, 0) << "/readyz did not answer within 5 s: " << r.body;
    if (r.status == 503) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_NE(r.body.find("not ready"), std::string::npos) << r.body;
  thaw();
}

TEST_F(StalledDatabase, PendingQueueIsBoundedInCount) {
  IntakeOptions options;
  options.writers = 1;
  options.max_pending = 2;
  options.commit_timeout = std::chrono::seconds(3);
  start_server(options);
  ASSERT_EQ(post("before").status, 202);
  freeze();
  // At most 2 in the stuck writer's batch and 2 queued: the rest refused.
  EXPECT_GE(refused_for_a_full_queue(8), 4);
}

TEST_F(StalledDatabase, PendingQueueIsBoundedInBytes) {
  IntakeOptions options;
  options.writers = 1;
  options.max_pending_bytes = 2 * comment_body().size() + 10;
  options.commit_timeout = std::chrono::seconds(3);
  start_server(options);
  ASSERT_EQ(post("before").status, 202);
  freeze();
  EXPECT_GE(refused_for_a_full_queue(8), 4);
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
