// HTML for the web pages: escaping, a small Markdown renderer for plans and
// agent messages, and the page frame. Every text given here is treated as
// untrusted (agent output, issue text): it is escaped, never passed through
// as markup, and links keep only http(s) targets.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace bottega::web {

// &, <, >, " and ' as entities; invalid UTF-8 and NUL become U+FFFD.
std::string escape(std::string_view text);

// CommonMark's common subset, escaped: ATX headings, paragraphs, bullet and
// numbered lists (task-list boxes shown as ☐/☑), fenced and indented code,
// block quotes, `code`, **bold**, *italic*, [text](http(s) URL), HTML
// comments dropped. Anything else shows as the text it is.
std::string markdown(std::string_view text);

// The whole page: title, a header with the signed-in login (or a sign-in
// link) and the body markup as given (already escaped by the caller).
struct PageFrame {
  std::string title;
  std::string login;  // "" when signed out
  std::string body;   // markup
  bool live = false;  // loads /assets/live.js (the transcript stream)
};
std::string page(const PageFrame& frame);

}  // namespace bottega::web
