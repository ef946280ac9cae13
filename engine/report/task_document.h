// The task document: the markdown file the agents share for one task. It
// holds the original request quoted verbatim, then the plan template's
// sections, filled in by the planning agent (Overview, Implementation plan,
// Testing strategy, To-do, Review findings):
//
//   # <issue title> (#N)
//
//   ## Request
//
//   > every line of the issue body, quoted
//
//   ## Overview
//   ...
//
// These functions build it and read it back. Reading follows CommonMark
// closely enough for what agents write: a heading is a line of `#`s and a
// space outside fenced code blocks and HTML comments; sections end at the
// next heading of level 1 or 2. Headings are matched ignoring case, spaces
// and punctuation ("To-do" = "TODO" = "To do"). Line ends may be LF or CRLF.
// Thread-safety: pure functions. Ownership: results are owned copies.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bottega::report {

// A fresh task document: "# <title> (#N)\n\n## Request\n\n> line\n> line\n\n"
// followed by `plan_template`. Every line of the body is quoted verbatim
// ("> " + line; an empty line becomes ">"); a CR before a line end is
// dropped and blank lines around the body are trimmed. An empty or blank
// body gives "> (no description)". Line breaks in the title become spaces.
std::string make_task_document(std::string_view title, int64_t issue, std::string_view request_body,
                               std::string_view plan_template);

// The document up to the end of the Request section: the title, the
// "## Request" heading, the quoted lines and the blank lines after them.
// Without a Request heading: everything before the first `## ` heading.
std::string request_part(std::string_view doc);

// Everything after request_part(doc): the plan. request_part + plan_part is
// the document.
std::string plan_part(std::string_view doc);

// `doc` with its plan replaced by `plan` and its request part kept byte for
// byte, so an edited plan comment can never alter the quoted request. The
// plan gets LF line ends, no leading blank lines and one final newline.
// with_plan(doc, plan_part(doc)) == doc for a document make_task_document
// built (with a template ending in one newline).
std::string with_plan(std::string_view doc, std::string_view plan);

// The body of the first `## <heading>` section, without its heading and
// without blank lines at either end, LF line ends; "" when there is none.
std::string section(std::string_view doc, std::string_view heading);

// The To-do section's body (also found as "Todo", "To do", "To-do list").
std::string todo_section(std::string_view doc);

struct TodoCount {
  int done = 0;
  int total = 0;
  friend bool operator==(const TodoCount&, const TodoCount&) = default;
};

// The task-list checkboxes in the To-do section only (elsewhere they are
// examples or review notes): `- [ ]`, `- [x]`, `* [X]`, `+ [ ]`, `1. [ ]`,
// nested ones included; not inside fenced code or HTML comments.
TodoCount count_todos(std::string_view doc);

// The text of each unchecked item of the To-do section, in order, trimmed.
std::vector<std::string> unchecked_todos(std::string_view doc);

// The Overview section without HTML comments, trimmed; longer than 1500
// bytes, it is cut at a paragraph, line or word boundary and ends in "…".
std::string plan_summary(std::string_view doc);

// The QA results section (the review agent's scenario table and test
// results) without HTML comments, trimmed; longer than 12000 bytes, cut
// like the summary. "" when there is none.
inline constexpr std::size_t kMaxQaResultsBytes = 12000;
std::string qa_results(std::string_view doc);

// The task's branch: "bottega/<issue>-<slug>". The slug is the title in
// lowercase ASCII letters and digits, every run of other bytes (spaces,
// punctuation, non-ASCII) a single '-', no '-' at either end, at most 40
// bytes (cut at a '-' when one is in reach, so words stay whole), "task"
// when nothing is left. Always a valid git ref name.
std::string branch_name(int64_t issue, std::string_view title);

}  // namespace bottega::report
