// Unified agent events: what every harness's JSON stream is decoded into,
// whatever CLI produced it. The transcript store persists them as JSON and
// `bottega agent` prints them, one per line.
// Thread-safety: plain values. Ownership: each Event owns its strings.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bottega::agents {

enum class EventKind { user, assistant, thinking, tool_use, tool_result, system, result, error };

std::string_view to_string(EventKind kind);

// Token counts and cost of one turn (or the running total of a thread).
struct Usage {
  int64_t input_tokens = 0;         // prompt tokens not read from a cache
  int64_t cached_input_tokens = 0;  // prompt tokens read from a cache
  int64_t cache_write_tokens = 0;   // prompt tokens written to a cache
  int64_t output_tokens = 0;
  int64_t reasoning_tokens = 0;    // part of the output, where the CLI says so
  std::optional<double> cost_usd;  // nullopt: unknown (no price for the model)

  // Saturating: counts stop at INT64_MAX, a cost at the largest finite double.
  Usage& operator+=(const Usage& other);
  bool operator==(const Usage&) const = default;
  int64_t total_tokens() const;  // saturating too
};

// a + b, stopping at INT64_MAX / INT64_MIN instead of overflowing.
int64_t saturating_add(int64_t a, int64_t b);

struct Event {
  EventKind kind = EventKind::system;
  // system: "init", "api_retry", "malformed", "unknown", ...; result: the
  // CLI's subtype ("success", "error_max_turns"); error: "transient" or "".
  std::string subtype;
  std::string text;     // message, thinking, tool output, error message, raw line
  std::string tool;     // tool_use: the tool's name ("Bash", "command_execution")
  std::string tool_id;  // tool_use / tool_result correlation id
  std::string input;    // tool_use: the input (a JSON object or a command line)
  bool is_error = false;
  std::optional<int64_t> exit_code;  // tool_result of a shell command
  std::optional<Usage> usage;        // result: this turn's usage
};

// The event as one JSON object on one line (no newline):
// {"kind":"tool_use","tool":"Bash","tool_id":"t1","input":"{...}"} with
// empty fields left out.
std::string to_json(const Event& event);
void append_json(const Event& event, std::string& out);

// JSON string escaping (adds no quotes). The output is always valid UTF-8:
// each invalid sequence of `text` is written as U+FFFD.
void append_json_escaped(std::string_view text, std::string& out);

// ---- Text from an agent ----------------------------------------------------
// Whatever a CLI prints (stdout lines, stderr) reaches PostgreSQL and the
// comments; PostgreSQL refuses invalid UTF-8 and NUL in text and jsonb.

// Whether `text` is valid UTF-8 (no overlong forms, surrogates or code
// points above U+10FFFF) with no NUL.
bool is_clean_text(std::string_view text);
// `text` with each invalid UTF-8 sequence (each maximal subpart, as Unicode
// recommends) and each NUL replaced by U+FFFD. Clean text comes back as is.
std::string clean_text(std::string_view text);
// Replaces, in place, what clean_text replaces in every text field of `event`.
void clean_event(Event& event);
// The longest prefix (suffix) of `text` of at most `max_bytes` bytes that
// does not split a UTF-8 character (of valid text; invalid bytes are cut
// anywhere and left for clean_text).
std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes);
std::string_view utf8_suffix(std::string_view text, std::size_t max_bytes);

}  // namespace bottega::agents
