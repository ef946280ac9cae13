// Internal to engine/report: small text helpers shared by the task document
// and the comment renderers (trimming, UTF-8-safe cutting, markdown lines).
// Thread-safety: pure functions. Ownership: views point into the argument.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace bottega::report {

inline constexpr std::size_t kMaxPlanSummaryBytes = 1500;

bool is_blank(std::string_view text);                   // only spaces, tabs, CR, LF
std::string_view trim(std::string_view text);           // of spaces, tabs, CR, LF
std::string normalize_newlines(std::string_view text);  // CRLF and lone CR → LF

// The largest n' <= n that does not split a UTF-8 sequence of `text`.
std::size_t utf8_floor(std::string_view text, std::size_t n);

// The longest run of `c` in `text`.
std::size_t longest_run(std::string_view text, char c);

// One line of markdown, classified as CommonMark sees it at the top level:
// headings and checkboxes count only in kText lines.
struct Line {
  std::string_view text;                               // without the line end (LF or CRLF)
  std::size_t begin = 0;                               // offset of the line in the document
  enum Kind { kText, kFence, kComment } kind = kText;  // kFence: a code block or its fence
};

// The lines of `doc`. When `open_fence` is given, it receives the closing
// fence a code block still open at the end needs ("" when none is).
std::vector<Line> split_lines(std::string_view doc, std::string* open_fence = nullptr);

// Sets *content to the line without up to three spaces of indentation;
// false when it is indented more (a code block or a continuation).
bool unindent(std::string_view line, std::string_view* content);

// `text` if it fits in `max_bytes`; otherwise cut at a paragraph, line or
// word boundary (or a UTF-8 boundary), an open code block closed, and "…"
// appended. The result is at most `max_bytes` plus the closing fence.
std::string shorten_markdown(std::string_view text, std::size_t max_bytes);

}  // namespace bottega::report
