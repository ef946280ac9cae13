// One agent CLI's JSON-lines decoder (BOTTEGA_FUZZ_HARNESS) on any stdout:
// each line decoded, the stream finished, then every event and the outcome
// serialized. What the app stores and shows must be valid UTF-8 JSON
// whatever the agent printed (PostgreSQL refuses anything else).
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/agents/harness.h"

namespace {

void check_json(const std::string& json) {
  static simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(json).get(doc)) __builtin_trap();  // not JSON, or not UTF-8
  for (std::size_t i = 0; i + 1 < json.size(); ++i)   // the escape \u0000: jsonb refuses it
    if (json[i] == '\\' && json.compare(i + 1, 5, "u0000") == 0)
      __builtin_trap();
    else if (json[i] == '\\')
      ++i;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bottega::agents;
  static const Harness* harness = find_harness(BOTTEGA_FUZZ_HARNESS);
  TurnRequest turn;
  turn.model = "fuzz-model";
  turn.prior_thread_usage.input_tokens = 1000;
  HarnessSettings settings;
  settings.prices["fuzz-model"] = Price{3, 0.3, 15};
  auto decoder = harness->decoder(turn, settings);
  std::vector<Event> events;
  std::string_view stream(reinterpret_cast<const char*>(data), size);
  while (!stream.empty()) {
    auto nl = stream.find('\n');
    decoder->decode(stream.substr(0, nl), events);
    if (nl == std::string_view::npos) break;
    stream.remove_prefix(nl + 1);
  }
  decoder->finish(events);
  for (const Event& e : events) check_json(to_json(e));
  ProcessEnd end;
  end.exit_code = 0;
  end.stderr_tail = std::string(reinterpret_cast<const char*>(data), size < 64 ? size : 64);
  Outcome outcome = classify(harness->capabilities(), decoder->state(), end);
  outcome.stderr_tail = clean_text(outcome.stderr_tail);
  check_json(to_json(outcome));
  (void)outcome.usage.total_tokens();
  return 0;
}
