// The webhook decoder on any body under each event name GitHub may send.
// Input: the X-GitHub-Event name, a newline, the body (seeds are real
// payloads from @octokit/webhooks-examples in that form).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "github/webhook/events.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto nl = input.find('\n');
  std::string_view event = nl == std::string_view::npos ? std::string_view() : input.substr(0, nl);
  std::string_view body = nl == std::string_view::npos ? input : input.substr(nl + 1);
  bottega::DecodedDelivery d = bottega::decode_delivery(event, body);
  // A delivery decoded as an event must say so consistently.
  if (d.kind == bottega::DecodedDelivery::Kind::event && !d.event) __builtin_trap();
  auto e = bottega::decode_event(event, body);
  if (e && !bottega::is_handled(e->name, e->action)) __builtin_trap();
  (void)bottega::summarize_delivery(body);
  return 0;
}
