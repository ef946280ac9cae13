// The model gateway against the fake model API: the token stays inside,
// the real key goes out, usage of each API shape is metered and priced,
// and the budget stops the turn's requests once spent.
#include "engine/agents/model_gateway.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>

#include "github/http_transport.h"
#include "tests/integration/agents/socket_client.h"
#include "tests/support/fake_model_api/fake_model_api.h"

namespace bottega::agents::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kKey = "sk-real-upstream-key-0123456789";

const char* kAnthropicBody = R"({"model":"claude-sonnet-4-5","stream":true,"max_tokens":100,)"
                             R"("messages":[{"role":"user","content":"hi"}],)"
                             R"("tools":[{"name":"Bash","input_schema":{"type":"object"}}]})";
const char* kResponsesBody =
    R"({"model":"gpt-5-codex","stream":true,"input":[{"role":"user","content":"hi"}],)"
    R"("tools":[{"type":"function","name":"shell"}]})";
const char* kChatBody =
    R"({"model":"fake-model","stream":true,"messages":[{"role":"user","content":"hi"}],)"
    R"("tools":[{"type":"function","function":{"name":"bash"}}]})";

class ModelGatewayTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(fake_.start().ok()); }

  void start(ModelGatewayOptions options = {}) {
    options.upstream = fake_.base_url();
    options.api_key = kKey;
    options.label = "test-turn";
    if (options.prices.empty()) {
      options.prices["claude-sonnet-4-5"] = {3.0, 0.3, 15.0};
      options.prices["gpt-5-codex"] = {1.25, 0.125, 10.0};
      options.prices["openai/fake-model"] = {1.0, 0.5, 2.0};
    }
    if (options.model.empty()) options.model = "openai/fake-model";
    gateway_ = std::make_unique<ModelGateway>(std::move(options));
    auto port = gateway_->listen_loopback();
    ASSERT_TRUE(port.ok()) << port.error().message;
    port_ = *port;
  }

  github::HttpReply call(const std::string& method, const std::string& target,
                         const std::string& body, github::Headers headers) {
    github::HttpCall c;
    c.method = method;
    c.url = "http://127.0.0.1:" + std::to_string(port_) + target;
    c.body = body;
    c.headers = std::move(headers);
    c.headers.emplace_back("content-type", "application/json");
    auto reply = client_.send(c);
    EXPECT_TRUE(reply.ok()) << (reply.ok() ? "" : reply.error().message);
    return reply.ok() ? *reply : github::HttpReply{};
  }
  github::HttpReply anthropic(const std::string& body = kAnthropicBody) {
    return call("POST", "/v1/messages?beta=true", body,
                {{"x-api-key", gateway_->token()}, {"anthropic-version", "2023-06-01"}});
  }
  github::HttpReply responses() {
    return call("POST", "/v1/responses", kResponsesBody,
                {{"authorization", "Bearer " + gateway_->token()}});
  }
  github::HttpReply chat() {
    return call("POST", "/v1/chat/completions", kChatBody,
                {{"authorization", "Bearer " + gateway_->token()}});
  }

  bottega::testing::FakeModelApi fake_{"echo hi > out.txt"};
  github::HttpTransport client_{github::TransportOptions{}};
  std::unique_ptr<ModelGateway> gateway_;
  uint16_t port_ = 0;
};

TEST_F(ModelGatewayTest, ForwardsWithTheRealKeyInTheClientsStyle) {
  start();
  EXPECT_EQ(gateway_->token().size(), 64u);
  auto head = call("HEAD", "/", "", {{"x-api-key", gateway_->token()}});
  EXPECT_EQ(head.status, 200);
  auto a = anthropic();
  EXPECT_EQ(a.status, 200);
  EXPECT_THAT(a.body, HasSubstr("event: message_start"));
  EXPECT_EQ(a.header("content-type"), "text/event-stream");
  auto r = responses();
  EXPECT_EQ(r.status, 200);
  auto seen = fake_.requests();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].method, "HEAD");
  EXPECT_EQ(seen[0].authorization, kKey);
  EXPECT_EQ(seen[1].path, "/v1/messages?beta=true");
  EXPECT_EQ(seen[1].authorization, kKey);
  EXPECT_EQ(seen[1].body, kAnthropicBody);
  EXPECT_EQ(seen[2].authorization, std::string("Bearer ") + kKey);
  for (const auto& s : seen) EXPECT_THAT(s.authorization, Not(HasSubstr(gateway_->token())));
}

TEST_F(ModelGatewayTest, MetersAndPricesEachApiShape) {
  start();
  ASSERT_EQ(anthropic().status, 200);
  ASSERT_EQ(responses().status, 200);
  ASSERT_EQ(chat().status, 200);
  auto log = gateway_->requests();
  ASSERT_EQ(log.size(), 3u);

  // Anthropic: message_start's counts, output from message_delta (cumulative).
  EXPECT_EQ(log[0].model, "claude-sonnet-4-5");
  EXPECT_EQ(log[0].path, "/v1/messages");
  EXPECT_TRUE(log[0].forwarded);
  EXPECT_EQ(log[0].usage.input_tokens, 100);
  EXPECT_EQ(log[0].usage.output_tokens, 20);
  ASSERT_TRUE(log[0].usage.cost_usd);
  EXPECT_NEAR(*log[0].usage.cost_usd, (100 * 3.0 + 20 * 15.0) / 1e6, 1e-12);

  // Responses: cached tokens are inside input_tokens.
  EXPECT_EQ(log[1].usage.input_tokens, 60);
  EXPECT_EQ(log[1].usage.cached_input_tokens, 40);
  EXPECT_EQ(log[1].usage.output_tokens, 20);
  EXPECT_EQ(log[1].usage.reasoning_tokens, 5);
  ASSERT_TRUE(log[1].usage.cost_usd);
  EXPECT_NEAR(*log[1].usage.cost_usd, (60 * 1.25 + 40 * 0.125 + 20 * 10.0) / 1e6, 1e-12);

  // Chat completions: the body's model is priced under the turn's provider prefix.
  EXPECT_EQ(log[2].usage.input_tokens, 100);
  EXPECT_EQ(log[2].usage.output_tokens, 20);
  ASSERT_TRUE(log[2].usage.cost_usd);
  EXPECT_NEAR(*log[2].usage.cost_usd, (100 * 1.0 + 20 * 2.0) / 1e6, 1e-12);

  Usage total = gateway_->usage();
  EXPECT_EQ(total.input_tokens, 260);
  EXPECT_EQ(total.cached_input_tokens, 40);
  EXPECT_EQ(total.output_tokens, 60);
  ASSERT_TRUE(total.cost_usd);
  EXPECT_NEAR(*total.cost_usd,
              *log[0].usage.cost_usd + *log[1].usage.cost_usd + *log[2].usage.cost_usd, 1e-12);
  EXPECT_FALSE(gateway_->budget_spent());
}

TEST_F(ModelGatewayTest, NoPriceLeavesCostUnknown) {
  ModelGatewayOptions options;
  options.model = "mystery";
  options.prices["other"] = {1, 1, 1};
  start(options);
  ASSERT_EQ(anthropic(R"({"model":"mystery","stream":true,"messages":[]})").status, 200);
  Usage total = gateway_->usage();
  EXPECT_EQ(total.input_tokens, 100);
  EXPECT_FALSE(total.cost_usd);
}

TEST_F(ModelGatewayTest, RefusesAMissingOrWrongToken) {
  start();
  auto none = call("POST", "/v1/messages", kAnthropicBody, {});
  EXPECT_EQ(none.status, 401);
  EXPECT_THAT(none.body, HasSubstr(R"("type":"error")"));
  EXPECT_THAT(none.body, HasSubstr("authentication_error"));
  std::string wrong = gateway_->token();
  wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
  EXPECT_EQ(call("POST", "/v1/messages", kAnthropicBody, {{"x-api-key", wrong}}).status, 401);
  auto bearer =
      call("POST", "/v1/responses", kResponsesBody, {{"authorization", "Bearer " + wrong}});
  EXPECT_EQ(bearer.status, 401);
  EXPECT_THAT(bearer.body, HasSubstr(R"({"error":{"message":)"));
  // The real key is no use either: only the turn's token opens the gateway.
  EXPECT_EQ(call("POST", "/v1/messages", kAnthropicBody, {{"x-api-key", kKey}}).status, 401);
  EXPECT_TRUE(fake_.requests().empty());
  for (const auto& r : gateway_->requests()) EXPECT_FALSE(r.forwarded);
}

TEST_F(ModelGatewayTest, StopsForwardingOnceTheBudgetIsSpent) {
  std::atomic<int> fired{0};
  // One Anthropic answer costs $0.0006.
  ModelGatewayOptions options;
  options.budget_usd = 0.0001;
  options.on_budget_spent = [&] { ++fired; };
  start(options);
  EXPECT_EQ(anthropic().status, 200);
  EXPECT_EQ(fired, 1);
  EXPECT_TRUE(gateway_->budget_spent());

  auto refused = anthropic();
  EXPECT_EQ(refused.status, 400);
  EXPECT_THAT(refused.body,
              HasSubstr(R"({"type":"error","error":{"type":"invalid_request_error")"));
  EXPECT_THAT(refused.body, HasSubstr("budget"));
  auto refused_openai = responses();
  EXPECT_EQ(refused_openai.status, 400);
  EXPECT_THAT(refused_openai.body, HasSubstr(R"("type":"invalid_request_error")"));
  EXPECT_THAT(refused_openai.body, HasSubstr(R"({"error":{"message":"bottega: the task's budget)"));

  EXPECT_EQ(fired, 1);
  EXPECT_EQ(fake_.requests().size(), 1u);
}

TEST_F(ModelGatewayTest, BudgetCallbackMayStopTheGateway) {
  std::atomic<int> fired{0};
  ModelGatewayOptions options;
  options.budget_usd = 0.0;  // nothing left: the first request already finds it spent
  options.on_budget_spent = [&] {
    ++fired;
    gateway_->stop();  // what the app's cancel does; must not wait for this very thread
  };
  start(options);
  github::HttpCall c;
  c.method = "POST";
  c.url = "http://127.0.0.1:" + std::to_string(port_) + "/v1/messages";
  c.body = kAnthropicBody;
  c.headers = {{"x-api-key", gateway_->token()}};
  (void)client_.send(c);  // an error answer or a closed connection: both fine
  EXPECT_EQ(fired, 1);
  EXPECT_TRUE(gateway_->budget_spent());
  EXPECT_TRUE(fake_.requests().empty());
}

TEST_F(ModelGatewayTest, ServesOnAUnixSocketWithKeepAlive) {
  ModelGatewayOptions options;
  options.upstream = fake_.base_url();
  options.api_key = kKey;
  options.model = "m";
  ModelGateway gw(options);
  std::string path = "/tmp/bottega-gateway-test-" + std::to_string(::getpid()) + ".sock";
  ASSERT_TRUE(gw.listen_unix(path).ok());
  Client c = Client::unix_socket(path);
  ASSERT_TRUE(c.connected());
  // Two requests on one connection, the first with a chunked body.
  c.send("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + gw.token() +
         "\r\nTransfer-Encoding: chunked\r\n\r\n" + "5\r\n{\"mod\r\n" + "b\r\nel\":\"fake\"}\r\n" +
         "0\r\n\r\n");
  std::string first = c.read_until("\"total_tokens\":120}}");
  EXPECT_THAT(first, ::testing::StartsWith("HTTP/1.1 200 OK\r\n"));
  c.clear();
  c.send("HEAD / HTTP/1.1\r\nHost: x\r\nx-api-key: " + gw.token() +
         "\r\nConnection: close\r\n\r\n");
  std::string second = c.read_all();
  EXPECT_THAT(second, ::testing::StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_TRUE(c.peer_closed());
  auto seen = fake_.requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].body, R"({"model":"fake"})");
  EXPECT_EQ(gw.requests()[0].model, "fake");
  gw.stop();
}

TEST(ModelGatewayOptions, RejectsAnUnusableUpstream) {
  ModelGatewayOptions options;
  options.upstream = "api.anthropic.com";
  ModelGateway gw(options);
  EXPECT_FALSE(gw.listen_loopback().ok());
}

}  // namespace
}  // namespace bottega::agents::testing
