#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "engine/agents/json_decoder.h"

namespace bottega::agents {

std::string_view to_string(OutcomeKind kind) {
  switch (kind) {
    case OutcomeKind::succeeded:
      return "succeeded";
    case OutcomeKind::agent_error:
      return "agent_error";
    case OutcomeKind::timed_out:
      return "timed_out";
    case OutcomeKind::cancelled:
      return "cancelled";
    case OutcomeKind::crashed:
      return "crashed";
    case OutcomeKind::budget_reached:
      return "budget_reached";
  }
  return "crashed";
}

Outcome classify(const Capabilities& caps, const StreamState& state, const ProcessEnd& end) {
  Outcome o;
  o.exit_code = end.exit_code;
  o.stderr_tail = end.stderr_tail;
  o.session_id = state.session_id;
  o.usage = state.usage;
  o.thread_usage = state.thread_usage;
  if (end.cancelled) {
    o.kind = OutcomeKind::cancelled;
    o.message = "cancelled";
  } else if (end.timed_out || end.idle_timed_out) {
    o.kind = OutcomeKind::timed_out;
    o.message = end.timed_out ? "the turn ran past its time limit"
                              : "no output for longer than the idle limit";
  } else if (state.agent_error) {
    o.kind = OutcomeKind::agent_error;
    o.message = *state.agent_error;
  } else if (!end.exit_code) {
    o.kind = OutcomeKind::crashed;
    o.message = "killed by signal " + std::to_string(end.signal);
  } else if (*end.exit_code != 0) {
    o.kind = OutcomeKind::crashed;
    o.message = "exited with status " + std::to_string(*end.exit_code);
  } else if (caps.final_event && !state.completed) {
    o.kind = OutcomeKind::crashed;
    o.message = "exited without reporting the end of its turn";
  } else {
    o.kind = OutcomeKind::succeeded;
  }
  return o;
}

std::string to_json(const Outcome& o) {
  std::string out = "{\"outcome\":\"";
  out += to_string(o.kind);
  out += "\",\"message\":\"";
  append_json_escaped(o.message, out);
  out += "\",\"exit_code\":";
  out += o.exit_code ? std::to_string(*o.exit_code) : "null";
  out += ",\"session_id\":\"";
  append_json_escaped(o.session_id, out);
  out += "\",\"usage\":";
  Event e;
  e.usage = o.usage;
  std::string ev = to_json(e);  // {"kind":"system","usage":{...}}
  auto pos = ev.find("\"usage\":");
  out += ev.substr(pos + 8, ev.size() - pos - 9);
  out += ",\"stderr_tail\":\"";
  append_json_escaped(o.stderr_tail, out);
  out += "\"}";
  return out;
}

namespace detail {

void JsonDecoder::decode(std::string_view line, std::vector<Event>& out) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
  if (line.empty()) return;
  padded_.assign(line);
  padded_.resize(line.size() + simdjson::SIMDJSON_PADDING, '\0');
  element doc;
  object obj;
  if (parser_.parse(padded_.data(), line.size(), false).get(doc) || doc.get(obj)) {
    ++state_.malformed_lines;
    Event e;
    e.kind = EventKind::system;
    e.subtype = "malformed";
    e.text = clean_text(utf8_prefix(line, 4096));  // invalid UTF-8 is malformed JSON too
    out.push_back(std::move(e));
    ++state_.events;
    return;
  }
  std::size_t before = out.size();
  try {
    decode_object(obj, line, out);
  } catch (const simdjson::simdjson_error&) {
    // A field of an unexpected type deep inside: keep the line as an unknown event.
    out.resize(before);
    out.push_back(unknown_event("invalid", line));
  }
  // simdjson validated the UTF-8, but a string may hold NUL (\u0000) or an
  // escaped lone surrogate, and a cut raw line a split character.
  for (std::size_t i = before; i < out.size(); ++i) clean_event(out[i]);
  if (state_.agent_error && !is_clean_text(*state_.agent_error))
    state_.agent_error = clean_text(*state_.agent_error);
  if (!is_clean_text(state_.session_id)) state_.session_id = clean_text(state_.session_id);
  state_.events += out.size() - before;
}

std::string_view str(object obj, std::string_view key) {
  std::string_view v;
  if (obj[key].get(v)) return {};
  return v;
}

int64_t clamp_to_i64(double d) {
  constexpr double kLimit = 9223372036854775808.0;  // 2^63, exact as a double
  if (std::isnan(d)) return 0;
  if (d >= kLimit) return std::numeric_limits<int64_t>::max();
  if (d <= -kLimit) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(d);  // in range: truncation toward zero
}

int64_t i64(object obj, std::string_view key) {
  auto field = obj[key];
  int64_t v = 0;
  if (!field.get(v)) return v;
  uint64_t u = 0;
  if (!field.get(u))
    return u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
               ? std::numeric_limits<int64_t>::max()
               : static_cast<int64_t>(u);
  double d = 0;
  if (!field.get(d)) return clamp_to_i64(d);
  return 0;
}

int64_t count(object obj, std::string_view key) { return std::max<int64_t>(0, i64(obj, key)); }

std::optional<double> cost(object obj, std::string_view key) {
  double d = 0;
  if (obj[key].get(d)) return std::nullopt;
  if (!std::isfinite(d)) return std::nullopt;
  return std::max(0.0, d);
}

bool boolean(object obj, std::string_view key) {
  bool v = false;
  if (obj[key].get(v)) return false;
  return v;
}

bool has(object obj, std::string_view key) {
  element e;
  return !obj[key].get(e) && !e.is_null();
}

std::string raw(object obj, std::string_view key) {
  element e;
  if (obj[key].get(e)) return {};
  return simdjson::minify(e);
}

bool sub(object obj, std::string_view key, object& out) { return !obj[key].get(out); }

Event unknown_event(std::string_view type, std::string_view line) {
  Event e;
  e.kind = EventKind::system;
  e.subtype = "unknown";
  (void)type;
  e.text = utf8_prefix(line, 65536);
  return e;
}

void price_if_unknown(Usage& usage, const PriceTable& prices, const std::string& model) {
  if (usage.cost_usd) return;
  auto it = prices.find(model);
  if (it == prices.end()) return;
  // price_usage's formula in doubles: token sums near INT64_MAX must not overflow.
  const Price& p = it->second;
  auto d = [](int64_t n) { return static_cast<double>(n); };
  double c = ((d(usage.input_tokens) + d(usage.cache_write_tokens)) * p.input +
              d(usage.cached_input_tokens) * p.cached_input + d(usage.output_tokens) * p.output) /
             1e6;
  usage.cost_usd = std::isfinite(c) ? c : std::numeric_limits<double>::max();
}

std::string toml_string(std::string_view text) {
  std::string out = "\"";
  append_json_escaped(text, out);  // JSON escapes are valid TOML basic-string escapes
  out += '"';
  return out;
}

}  // namespace detail

const Harness* find_harness(std::string_view name) {
  if (name == "claude") return &detail::claude_harness();
  if (name == "codex") return &detail::codex_harness();
  if (name == "opencode") return &detail::opencode_harness();
  return nullptr;
}

}  // namespace bottega::agents
