// The three stream decoders and the outcome classification, on streams in
// the CLIs' recorded formats (tests/unit/agents/streams) and on every
// failure shape HARNESSES.md lists.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <sstream>

#include "engine/agents/harness.h"
#include "engine/agents/settings.h"

namespace bottega::agents {
namespace {

struct Decoded {
  std::vector<Event> events;
  StreamState state;
  Outcome outcome;
  std::vector<EventKind> kinds() const {
    std::vector<EventKind> k;
    for (const auto& e : events) k.push_back(e.kind);
    return k;
  }
};

std::string stream_file(const std::string& name) {
  std::ifstream in(std::string(BOTTEGA_STREAMS_DIR) + "/" + name);
  EXPECT_TRUE(in) << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

ProcessEnd exited(int code, std::string tail = "") {
  ProcessEnd e;
  e.exit_code = code;
  e.stderr_tail = std::move(tail);
  return e;
}

ProcessEnd killed(int sig) {
  ProcessEnd e;
  e.signal = sig;
  return e;
}

Decoded decode(const std::string& harness_name, const std::string& text, ProcessEnd end = exited(0),
               TurnRequest turn = {}, HarnessSettings settings = {}) {
  const Harness* h = find_harness(harness_name);
  EXPECT_NE(h, nullptr);
  if (turn.model.empty())
    turn.model = harness_name == "opencode" ? "anthropic/claude-sonnet-4-5" : "m";
  auto decoder = h->decoder(turn, settings);
  Decoded d;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) decoder->decode(line, d.events);
  decoder->finish(d.events);
  d.state = decoder->state();
  d.outcome = classify(h->capabilities(), d.state, end);
  return d;
}

using K = EventKind;

TEST(ClaudeDecoder, DecodesASuccessfulTurnWithSessionUsageAndCost) {
  auto d = decode("claude", stream_file("claude_success.jsonl"));
  EXPECT_EQ(d.kinds(), (std::vector<K>{K::system, K::thinking, K::tool_use, K::tool_result,
                                       K::assistant, K::result}));
  EXPECT_EQ(d.events[0].subtype, "init");
  EXPECT_EQ(d.events[1].text, "I should write the file.");
  EXPECT_EQ(d.events[2].tool, "Bash");
  EXPECT_EQ(d.events[2].tool_id, "toolu_01");
  EXPECT_NE(d.events[2].input.find("echo hello > hello.txt"), std::string::npos);
  EXPECT_EQ(d.events[3].tool_id, "toolu_01");
  EXPECT_FALSE(d.events[3].is_error);
  EXPECT_EQ(d.events[4].text, "Done: hello.txt holds hello.");
  EXPECT_EQ(d.state.session_id, "5d9c1c9e-8f0e-4f0b-9b7a-0c1e2d3f4a5b");
  ASSERT_TRUE(d.events[5].usage);
  EXPECT_EQ(d.outcome.kind, OutcomeKind::succeeded);
  EXPECT_EQ(d.outcome.usage.input_tokens, 42);
  EXPECT_EQ(d.outcome.usage.cache_write_tokens, 100);
  EXPECT_EQ(d.outcome.usage.cached_input_tokens, 900);
  EXPECT_EQ(d.outcome.usage.output_tokens, 28);
  ASSERT_TRUE(d.outcome.usage.cost_usd);
  EXPECT_DOUBLE_EQ(*d.outcome.usage.cost_usd, 0.012345);
}

TEST(ClaudeDecoder, ApiFailureWithSubtypeSuccessIsAnAgentError) {
  auto d = decode("claude", stream_file("claude_api_error.jsonl"), exited(1, ""));
  EXPECT_EQ(d.events[1].subtype, "api_retry");
  EXPECT_EQ(d.events[1].text, "attempt 1, status 401");
  EXPECT_EQ(d.outcome.kind, OutcomeKind::agent_error);
  EXPECT_NE(d.outcome.message.find("invalid x-api-key"), std::string::npos);
  EXPECT_TRUE(d.events.back().is_error);
  EXPECT_EQ(d.outcome.session_id, "e1");
}

TEST(ClaudeDecoder, IsErrorDecidesEvenWithExitZero) {
  auto d = decode("claude", stream_file("claude_api_error.jsonl"), exited(0));
  EXPECT_EQ(d.outcome.kind, OutcomeKind::agent_error);
}

TEST(ClaudeDecoder, ASuccessResultWithANonZeroExitIsACrash) {
  auto d = decode("claude", stream_file("claude_success.jsonl"), exited(1, "boom\n"));
  EXPECT_EQ(d.outcome.kind, OutcomeKind::crashed);
  EXPECT_EQ(d.outcome.exit_code, 1);
  EXPECT_EQ(d.outcome.stderr_tail, "boom\n");
}

TEST(ClaudeDecoder, ErrorMaxTurnsIsAnAgentError) {
  auto d = decode(
      "claude",
      R"({"type":"result","subtype":"error_max_turns","is_error":true,"session_id":"s","num_turns":3,"usage":{"input_tokens":1,"output_tokens":2}})",
      exited(1));
  EXPECT_EQ(d.outcome.kind, OutcomeKind::agent_error);
  EXPECT_EQ(d.outcome.message, "error_max_turns");
}

TEST(ClaudeDecoder, ExitZeroWithoutAResultIsACrash) {
  auto d = decode("claude",
                  R"({"type":"system","subtype":"init","session_id":"s","model":"m","cwd":"/"})");
  EXPECT_EQ(d.outcome.kind, OutcomeKind::crashed);
  EXPECT_NE(d.outcome.message.find("without reporting"), std::string::npos);
}

TEST(ClaudeDecoder, PermissionDenialsAreKeptOnTheResult) {
  auto d = decode(
      "claude",
      R"({"type":"result","subtype":"success","is_error":false,"session_id":"s","result":"ok","permission_denials":[{"tool_name":"Bash","tool_use_id":"t1","tool_input":{"command":"rm -rf /"}}],"usage":{}})");
  EXPECT_NE(d.events.back().input.find("permission_denials"), std::string::npos);
  EXPECT_EQ(d.outcome.kind, OutcomeKind::succeeded);
}

TEST(ClaudeDecoder, UsesThePriceTableWhenNoCostIsReported) {
  HarnessSettings s;
  s.prices["m"] = Price{3, 0.3, 15};
  auto d = decode(
      "claude",
      R"({"type":"result","subtype":"success","is_error":false,"session_id":"s","usage":{"input_tokens":1000000,"output_tokens":1000000}})",
      exited(0), {}, s);
  ASSERT_TRUE(d.outcome.usage.cost_usd);
  EXPECT_DOUBLE_EQ(*d.outcome.usage.cost_usd, 18.0);
}

TEST(CodexDecoder, DecodesItemsAndCapturesTheThreadId) {
  HarnessSettings s;
  s.prices["m"] = Price{1.25, 0.125, 10};
  auto d = decode("codex", stream_file("codex_success.jsonl"), exited(0), {}, s);
  EXPECT_EQ(d.kinds(),
            (std::vector<K>{K::system, K::system, K::thinking, K::tool_use, K::tool_result,
                            K::tool_use, K::tool_result, K::assistant, K::result}));
  EXPECT_EQ(d.state.session_id, "0199a213-81c0-7800-8aa1-bbab2a035a53");
  EXPECT_EQ(d.events[3].input, "bash -lc 'echo hello > hello.txt'");
  EXPECT_EQ(d.events[4].exit_code, 0);
  EXPECT_EQ(d.events[5].tool, "file_change");
  EXPECT_EQ(d.events[6].text, "add /work/wt/notes.md\n");
  EXPECT_EQ(d.outcome.kind, OutcomeKind::succeeded);
  EXPECT_EQ(d.outcome.usage.input_tokens, 400);  // 2400 including 2000 cached
  EXPECT_EQ(d.outcome.usage.cached_input_tokens, 2000);
  EXPECT_EQ(d.outcome.usage.output_tokens, 150);
  EXPECT_EQ(d.outcome.usage.reasoning_tokens, 64);
  ASSERT_TRUE(d.outcome.usage.cost_usd);  // Codex reports none: priced from the table
  EXPECT_NEAR(*d.outcome.usage.cost_usd, (400 * 1.25 + 2000 * 0.125 + 150 * 10) / 1e6, 1e-12);
}

TEST(CodexDecoder, AResumedTurnStoresTheDeltaOfTheCumulativeUsage) {
  TurnRequest turn;
  turn.prior_thread_usage.input_tokens = 300;  // the thread's total after the previous turn
  turn.prior_thread_usage.cached_input_tokens = 1500;
  turn.prior_thread_usage.output_tokens = 100;
  turn.prior_thread_usage.reasoning_tokens = 60;
  auto d = decode("codex", stream_file("codex_success.jsonl"), exited(0), turn);
  EXPECT_EQ(d.outcome.usage.input_tokens, 100);
  EXPECT_EQ(d.outcome.usage.cached_input_tokens, 500);
  EXPECT_EQ(d.outcome.usage.output_tokens, 50);
  EXPECT_EQ(d.outcome.usage.reasoning_tokens, 4);
  EXPECT_EQ(d.outcome.thread_usage.cached_input_tokens, 2000);  // the new running total
  EXPECT_FALSE(d.outcome.usage.cost_usd);  // no price for the model: unknown, not zero
}

TEST(CodexDecoder, TurnFailedIsTheFailureAndReconnectingIsTransient) {
  auto d = decode("codex", stream_file("codex_failed.jsonl"), exited(1));
  EXPECT_EQ(d.events[2].kind, K::error);
  EXPECT_EQ(d.events[2].subtype, "transient");
  EXPECT_EQ(d.outcome.kind, OutcomeKind::agent_error);
  EXPECT_NE(d.outcome.message.find("stream disconnected"), std::string::npos);
}

TEST(CodexDecoder, ReconnectingFollowedByCompletionSucceeds) {
  auto d = decode("codex",
                  "{\"type\":\"thread.started\",\"thread_id\":\"t\"}\n"
                  "{\"type\":\"error\",\"message\":\"Reconnecting... 1/5\"}\n"
                  "{\"type\":\"turn.completed\",\"usage\":{\"input_tokens\":5,\"cached_input_"
                  "tokens\":0,\"output_tokens\":1}}\n");
  EXPECT_EQ(d.outcome.kind, OutcomeKind::succeeded);
}

TEST(CodexDecoder, ABadFlagWithNoJsonIsACrashWithTheStderrTail) {
  auto d = decode("codex", "", exited(2, "error: unexpected argument '--full-auto' found\n"));
  EXPECT_TRUE(d.events.empty());
  EXPECT_EQ(d.outcome.kind, OutcomeKind::crashed);
  EXPECT_EQ(d.outcome.exit_code, 2);
  EXPECT_NE(d.outcome.stderr_tail.find("--full-auto"), std::string::npos);
}

TEST(OpenCodeDecoder, SumsStepsAndEndsAtTheEndOfTheStream) {
  auto d = decode("opencode", stream_file("opencode_success.jsonl"));
  EXPECT_EQ(d.kinds(), (std::vector<K>{K::system, K::tool_use, K::tool_result, K::system, K::system,
                                       K::assistant, K::system, K::result}));
  EXPECT_EQ(d.events[1].tool, "bash");
  EXPECT_EQ(d.events[2].exit_code, 0);
  EXPECT_EQ(d.state.session_id, "ses_5a1b2c3d4e5fAbCdEf");
  EXPECT_EQ(d.outcome.kind, OutcomeKind::succeeded);
  EXPECT_EQ(d.outcome.usage.input_tokens, 1250);
  EXPECT_EQ(d.outcome.usage.output_tokens, 52);
  EXPECT_EQ(d.outcome.usage.reasoning_tokens, 4);
  EXPECT_EQ(d.outcome.usage.cached_input_tokens, 1800);
  EXPECT_EQ(d.outcome.usage.cache_write_tokens, 20);
  ASSERT_TRUE(d.outcome.usage.cost_usd);
  EXPECT_NEAR(*d.outcome.usage.cost_usd, 0.003, 1e-12);
  ASSERT_TRUE(d.events.back().usage);
  EXPECT_EQ(d.events.back().usage->input_tokens, 1250);
}

TEST(OpenCodeDecoder, AnErrorEventIsAnAgentError) {
  auto d = decode("opencode", stream_file("opencode_error.jsonl"), exited(1));
  EXPECT_EQ(d.outcome.kind, OutcomeKind::agent_error);
  EXPECT_EQ(d.outcome.message, "Unauthorized: invalid api key");
  EXPECT_EQ(d.events[1].subtype, "APIError");
}

TEST(OpenCodeDecoder, ADoneEventEndsTheTurnOnce) {
  auto d = decode("opencode",
                  "{\"type\":\"text\",\"sessionID\":\"s\",\"part\":{\"text\":\"hi\"}}\n{\"type\":"
                  "\"done\",\"sessionID\":\"s\"}\n");
  EXPECT_EQ(d.kinds(), (std::vector<K>{K::assistant, K::result}));
}

TEST(OpenCodeDecoder, ACrashAfterSomeStepsIsACrash) {
  auto d = decode("opencode", stream_file("opencode_success.jsonl"), killed(9));
  EXPECT_EQ(d.outcome.kind, OutcomeKind::crashed);
  EXPECT_EQ(d.outcome.message, "killed by signal 9");
}

// Streams recorded from the real CLIs (the versions HARNESSES.md pins) run
// through `bottega agent` against the fake model API, one tool call each.
TEST(RecordedStreams, ClaudeToolCall) {
  auto d = decode("claude", stream_file("recorded_claude_2.1.197_tool_call.jsonl"));
  EXPECT_EQ(d.kinds(),
            (std::vector<K>{K::system, K::tool_use, K::tool_result, K::assistant, K::result}));
  EXPECT_EQ(d.state.session_id, "b1004aad-bb84-4463-b51b-9c8564e455d4");
  EXPECT_EQ(d.events[1].tool, "Bash");
  EXPECT_EQ(d.events[2].text, "(Bash completed with no output)");
  EXPECT_EQ(d.outcome.kind, OutcomeKind::succeeded);
  EXPECT_EQ(d.outcome.usage.input_tokens, 200);
  EXPECT_EQ(d.outcome.usage.output_tokens, 40);
  ASSERT_TRUE(d.outcome.usage.cost_usd);
  EXPECT_NEAR(*d.outcome.usage.cost_usd, 0.0012, 1e-12);
  EXPECT_EQ(d.state.malformed_lines, 0u);
}

TEST(RecordedStreams, ClaudeConnectionRefusedIsAnAgentErrorEvenWithExitZero) {
  auto d = decode("claude", stream_file("recorded_claude_2.1.197_connection_refused.jsonl"));
  EXPECT_EQ(d.events[1].subtype, "api_retry");
  EXPECT_EQ(d.outcome.kind, OutcomeKind::agent_error);
  EXPECT_EQ(d.outcome.message, "API Error: Unable to connect to API (ConnectionRefused)");
}

TEST(RecordedStreams, CodexToolCall) {
  auto d = decode("codex", stream_file("recorded_codex_0.169.0_tool_call.jsonl"));
  EXPECT_EQ(d.kinds(), (std::vector<K>{K::system, K::error, K::system, K::tool_use, K::tool_result,
                                       K::assistant, K::result}));
  EXPECT_EQ(d.state.session_id, "01a1fd66-6ce0-7e81-bf6c-8c4968a11f63");
  EXPECT_EQ(d.events[1].subtype,
            "item");  // "Model metadata … not found": a warning, not the failure
  EXPECT_EQ(d.events[3].input, "/bin/bash -lc 'echo hello > hello.txt'");
  EXPECT_EQ(d.outcome.kind, OutcomeKind::succeeded);
  EXPECT_EQ(d.outcome.usage.input_tokens, 120);
  EXPECT_EQ(d.outcome.usage.cached_input_tokens, 80);
  EXPECT_EQ(d.outcome.usage.output_tokens, 40);
  EXPECT_EQ(d.outcome.usage.reasoning_tokens, 10);
}

TEST(RecordedStreams, CodexRetryingARefusedConnectionNeverEndsTheTurnItself) {
  ProcessEnd end = killed(9);
  end.timed_out = true;  // what the runner's wall clock does to it
  auto d = decode("codex", stream_file("recorded_codex_0.169.0_connection_refused.jsonl"), end);
  for (std::size_t i = 3; i < d.events.size(); ++i) EXPECT_EQ(d.events[i].subtype, "transient");
  EXPECT_FALSE(d.state.completed);
  EXPECT_FALSE(d.state.agent_error);
  EXPECT_EQ(d.outcome.kind, OutcomeKind::timed_out);
}

TEST(RecordedStreams, OpenCodeToolCall) {
  auto d = decode("opencode", stream_file("recorded_opencode_1.18.33_tool_call.jsonl"));
  EXPECT_EQ(d.kinds(), (std::vector<K>{K::system, K::tool_use, K::tool_result, K::system, K::system,
                                       K::assistant, K::system, K::result}));
  EXPECT_EQ(d.state.session_id, "ses_e02998869ffeDJPRZsq10nd5OB");
  EXPECT_EQ(d.events[1].tool, "bash");
  EXPECT_EQ(d.events[2].exit_code, 0);
  EXPECT_EQ(d.outcome.kind, OutcomeKind::succeeded);
  EXPECT_EQ(d.outcome.usage.input_tokens, 200);
  EXPECT_EQ(d.outcome.usage.output_tokens, 40);
}

struct RobustnessCase {
  const char* harness;
};

class AnyDecoder : public ::testing::TestWithParam<const char*> {};

TEST_P(AnyDecoder, UnknownTypesBecomeSystemEvents) {
  auto d =
      decode(GetParam(), R"({"type":"brand_new_thing","sessionID":"s","session_id":"s","x":1})");
  ASSERT_FALSE(d.events.empty());
  EXPECT_EQ(d.events[0].kind, K::system);
  EXPECT_EQ(d.events[0].subtype, "unknown");
  EXPECT_NE(d.events[0].text.find("brand_new_thing"), std::string::npos);
}

TEST_P(AnyDecoder, AMalformedLineIsRecordedAndSkipped) {
  std::string good =
      std::string(GetParam()) == "claude"
          ? R"({"type":"assistant","session_id":"s","message":{"content":[{"type":"text","text":"after"}]}})"
      : std::string(GetParam()) == "codex"
          ? R"({"type":"item.completed","item":{"id":"i","type":"agent_message","text":"after"}})"
          : R"({"type":"text","sessionID":"s","part":{"text":"after"}})";
  auto d = decode(GetParam(),
                  "{\"type\":\"assistant\", trunc\n\nnot json at all\n[1,2]\n" + good + "\n");
  ASSERT_GE(d.events.size(), 4u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(d.events[i].kind, K::system);
    EXPECT_EQ(d.events[i].subtype, "malformed");
  }
  EXPECT_EQ(d.events[1].text, "not json at all");
  EXPECT_EQ(d.events[3].kind, K::assistant);
  EXPECT_EQ(d.events[3].text, "after");
  EXPECT_EQ(d.state.malformed_lines, 3u);
}

TEST_P(AnyDecoder, FieldsOfTheWrongTypeDoNotThrow) {
  auto d = decode(
      GetParam(),
      R"({"type":"result","subtype":7,"is_error":"yes","usage":[1],"message":5,"item":"x","part":3})"
      "\n"
      R"({"type":"assistant","message":{"content":7}})"
      "\n"
      R"({"type":"item.completed","item":{"type":"command_execution","exit_code":"zero"}})"
      "\n"
      R"({"type":"tool_use","part":{"state":"weird","tool":9}})");
  EXPECT_GE(d.events.size(), 1u);
}

TEST_P(AnyDecoder, CancelAndTimeoutWinOverTheStream) {
  ProcessEnd c = killed(15);
  c.cancelled = true;
  auto cancelled = decode(GetParam(), "", c);
  EXPECT_EQ(cancelled.outcome.kind, OutcomeKind::cancelled);
  ProcessEnd t = killed(9);
  t.timed_out = true;
  auto timed = decode(GetParam(), "", t);
  EXPECT_EQ(timed.outcome.kind, OutcomeKind::timed_out);
  ProcessEnd i = exited(0);
  i.idle_timed_out = true;
  auto idle = decode(GetParam(), "", i);
  EXPECT_EQ(idle.outcome.kind, OutcomeKind::timed_out);
  EXPECT_NE(idle.outcome.message.find("idle"), std::string::npos);
}

// ---- Hostile streams: what is stored and shown is valid UTF-8 JSON --------

// Strict UTF-8 (RFC 3629) with no NUL: what PostgreSQL's text and jsonb take.
bool storable(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    auto b = [&](std::size_t k) {
      return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0;
    };
    unsigned c = b(0);
    unsigned cp = 0;
    std::size_t n = 0;
    if (c == 0) return false;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0xC2 && c <= 0xDF) {
      n = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 4;
      cp = c & 0x07;
    } else
      return false;
    for (std::size_t k = 1; k < n; ++k) {
      if ((b(k) & 0xC0) != 0x80) return false;
      cp = cp << 6 | (b(k) & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += n;
  }
  return true;
}

void expect_storable(const Decoded& d) {
  for (const auto& e : d.events) {
    std::string json = to_json(e);
    EXPECT_TRUE(storable(json)) << json;
    bool nul = false;  // the escape \u0000, which jsonb refuses (not an escaped backslash)
    for (std::size_t i = 0; i + 1 < json.size(); ++i)
      if (json[i] == '\\') nul = nul || json.compare(i + 1, 5, "u0000") == 0, ++i;
    EXPECT_FALSE(nul) << json;
  }
  EXPECT_TRUE(storable(to_json(d.outcome)));
}

std::string e_acute(std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += "\xC3\xA9";
  return s;
}

TEST_P(AnyDecoder, AMalformedLineOfInvalidUtf8IsStoredAsValidUtf8) {
  auto d = decode(GetParam(), "not json \xFF\xFE\xC3 end\n");
  ASSERT_EQ(d.events.size() - (std::string(GetParam()) == "opencode"), 1u);
  EXPECT_EQ(d.events[0].subtype, "malformed");
  EXPECT_EQ(d.events[0].text, "not json \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD end");
  expect_storable(d);
}

TEST_P(AnyDecoder, LongLinesAreCutOnCharacterBoundaries) {
  // 1 + 2·n bytes: a cut at 4096 or 65536 bytes falls inside an "é".
  std::string malformed = "x" + e_acute(3000);
  std::string unknown = R"({"type":"brand_new","pad":")" + e_acute(40000) + "\"}";
  auto d = decode(GetParam(), malformed + "\n" + unknown + "\n");
  ASSERT_GE(d.events.size(), 2u);
  EXPECT_EQ(d.events[0].subtype, "malformed");
  EXPECT_EQ(d.events[0].text, "x" + e_acute(2047));  // 4095 bytes: the next would split
  EXPECT_EQ(d.events[1].subtype, "unknown");
  EXPECT_LE(d.events[1].text.size(), 65536u);
  EXPECT_GE(d.events[1].text.size(), 65535u);
  expect_storable(d);
}

TEST_P(AnyDecoder, NulAndEscapedLoneSurrogatesNeverReachTheStore) {
  std::string h = GetParam();
  std::string text = R"(a\u0000b)";
  std::string line =
      h == "claude"
          ? R"({"type":"assistant","session_id":"s\u0000","message":{"content":")" + text + "\"}}"
      : h == "codex"
          ? R"({"type":"item.completed","item":{"id":"i","type":"agent_message","text":")" + text +
                "\"}}"
          : R"({"type":"text","sessionID":"s","part":{"text":")" + text + "\"}}";
  std::string surrogate = R"({"type":"x","text":"\ud800"})";
  auto d = decode(h, line + "\n" + surrogate + "\n");
  ASSERT_GE(d.events.size(), 2u);
  EXPECT_NE(d.events[0].text.find("a\xEF\xBF\xBD"
                                  "b"),
            std::string::npos)
      << d.events[0].text;
  expect_storable(d);
  EXPECT_TRUE(storable(d.state.session_id));
}

INSTANTIATE_TEST_SUITE_P(Harnesses, AnyDecoder, ::testing::Values("claude", "codex", "opencode"));

TEST(HostileNumbers, AnOutOfRangeStatusIsClampedNotUndefined) {
  auto d = decode(
      "claude", R"({"type":"system","subtype":"api_retry","attempt":-1e300,"error_status":4e20})");
  ASSERT_EQ(d.events.size(), 1u);
  EXPECT_EQ(d.events[0].text, "attempt -9223372036854775808, status 9223372036854775807");
}

TEST(HostileNumbers, ClaudeTokenCountsAreClampedAndNeverNegative) {
  auto d = decode(
      "claude",
      R"({"type":"result","subtype":"success","total_cost_usd":-3,"usage":{"input_tokens":1e200,"output_tokens":-5,"cache_read_input_tokens":18446744073709551615}})");
  EXPECT_EQ(d.outcome.usage.input_tokens, INT64_MAX);
  EXPECT_EQ(d.outcome.usage.cached_input_tokens, INT64_MAX);
  EXPECT_EQ(d.outcome.usage.output_tokens, 0);
  EXPECT_EQ(d.outcome.usage.cost_usd, 0.0);
  EXPECT_EQ(d.outcome.usage.total_tokens(), INT64_MAX);  // saturates
  expect_storable(d);
}

TEST(HostileNumbers, OpenCodeSumsSaturateAndAnInfiniteCostIsNeverWritten) {
  std::string step =
      R"({"type":"step_finish","part":{"cost":1e308,"tokens":{"input":9223372036854775807,"output":1e300}}})";
  auto d = decode("opencode", step + "\n" + step + "\n");
  EXPECT_EQ(d.outcome.usage.input_tokens, INT64_MAX);
  EXPECT_EQ(d.outcome.usage.output_tokens, INT64_MAX);
  ASSERT_TRUE(d.outcome.usage.cost_usd);
  EXPECT_TRUE(std::isfinite(*d.outcome.usage.cost_usd));
  std::string json = to_json(d.outcome);
  EXPECT_EQ(json.find("inf"), std::string::npos) << json;
  expect_storable(d);
}

TEST(HostileNumbers, CodexExitCodesAndUsageAreClamped) {
  TurnRequest turn;
  turn.prior_thread_usage.input_tokens = 50;
  HarnessSettings settings;
  settings.prices["m"] = Price{1e300, 1e300, 1e300};  // a price that overflows a double
  auto d = decode(
      "codex",
      R"({"type":"item.completed","item":{"id":"c","type":"command_execution","command":"x","exit_code":4e20,"status":"completed"}})"
      "\n"
      R"({"type":"turn.completed","usage":{"input_tokens":1e200,"cached_input_tokens":-7,"output_tokens":18446744073709551615}})",
      exited(0), turn, settings);
  ASSERT_GE(d.events.size(), 3u);
  EXPECT_EQ(d.events[1].exit_code, INT64_MAX);
  EXPECT_TRUE(d.events[1].is_error);
  EXPECT_EQ(d.outcome.usage.input_tokens, INT64_MAX - 50);
  EXPECT_EQ(d.outcome.usage.cached_input_tokens, 0);
  EXPECT_EQ(d.outcome.usage.output_tokens, INT64_MAX);
  ASSERT_TRUE(d.outcome.usage.cost_usd);
  EXPECT_TRUE(std::isfinite(*d.outcome.usage.cost_usd));
  expect_storable(d);
}

TEST(EventJson, ANonFiniteCostIsNullAndAHugeOneIsWrittenWhole) {
  Event e;
  e.usage = Usage{};
  e.usage->cost_usd = std::numeric_limits<double>::infinity();
  EXPECT_NE(to_json(e).find(R"("cost_usd":null})"), std::string::npos) << to_json(e);
  e.usage->cost_usd = std::numeric_limits<double>::quiet_NaN();
  EXPECT_NE(to_json(e).find(R"("cost_usd":null})"), std::string::npos) << to_json(e);
  e.usage->cost_usd = 1e300;
  std::string json = to_json(e);
  EXPECT_NE(json.find(".000000}}"), std::string::npos) << json;  // not cut at 64 bytes
  EXPECT_GT(json.size(), 300u);
}

TEST(EventJson, InvalidUtf8IsWrittenAsReplacementCharacters) {
  Event e;
  e.text = "ok \xC3\xA9, bad \xFF, cut \xE2\x82, surrogate \xED\xA0\x80, overlong \xC0\xAF";
  std::string json = to_json(e);
  EXPECT_TRUE(storable(json)) << json;
  EXPECT_NE(json.find("ok \xC3\xA9, bad \xEF\xBF\xBD, cut \xEF\xBF\xBD,"), std::string::npos)
      << json;
}

TEST(EventJson, EscapesAndOmitsEmptyFields) {
  Event e;
  e.kind = K::tool_result;
  e.text = "a\"b\\c\n\x01";
  e.tool_id = "t";
  e.exit_code = 3;
  EXPECT_EQ(to_json(e),
            R"({"kind":"tool_result","text":"a\"b\\c\n\u0001","tool_id":"t","exit_code":3})");
}

TEST(OutcomeJson, CarriesKindSessionUsageAndTail) {
  Outcome o;
  o.kind = OutcomeKind::agent_error;
  o.message = "nope";
  o.exit_code = 1;
  o.session_id = "s1";
  o.usage.input_tokens = 5;
  o.usage.cost_usd = 0.25;
  o.stderr_tail = "x\n";
  EXPECT_EQ(
      to_json(o),
      R"({"outcome":"agent_error","message":"nope","exit_code":1,"session_id":"s1","usage":{"input_tokens":5,"cached_input_tokens":0,"cache_write_tokens":0,"output_tokens":0,"reasoning_tokens":0,"cost_usd":0.250000},"stderr_tail":"x\n"})");
}

// ---- The text helpers (new API) ----------------------------------------

TEST(CleanText, ReplacesEachMaximalInvalidSubpartAndNul) {
  const std::string r = "\xEF\xBF\xBD";
  struct Case {
    std::string in, out;
  } cases[] = {
      {"", ""},
      {"plain \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80",
       "plain \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"},
      {std::string("a\0b", 3), "a" + r + "b"},
      {"\xFF", r},
      {"\xE2\x82", r},  // a cut character is one subpart
      {"\xE2\x82x", r + "x"},
      {"\xC0\xAF", r + r},                  // overlong: each byte
      {"\xED\xA0\x80", r + r + r},          // surrogate
      {"\xF4\x90\x80\x80", r + r + r + r},  // above U+10FFFF
      {"\x80\x80", r + r},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(clean_text(c.in), c.out) << c.in;
    EXPECT_EQ(is_clean_text(c.in), c.in == c.out) << c.in;
  }
}

TEST(CleanText, CutsNeverSplitACharacter) {
  std::string s =
      "a\xE2\x82\xAC"
      "b";  // a € b
  EXPECT_EQ(utf8_prefix(s, 10), s);
  EXPECT_EQ(utf8_prefix(s, 4), "a\xE2\x82\xAC");
  EXPECT_EQ(utf8_prefix(s, 3), "a");
  EXPECT_EQ(utf8_prefix(s, 2), "a");
  EXPECT_EQ(utf8_suffix(s, 4),
            "\xE2\x82\xAC"
            "b");
  EXPECT_EQ(utf8_suffix(s, 3), "b");
  EXPECT_EQ(utf8_suffix(s, 2), "b");
  std::string junk(10, '\x80');  // not UTF-8: cut where asked
  EXPECT_EQ(utf8_prefix(junk, 5).size(), 5u);
  EXPECT_EQ(utf8_suffix(junk, 5).size(), 5u);
}

TEST(UsageSums, SaturateInsteadOfOverflowing) {
  Usage a;
  a.input_tokens = INT64_MAX - 1;
  a.output_tokens = 5;
  a.cost_usd = std::numeric_limits<double>::max();
  Usage b = a;
  a += b;
  EXPECT_EQ(a.input_tokens, INT64_MAX);
  EXPECT_EQ(a.output_tokens, 10);
  ASSERT_TRUE(a.cost_usd);
  EXPECT_TRUE(std::isfinite(*a.cost_usd));
  EXPECT_EQ(a.total_tokens(), INT64_MAX);
  EXPECT_EQ(saturating_add(INT64_MIN, -1), INT64_MIN);
}

// Found by fuzz_codex_stream: a cached count above the prompt's, then a
// cache-write count, overflowed the subtraction (undefined behaviour).
TEST(HostileNumbers, CodexCachedCountsLargerThanThePromptLeaveNoUncachedInput) {
  auto d = decode(
      "codex",
      R"({"type":"turn.completed","usage":{"input_tokens":0,"cached_input_tokens":9223372036854775807,"cache_write_input_tokens":80}})");
  EXPECT_EQ(d.outcome.usage.input_tokens, 0);
  EXPECT_EQ(d.outcome.usage.cached_input_tokens, INT64_MAX);
  EXPECT_EQ(d.outcome.usage.cache_write_tokens, 80);
  expect_storable(d);
}

}  // namespace
}  // namespace bottega::agents
