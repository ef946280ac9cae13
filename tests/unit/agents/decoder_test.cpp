// The three stream decoders and the outcome classification, on streams in
// the CLIs' recorded formats (tests/unit/agents/streams) and on every
// failure shape HARNESSES.md lists.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "engine/agents/harness.h"

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

INSTANTIATE_TEST_SUITE_P(Harnesses, AnyDecoder, ::testing::Values("claude", "codex", "opencode"));

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

}  // namespace
}  // namespace bottega::agents
