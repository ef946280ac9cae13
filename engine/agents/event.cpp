#include "engine/agents/event.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

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

int64_t saturating_add(int64_t a, int64_t b) {
  int64_t sum = 0;
  if (!__builtin_add_overflow(a, b, &sum)) return sum;
  return b > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
}

Usage& Usage::operator+=(const Usage& other) {
  input_tokens = saturating_add(input_tokens, other.input_tokens);
  cached_input_tokens = saturating_add(cached_input_tokens, other.cached_input_tokens);
  cache_write_tokens = saturating_add(cache_write_tokens, other.cache_write_tokens);
  output_tokens = saturating_add(output_tokens, other.output_tokens);
  reasoning_tokens = saturating_add(reasoning_tokens, other.reasoning_tokens);
  if (other.cost_usd) {
    double sum = cost_usd.value_or(0.0) + *other.cost_usd;
    constexpr double kMax = std::numeric_limits<double>::max();
    cost_usd = std::isnan(sum) ? 0.0 : std::clamp(sum, -kMax, kMax);
  }
  return *this;
}

int64_t Usage::total_tokens() const {
  return saturating_add(saturating_add(input_tokens, cached_input_tokens),
                        saturating_add(cache_write_tokens, output_tokens));
}

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// The length of the valid UTF-8 sequence at text[i] (a byte >= 0x80), or 0
// with `bad` set to the length of its maximal invalid subpart (>= 1).
std::size_t sequence_length(std::string_view text, std::size_t i, std::size_t& bad) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char c = byte(i);
  std::size_t need = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    need = 1;
  } else if (c >= 0xE0 && c <= 0xEF) {
    need = 2;
    if (c == 0xE0) lo = 0xA0;  // overlong
    if (c == 0xED) hi = 0x9F;  // surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 3;
    if (c == 0xF0) lo = 0x90;  // overlong
    if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    bad = 1;
    return 0;
  }
  for (std::size_t k = 1; k <= need; ++k) {
    unsigned char b = i + k < text.size() ? byte(i + k) : 0;
    bool ok = k == 1 ? b >= lo && b <= hi : b >= 0x80 && b <= 0xBF;
    if (!ok) {
      bad = k;
      return 0;
    }
  }
  return need + 1;
}

}  // namespace

bool is_clean_text(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == 0) return false;
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t bad = 0;
    std::size_t n = sequence_length(text, i, bad);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string clean_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t run = 0;
  for (std::size_t i = 0; i < text.size();) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    std::size_t n = 1, bad = 0;
    if (c >= 0x80) n = sequence_length(text, i, bad);
    if (c != 0 && n != 0) {
      i += n;
      continue;
    }
    out.append(text.data() + run, i - run);
    out += kReplacement;
    i += c == 0 ? 1 : bad;
    run = i;
  }
  out.append(text.data() + run, text.size() - run);
  return out;
}

void clean_event(Event& event) {
  for (std::string* field :
       {&event.subtype, &event.text, &event.tool, &event.tool_id, &event.input})
    if (!is_clean_text(*field)) *field = clean_text(*field);
}

std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  auto continuation = [&](std::size_t k) {
    return (static_cast<unsigned char>(text[k]) & 0xC0) == 0x80;
  };
  std::size_t cut = max_bytes;
  // Back over at most 3 continuation bytes: a character is at most 4 bytes long.
  for (int k = 0; k < 3 && cut > 0 && continuation(cut); ++k) --cut;
  if (continuation(cut)) cut = max_bytes;  // not UTF-8 there anyway
  return text.substr(0, cut);
}

std::string_view utf8_suffix(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  auto continuation = [&](std::size_t k) {
    return (static_cast<unsigned char>(text[k]) & 0xC0) == 0x80;
  };
  std::size_t start = text.size() - max_bytes;
  std::size_t first = start;
  for (int k = 0; k < 3 && start < text.size() && continuation(start); ++k) ++start;
  if (start < text.size() && continuation(start)) start = first;
  return text.substr(start);
}

void append_json_escaped(std::string_view text, std::string& out) {
  static const char kHex[] = "0123456789abcdef";
  std::size_t run = 0;  // start of the current run of plain characters
  for (std::size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      std::size_t bad = 0;
      std::size_t n = sequence_length(text, i, bad);
      if (n != 0) {
        i += n - 1;
        continue;
      }
      out.append(text.data() + run, i - run);
      out += kReplacement;
      i += bad - 1;
      run = i + 1;
      continue;
    }
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
    if (u.cost_usd && std::isfinite(*u.cost_usd)) {
      char buf[400];  // %.6f of the largest double: 309 digits, the point and 6 more
      std::snprintf(buf, sizeof buf, ",\"cost_usd\":%.6f", *u.cost_usd);
      out += buf;
    } else if (u.cost_usd) {
      out += ",\"cost_usd\":null";  // inf and nan are not JSON
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
