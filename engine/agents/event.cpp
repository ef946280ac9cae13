#include "engine/agents/event.h"

#include <cstdio>

namespace bottega::agents {

std::string_view to_string(EventKind kind) {
  switch (kind) {
    case EventKind::user:
      return "user";
    case EventKind::assistant:
      return "assistant";
    case EventKind::thinking:
      return "thinking";
    case EventKind::tool_use:
      return "tool_use";
    case EventKind::tool_result:
      return "tool_result";
    case EventKind::system:
      return "system";
    case EventKind::result:
      return "result";
    case EventKind::error:
      return "error";
  }
  return "system";
}

Usage& Usage::operator+=(const Usage& other) {
  input_tokens += other.input_tokens;
  cached_input_tokens += other.cached_input_tokens;
  cache_write_tokens += other.cache_write_tokens;
  output_tokens += other.output_tokens;
  reasoning_tokens += other.reasoning_tokens;
  if (other.cost_usd) cost_usd = cost_usd.value_or(0.0) + *other.cost_usd;
  return *this;
}

void append_json_escaped(std::string_view text, std::string& out) {
  static const char kHex[] = "0123456789abcdef";
  std::size_t run = 0;  // start of the current run of plain characters
  for (std::size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
  }
  out.append(text.data() + run, text.size() - run);
}

namespace {

void field(std::string& out, std::string_view name, std::string_view value) {
  if (value.empty()) return;
  out += ",\"";
  out += name;
  out += "\":\"";
  append_json_escaped(value, out);
  out += '"';
}

void number(std::string& out, std::string_view name, int64_t value) {
  out += ",\"";
  out += name;
  out += "\":";
  out += std::to_string(value);
}

}  // namespace

void append_json(const Event& e, std::string& out) {
  out += "{\"kind\":\"";
  out += to_string(e.kind);
  out += '"';
  field(out, "subtype", e.subtype);
  field(out, "text", e.text);
  field(out, "tool", e.tool);
  field(out, "tool_id", e.tool_id);
  field(out, "input", e.input);
  if (e.is_error) out += ",\"is_error\":true";
  if (e.exit_code) number(out, "exit_code", *e.exit_code);
  if (e.usage) {
    const Usage& u = *e.usage;
    out += ",\"usage\":{\"input_tokens\":" + std::to_string(u.input_tokens);
    number(out, "cached_input_tokens", u.cached_input_tokens);
    number(out, "cache_write_tokens", u.cache_write_tokens);
    number(out, "output_tokens", u.output_tokens);
    number(out, "reasoning_tokens", u.reasoning_tokens);
    if (u.cost_usd) {
      char buf[64];
      std::snprintf(buf, sizeof buf, ",\"cost_usd\":%.6f", *u.cost_usd);
      out += buf;
    }
    out += '}';
  }
  out += '}';
}

std::string to_json(const Event& event) {
  std::string out;
  out.reserve(64 + event.text.size() + event.input.size());
  append_json(event, out);
  return out;
}

}  // namespace bottega::agents
