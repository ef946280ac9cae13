// Internal: the part every decoder shares (simdjson parsing of one line,
// malformed-line handling). Not a public header: it pulls in simdjson.
#pragma once

#include <simdjson.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/agents/harness.h"

namespace bottega::agents::detail {

using simdjson::dom::element;
using simdjson::dom::object;

class JsonDecoder : public StreamDecoder {
 public:
  void decode(std::string_view line, std::vector<Event>& out) final;
  const StreamState& state() const final { return state_; }

 protected:
  // `line` is the raw text, for events that keep it (unknown types).
  virtual void decode_object(object obj, std::string_view line, std::vector<Event>& out) = 0;
  StreamState state_;

 private:
  simdjson::dom::parser parser_;
  std::string padded_;
};

// Accessors that treat a missing or mistyped field as empty.
std::string_view str(object obj, std::string_view key);
// A number as an integer: a fraction truncated, out of range clamped.
int64_t i64(object obj, std::string_view key);
// A token count: i64, and 0 when negative.
int64_t count(object obj, std::string_view key);
// A cost in USD: nullopt when absent or not a number, 0 when negative.
std::optional<double> cost(object obj, std::string_view key);
// `d` as an integer: NaN is 0, out of range the nearest bound.
int64_t clamp_to_i64(double d);
bool boolean(object obj, std::string_view key);
bool has(object obj, std::string_view key);
// The object at `key`; false when absent or not an object.
bool sub(object obj, std::string_view key, object& out);
// The raw JSON text of a field ("" when absent).
std::string raw(object obj, std::string_view key);
Event unknown_event(std::string_view type, std::string_view line);

// Applies the price table when the CLI reported no cost.
void price_if_unknown(Usage& usage, const PriceTable& prices, const std::string& model);
std::string toml_string(std::string_view text);  // a TOML basic string, quoted

const Harness& claude_harness();
const Harness& codex_harness();
const Harness& opencode_harness();

}  // namespace bottega::agents::detail
