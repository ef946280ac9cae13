#include "engine/report/task_document.h"

#include <algorithm>
#include <cstddef>
#include <optional>

#include "engine/report/text.h"

namespace bottega::report {
namespace {

// The level (1-6) of an ATX heading line and its text; level 0 when the
// line is not a heading.
int heading_level(const Line& line, std::string_view* text = nullptr) {
  std::string_view content;
  if (line.kind != Line::kText || !unindent(line.text, &content)) return 0;
  std::size_t hashes = content.find_first_not_of('#');
  if (hashes == std::string_view::npos) hashes = content.size();
  if (hashes == 0 || hashes > 6) return 0;
  std::string_view rest = content.substr(hashes);
  if (!rest.empty() && rest.front() != ' ' && rest.front() != '\t') return 0;
  if (text != nullptr) {
    rest = trim(rest);
    // A closing sequence of #s is not part of the heading's text.
    std::size_t closing = rest.size();
    while (closing > 0 && rest[closing - 1] == '#') --closing;
    if (closing == 0 || rest[closing - 1] == ' ' || rest[closing - 1] == '\t') {
      rest = trim(rest.substr(0, closing));
    }
    *text = rest;
  }
  return static_cast<int>(hashes);
}

// "To-do list" → "todolist": headings compare by letters and digits only.
std::string heading_key(std::string_view text) {
  std::string key;
  for (char c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || static_cast<unsigned char>(c) >= 0x80) {
      key += c;
    }
  }
  return key;
}

struct Range {
  std::size_t begin = 0;  // first body line
  std::size_t end = 0;    // one past the last body line
};

// The body lines of the first level-2 section whose heading key is one of
// `keys`.
std::optional<Range> find_section(const std::vector<Line>& lines,
                                  const std::vector<std::string>& keys) {
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::string_view text;
    if (heading_level(lines[i], &text) != 2) continue;
    if (std::find(keys.begin(), keys.end(), heading_key(text)) == keys.end()) continue;
    std::size_t end = i + 1;
    while (end < lines.size()) {
      int level = heading_level(lines[end]);
      if (level == 1 || level == 2) break;
      ++end;
    }
    return Range{i + 1, end};
  }
  return std::nullopt;
}

const std::vector<std::string>& todo_keys() {
  static const std::vector<std::string> keys = {"todo", "todos", "todolist"};
  return keys;
}

// Joins lines [begin, end) with LF, leaving out blank lines at both ends
// and, when `skip_comments`, HTML comment lines.
std::string join_lines(const std::vector<Line>& lines, Range range, bool skip_comments = false) {
  while (range.begin < range.end && is_blank(lines[range.begin].text)) ++range.begin;
  while (range.end > range.begin && is_blank(lines[range.end - 1].text)) --range.end;
  std::string out;
  bool first = true;
  for (std::size_t i = range.begin; i < range.end; ++i) {
    if (skip_comments && lines[i].kind == Line::kComment) continue;
    if (!first) out += '\n';
    out.append(lines[i].text);
    first = false;
  }
  return out;
}

struct Checkbox {
  bool checked = false;
  std::string_view text;
};

// A task-list item: optional indentation, a bullet ("-", "*", "+", "1.",
// "1)"), spaces, "[ ]" or "[x]"/"[X]", then a space or the line end.
std::optional<Checkbox> parse_checkbox(const Line& line) {
  if (line.kind != Line::kText) return std::nullopt;
  std::string_view s = line.text;
  s.remove_prefix(std::min(s.find_first_not_of(" \t"), s.size()));
  if (s.empty()) return std::nullopt;
  if (s[0] == '-' || s[0] == '*' || s[0] == '+') {
    s.remove_prefix(1);
  } else {
    std::size_t digits = 0;
    while (digits < s.size() && digits < 9 && s[digits] >= '0' && s[digits] <= '9') ++digits;
    if (digits == 0 || digits >= s.size() || (s[digits] != '.' && s[digits] != ')')) {
      return std::nullopt;
    }
    s.remove_prefix(digits + 1);
  }
  std::size_t spaces = s.find_first_not_of(" \t");
  if (spaces == 0 || spaces == std::string_view::npos) return std::nullopt;
  s.remove_prefix(spaces);
  if (s.size() < 3 || s[0] != '[' || s[2] != ']') return std::nullopt;
  if (s[1] != ' ' && s[1] != 'x' && s[1] != 'X') return std::nullopt;
  if (s.size() > 3 && s[3] != ' ' && s[3] != '\t') return std::nullopt;
  return Checkbox{s[1] != ' ', trim(s.substr(3))};
}

bool is_quote_line(std::string_view line) {
  std::string_view content;
  return unindent(line, &content) && content.starts_with('>');
}

// Where the plan part starts (see request_part).
std::size_t plan_offset(std::string_view doc) {
  auto lines = split_lines(doc);
  auto request = find_section(lines, {"request"});
  if (!request) {
    for (const auto& line : lines) {
      if (heading_level(line) == 2) return line.begin;
    }
    return doc.size();
  }
  std::size_t i = request->begin;
  while (i < lines.size() && is_blank(lines[i].text)) ++i;
  while (i < lines.size() && is_quote_line(lines[i].text)) ++i;
  while (i < lines.size() && is_blank(lines[i].text)) ++i;
  return i < lines.size() ? lines[i].begin : doc.size();
}

std::string one_line(std::string_view text) {
  std::string out(trim(text));
  std::replace_if(
      out.begin(), out.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  return out;
}

}  // namespace

std::string make_task_document(std::string_view title, int64_t issue, std::string_view request_body,
                               std::string_view plan_template) {
  std::string doc = "# " + one_line(title) + " (#" + std::to_string(issue) + ")\n\n## Request\n\n";
  std::vector<std::string_view> body;
  for (const auto& line : split_lines(request_body)) body.push_back(line.text);
  while (!body.empty() && is_blank(body.back())) body.pop_back();
  auto first = std::find_if(body.begin(), body.end(), [](auto l) { return !is_blank(l); });
  if (first == body.end()) {
    doc += "> (no description)\n";
  } else {
    for (auto it = first; it != body.end(); ++it) {
      doc += it->empty() ? ">" : "> ";
      doc.append(*it);
      doc += '\n';
    }
  }
  doc += '\n';
  doc.append(plan_template);
  if (!doc.ends_with('\n')) doc += '\n';
  return doc;
}

std::string request_part(std::string_view doc) {
  return std::string(doc.substr(0, plan_offset(doc)));
}

std::string plan_part(std::string_view doc) { return std::string(doc.substr(plan_offset(doc))); }

std::string with_plan(std::string_view doc, std::string_view plan) {
  std::string out = request_part(doc);
  if (!out.empty()) {
    if (!out.ends_with('\n')) out += '\n';
    if (!out.ends_with("\n\n")) out += '\n';
  }
  std::string normalized = normalize_newlines(plan);
  std::string_view rest = normalized;
  // Leading blank lines go; the first line keeps its indentation.
  while (true) {
    std::size_t end = rest.find('\n');
    if (end == std::string_view::npos || !is_blank(rest.substr(0, end))) break;
    rest.remove_prefix(end + 1);
  }
  rest = rest.substr(0, rest.find_last_not_of(" \t\n") + 1);
  if (!is_blank(rest)) {
    out.append(rest);
    out += '\n';
  }
  return out;
}

std::string section(std::string_view doc, std::string_view heading) {
  auto lines = split_lines(doc);
  auto range = find_section(lines, {heading_key(heading)});
  return range ? join_lines(lines, *range) : std::string();
}

std::string todo_section(std::string_view doc) {
  auto lines = split_lines(doc);
  auto range = find_section(lines, todo_keys());
  return range ? join_lines(lines, *range) : std::string();
}

TodoCount count_todos(std::string_view doc) {
  TodoCount count;
  auto lines = split_lines(doc);
  auto range = find_section(lines, todo_keys());
  if (!range) return count;
  for (std::size_t i = range->begin; i < range->end; ++i) {
    if (auto box = parse_checkbox(lines[i])) {
      ++count.total;
      if (box->checked) ++count.done;
    }
  }
  return count;
}

std::vector<std::string> unchecked_todos(std::string_view doc) {
  std::vector<std::string> items;
  auto lines = split_lines(doc);
  auto range = find_section(lines, todo_keys());
  if (!range) return items;
  for (std::size_t i = range->begin; i < range->end; ++i) {
    auto box = parse_checkbox(lines[i]);
    if (box && !box->checked) items.emplace_back(box->text);
  }
  return items;
}

std::string plan_summary(std::string_view doc) {
  auto lines = split_lines(doc);
  auto range = find_section(lines, {"overview"});
  if (!range) return {};
  std::string overview = join_lines(lines, *range, /*skip_comments=*/true);
  return shorten_markdown(trim(overview), kMaxPlanSummaryBytes);
}

std::string qa_results(std::string_view doc) {
  auto lines = split_lines(doc);
  auto range = find_section(lines, {"qaresults"});
  if (!range) return {};
  std::string qa = join_lines(lines, *range, /*skip_comments=*/true);
  return shorten_markdown(trim(qa), kMaxQaResultsBytes);
}

std::string branch_name(int64_t issue, std::string_view title) {
  std::string slug;
  for (char c : title) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (keep) {
      slug += c;
    } else if (!slug.empty() && slug.back() != '-') {
      slug += '-';
    }
  }
  constexpr std::size_t kMaxSlug = 40;
  if (slug.size() > kMaxSlug) {
    // Cut where a word ends (a '-' at or before the limit) unless that would
    // lose more than half the slug.
    std::size_t cut = slug.rfind('-', kMaxSlug);
    slug.resize(cut != std::string::npos && cut >= kMaxSlug / 2 ? cut : kMaxSlug);
  }
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  if (slug.empty()) slug = "task";
  return "bottega/" + std::to_string(issue) + "-" + slug;
}

}  // namespace bottega::report
