// The pure parts of the egress proxy (allow-list matching, public address
// classification) and of the model gateway (usage metering, base URLs).
#include <gtest/gtest.h>

#include "engine/agents/egress_proxy.h"
#include "engine/agents/model_gateway.h"

namespace bottega::agents {
namespace {

TEST(EgressRules, ClassifiesAddresses) {
  struct Case {
    const char* address;
    bool is_public;
  };
  const Case cases[] = {
      {"8.8.8.8", true},
      {"140.82.112.3", true},
      {"127.0.0.1", false},
      {"127.255.0.9", false},
      {"0.0.0.0", false},
      {"0.1.2.3", false},
      {"10.1.2.3", false},
      {"172.16.0.1", false},
      {"172.31.255.255", false},
      {"172.32.0.1", true},
      {"192.168.1.1", false},
      {"100.64.0.1", false},
      {"100.127.255.255", false},
      {"100.128.0.1", true},
      {"169.254.169.254", false},
      {"224.0.0.1", false},
      {"255.255.255.255", false},
      {"::", false},
      {"::1", false},
      {"[::1]", false},
      {"::ffff:127.0.0.1", false},
      {"::ffff:10.0.0.1", false},
      {"::ffff:8.8.8.8", true},
      {"::127.0.0.1", false},
      {"64:ff9b::a9fe:a9fe", false},  // NAT64 form of the metadata address
      {"2002:7f00:1::", false},       // 6to4 form of loopback
      {"fc00::1", false},
      {"fd12:3456::1", false},
      {"fe80::1", false},
      {"ff02::1", false},
      {"2001:db8::1", true},   // documentation: reaches nothing local
      {"203.0.113.80", true},  // where some networks (CI here) put public names
      {"198.18.0.1", true},    // benchmarking, fake-IP DNS resolvers
      {"2606:4700::1111", true},
      {"example.com", false},
      {"", false},
  };
  for (const auto& c : cases) EXPECT_EQ(is_public_address(c.address), c.is_public) << c.address;
}

TEST(EgressRules, MatchesNamesPatternsAndPorts) {
  const std::vector<std::string> allow = {"github.com", "*.githubusercontent.com",
                                          "registry.npmjs.org:8443", "[2001:db8::1]"};
  EXPECT_TRUE(egress_allowed(allow, "github.com", 443, 443));
  EXPECT_TRUE(egress_allowed(allow, "GitHub.COM.", 443, 443));
  EXPECT_FALSE(egress_allowed(allow, "github.com", 80, 443));
  EXPECT_TRUE(egress_allowed(allow, "github.com", 80, 80));
  EXPECT_FALSE(egress_allowed(allow, "api.github.com", 443, 443));
  EXPECT_FALSE(egress_allowed(allow, "evilgithub.com", 443, 443));
  EXPECT_TRUE(egress_allowed(allow, "raw.githubusercontent.com", 443, 443));
  EXPECT_TRUE(egress_allowed(allow, "a.b.githubusercontent.com", 443, 443));
  EXPECT_FALSE(egress_allowed(allow, "githubusercontent.com", 443, 443));
  EXPECT_FALSE(egress_allowed(allow, "xgithubusercontent.com", 443, 443));
  EXPECT_TRUE(egress_allowed(allow, "registry.npmjs.org", 8443, 443));
  EXPECT_FALSE(egress_allowed(allow, "registry.npmjs.org", 443, 443));
  EXPECT_TRUE(egress_allowed(allow, "2001:0db8:0::1", 443, 443));
  EXPECT_FALSE(egress_allowed({}, "github.com", 443, 443));
}

TEST(EgressRules, ValidatesEntries) {
  EXPECT_TRUE(valid_egress_entry("github.com", false));
  EXPECT_TRUE(valid_egress_entry("*.pythonhosted.org:443", false));
  EXPECT_TRUE(valid_egress_entry("[::1]:8080", true));
  EXPECT_TRUE(valid_egress_entry("mirror.lan:5000", true));
  EXPECT_FALSE(valid_egress_entry("mirror.lan", true));
  EXPECT_FALSE(valid_egress_entry("*", false));
  EXPECT_FALSE(valid_egress_entry("*.", false));
  EXPECT_FALSE(valid_egress_entry("a.*.com", false));
  EXPECT_FALSE(valid_egress_entry("github.com:0", false));
  EXPECT_FALSE(valid_egress_entry("github.com:99999", false));
  EXPECT_FALSE(valid_egress_entry("http://github.com", false));
  EXPECT_FALSE(valid_egress_entry("", false));
}

TEST(GatewayUsage, AnthropicStreamTakesCumulativeOutput) {
  std::string sse =
      "event: message_start\n"
      "data: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":10,"
      "\"cache_read_input_tokens\":500,\"cache_creation_input_tokens\":30,\"output_tokens\":1}}}"
      "\n\n"
      "event: content_block_delta\n"
      "data: {\"type\":\"content_block_delta\",\"delta\":{\"text\":\"\\\"usage\\\"\"}}\n\n"
      "event: message_delta\n"
      "data: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":7}}\n\n"
      "event: message_delta\n"
      "data: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":42}}\n\n"
      "event: message_stop\n"
      "data: {\"type\":\"message_stop\"}\n\n";
  Usage u = metered_usage(sse);
  EXPECT_EQ(u.input_tokens, 10);
  EXPECT_EQ(u.cached_input_tokens, 500);
  EXPECT_EQ(u.cache_write_tokens, 30);
  EXPECT_EQ(u.output_tokens, 42);
  EXPECT_FALSE(u.cost_usd);
}

TEST(GatewayUsage, ReadsEachJsonShape) {
  Usage a = metered_usage(
      R"({"type":"message","usage":{"input_tokens":3,"cache_read_input_tokens":4,"output_tokens":5}})");
  EXPECT_EQ(a.input_tokens, 3);
  EXPECT_EQ(a.cached_input_tokens, 4);
  EXPECT_EQ(a.output_tokens, 5);
  Usage r = metered_usage(
      R"({"object":"response","usage":{"input_tokens":100,"input_tokens_details":{"cached_tokens":30},"output_tokens":9}})");
  EXPECT_EQ(r.input_tokens, 70);
  EXPECT_EQ(r.cached_input_tokens, 30);
  EXPECT_EQ(r.output_tokens, 9);
  Usage c = metered_usage(
      R"({"object":"chat.completion","usage":{"prompt_tokens":50,"prompt_tokens_details":{"cached_tokens":20},"completion_tokens":8}})");
  EXPECT_EQ(c.input_tokens, 30);
  EXPECT_EQ(c.cached_input_tokens, 20);
  EXPECT_EQ(c.output_tokens, 8);
}

TEST(GatewayUsage, ChatStreamKeepsTheLastUsage) {
  std::string sse =
      "data: {\"choices\":[],\"usage\":null}\n\n"
      "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":1}}\n\n"
      "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":9}}\n\n"
      "data: [DONE]\n\n";
  Usage u = metered_usage(sse);
  EXPECT_EQ(u.input_tokens, 5);
  EXPECT_EQ(u.output_tokens, 9);
}

TEST(GatewayUsage, IgnoresOrClampsAbsurdCounts) {
  Usage u = metered_usage(
      R"({"type":"message","usage":{"input_tokens":-5,"cache_read_input_tokens":18446744073709551615,)"
      R"("cache_creation_input_tokens":1e300,"output_tokens":2.5}})");
  EXPECT_EQ(u.input_tokens, 0);
  EXPECT_GT(u.cached_input_tokens, 0);
  EXPECT_LE(u.cached_input_tokens, int64_t{1'000'000'000'000'000});
  EXPECT_EQ(u.cache_write_tokens, 0);
  EXPECT_EQ(u.output_tokens, 0);
  // Past 64 bits: not a number simdjson keeps; the answer counts nothing.
  EXPECT_EQ(metered_usage(R"({"usage":{"input_tokens":99999999999999999999999}})").input_tokens, 0);
  // Sums saturate instead of overflowing.
  std::string many;
  for (int i = 0; i < 20; ++i)
    many +=
        "data: {\"type\":\"response.completed\",\"response\":{\"usage\":{\"input_tokens\":"
        "9223372036854775807,\"output_tokens\":9223372036854775807}}}\n\n";
  Usage s = metered_usage(many);
  EXPECT_GT(s.input_tokens, 0);
  EXPECT_LE(s.input_tokens, int64_t{1'000'000'000'000'000});
  EXPECT_EQ(metered_usage("not json at all"), Usage{});
  EXPECT_EQ(metered_usage("{\"usage\": [1,2]}"), Usage{});
  EXPECT_EQ(metered_usage(""), Usage{});
}

TEST(GatewayUrls, BaseUrlKeepsTheUpstreamPath) {
  EXPECT_EQ(gateway_base_url("https://api.openai.com/v1", 4000), "http://127.0.0.1:4000/v1");
  EXPECT_EQ(gateway_base_url("https://api.anthropic.com", 4000), "http://127.0.0.1:4000");
  EXPECT_EQ(gateway_base_url("https://api.anthropic.com/", 4000), "http://127.0.0.1:4000");
  EXPECT_EQ(gateway_base_url("https://llm.corp:8443/openai/v1/?x=1", 9),
            "http://127.0.0.1:9/openai/v1");
}

TEST(GatewayUrls, DefaultUpstreamByHarnessAndProvider) {
  EXPECT_EQ(default_upstream("claude", "claude-sonnet-4-5"), "https://api.anthropic.com");
  EXPECT_EQ(default_upstream("codex", "gpt-5-codex"), "https://api.openai.com/v1");
  EXPECT_EQ(default_upstream("opencode", "anthropic/claude-sonnet-4-5"),
            "https://api.anthropic.com/v1");
  EXPECT_EQ(default_upstream("opencode", "openai/gpt-5"), "https://api.openai.com/v1");
  EXPECT_EQ(default_upstream("opencode", "openrouter/x"), "");
  EXPECT_EQ(default_upstream("other", "m"), "");
}

}  // namespace
}  // namespace bottega::agents
