#include <cerrno>
#include <cstdio>
#include <cstdlib>

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
    e.text = std::string(line.substr(0, 4096));
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
  state_.events += out.size() - before;
}

std::string_view str(object obj, std::string_view key) {
  std::string_view v;
  if (obj[key].get(v)) return {};
  return v;
}

int64_t i64(object obj, std::string_view key) {
  auto field = obj[key];
  int64_t v = 0;
  if (!field.get(v)) return v;
  uint64_t u = 0;
  if (!field.get(u)) return static_cast<int64_t>(u);
  double d = 0;
  if (!field.get(d)) return static_cast<int64_t>(d);
  return 0;
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
  e.text = std::string(line.substr(0, 65536));
  return e;
}

void price_if_unknown(Usage& usage, const PriceTable& prices, const std::string& model) {
  if (usage.cost_usd) return;
  auto it = prices.find(model);
  if (it != prices.end()) usage.cost_usd = price_usage(usage, it->second);
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
