#include "github/commands.h"

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <utility>

#include "config/base/edit_distance.h"

namespace bottega::github {
namespace {

constexpr std::size_t kMaxSuggestionDistance = 2;
constexpr std::size_t kMinMistypedLength = 3;

struct Fence {
  char ch;          // '`' or '~'
  std::size_t len;  // 3 or more
};

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lowered(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

bool is_letters(std::string_view s) {
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return false;
  return true;
}

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split_lines(std::string_view body) {
  std::vector<std::string_view> lines;
  while (true) {
    auto nl = body.find('\n');
    std::string_view line = body.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (nl == std::string_view::npos) break;
    body.remove_prefix(nl + 1);
  }
  return lines;
}

// The length of the run of `ch` at the start of `s`.
std::size_t run_of(std::string_view s, char ch) {
  std::size_t n = 0;
  while (n < s.size() && s[n] == ch) ++n;
  return n;
}

// A fence opening at the start of `rest` (already past the indentation).
std::optional<Fence> fence_opening(std::string_view rest) {
  if (rest.empty() || (rest[0] != '`' && rest[0] != '~')) return std::nullopt;
  const char ch = rest[0];
  const std::size_t len = run_of(rest, ch);
  if (len < 3) return std::nullopt;
  // ```x``` on one line is inline code, not a fence (CommonMark: a backtick
  // fence's info string has no backtick).
  if (ch == '`' && rest.substr(len).find('`') != std::string_view::npos) return std::nullopt;
  return Fence{ch, len};
}

// Whether `line` closes `open`: up to three spaces, at least as many of the
// same fence character, then only blanks.
bool closes(std::string_view line, const Fence& open) {
  std::size_t spaces = run_of(line, ' ');
  if (spaces > 3) return false;
  line.remove_prefix(spaces);
  const std::size_t len = run_of(line, open.ch);
  return len >= open.len && trim(line.substr(len)).empty();
}

// Where a line's content starts, or nullopt when the line is indented code
// (four spaces, or a tab in the indentation) or blank.
std::optional<std::size_t> content_start(std::string_view line) {
  std::size_t i = 0;
  for (; i < line.size(); ++i) {
    if (line[i] == '\t' || i == 4) return std::nullopt;
    if (line[i] != ' ') return i;
  }
  return std::nullopt;
}

// How a line shows on GitHub, as far as commands care.
enum class LineKind {
  text,    // prose: a command may start it
  code,    // fenced or indented code: shown, never a command
  quote,   // a block quote line: shown, never a command
  hidden,  // in an HTML block GitHub does not show (`<!--`, `<script>`, `<style>`)
  blank,
};

struct Line {
  std::string_view raw;
  LineKind kind = LineKind::text;
  std::size_t content = 0;  // where the text starts in `raw` (past indentation or `>`s)
  // Parts of `raw` inside an inline HTML comment, as [begin, end) pairs.
  std::vector<std::pair<std::size_t, std::size_t>> comments;

  // Whether GitHub shows the line's first character (not in a comment).
  bool starts_visible() const {
    for (const auto& [b, e] : comments)
      if (b <= content && content < e) return false;
    return true;
  }
  // The line as GitHub shows it: without its inline comments.
  std::string visible() const {
    std::string out;
    std::size_t at = 0;
    for (const auto& [b, e] : comments) {
      out.append(raw.substr(at, b - at));
      at = e;
    }
    if (at < raw.size()) out.append(raw.substr(at));
    return out;
  }
};

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (lower(s[i]) != prefix[i]) return false;
  return true;
}

bool contains_ci(std::string_view s, std::string_view needle) {
  for (std::size_t i = 0; i + needle.size() <= s.size(); ++i)
    if (starts_with_ci(s.substr(i), needle)) return true;
  return false;
}

// The end tag of a CommonMark HTML block whose content GitHub does not show
// (type 1 `<script>` and `<style>`: the sanitizer drops them with their
// content), or "" when `rest` opens no such block.
std::string_view hidden_raw_block_end(std::string_view rest) {
  for (auto [open, close] : {std::pair<std::string_view, std::string_view>{"<script", "</script>"},
                             {"<style", "</style>"}}) {
    if (!starts_with_ci(rest, open)) continue;
    if (rest.size() == open.size()) return close;
    const char next = rest[open.size()];
    if (next == ' ' || next == '\t' || next == '>') return close;
  }
  return {};
}

// Where a block quote's content starts on `line` (past every `>` and the
// optional space after each), or nullopt when the line is no quote.
std::optional<std::size_t> quote_content(std::string_view line) {
  auto start = content_start(line);
  if (!start || line[*start] != '>') return std::nullopt;
  std::size_t i = *start;
  while (i < line.size() && line[i] == '>') {
    ++i;
    if (i < line.size() && line[i] == ' ') ++i;
    std::size_t next = i;  // a nested quote: up to three spaces, then `>`
    while (next < line.size() && line[next] == ' ' && next - i < 3) ++next;
    if (next < line.size() && line[next] == '>') i = next;
  }
  return i;
}

bool is_ascii_punct(char c) {
  return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') ||
         (c >= '{' && c <= '~');
}

// Marks the inline HTML comments of one paragraph (CommonMark: inline
// content spans the paragraph's lines, so `LGTM <!--` hides the lines up to
// the `-->`). A comment is `<!-->`, `<!--->` or `<!--` up to the first
// `-->` (CommonMark 0.31; the older rule's comments are a subset, so this
// hides at least what either hides). Unclosed, `<!--` is literal text,
// except in a paragraph that starts with a tag: that is a raw HTML block,
// which the browser reads as a comment to the end of the body. Code
// spans and backslash escapes (not in raw HTML) hide their `<!--`.
void mark_inline_comments(std::vector<Line>& lines, const std::vector<std::size_t>& paragraph) {
  if (paragraph.empty()) return;
  std::string text;
  std::vector<std::size_t> starts;  // where each line's content starts in `text`
  for (std::size_t idx : paragraph) {
    if (!text.empty()) text += '\n';
    starts.push_back(text.size());
    text.append(lines[idx].raw.substr(lines[idx].content));
  }
  const bool raw_html = text.size() > 1 && text[0] == '<' &&
                        (text[1] == '/' || (lower(text[1]) >= 'a' && lower(text[1]) <= 'z'));
  const std::string_view view(text);
  std::vector<std::pair<std::size_t, std::size_t>> hidden;
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c != '\\' && c != '`' && c != '<') {  // most of a paragraph: skipped without a compare
      ++i;
      continue;
    }
    if (!raw_html && c == '\\' && i + 1 < text.size() && is_ascii_punct(text[i + 1])) {
      i += 2;
      continue;
    }
    if (!raw_html && c == '`') {
      const std::size_t len = run_of(view.substr(i), '`');
      std::size_t j = i + len;
      std::size_t close = std::string::npos;
      while ((j = text.find('`', j)) != std::string::npos) {
        const std::size_t run = run_of(view.substr(j), '`');
        if (run == len) {
          close = j + run;
          break;
        }
        j += run;
      }
      i = close == std::string::npos ? i + len : close;
      continue;
    }
    if (text.compare(i, 4, "<!--") == 0) {
      const std::size_t end = text.find("-->", i + 2);
      if (end != std::string::npos) {
        hidden.emplace_back(i, end + 3);
        i = end + 3;
        continue;
      }
      if (raw_html) {
        hidden.emplace_back(i, std::string::npos);
        break;
      }
      i += 4;
      continue;
    }
    ++i;
  }
  // Back to each line's own coordinates.
  for (std::size_t k = 0; k < paragraph.size(); ++k) {
    Line& line = lines[paragraph[k]];
    const std::size_t from = starts[k];
    const std::size_t to = from + (line.raw.size() - line.content);
    for (auto [b, e] : hidden) {
      if (e <= from || b >= to) continue;
      line.comments.emplace_back(std::max(b, from) - from + line.content,
                                 std::min(e, to) - from + line.content);
    }
  }
}

// Sorts each line of `body` by how GitHub shows it (CommonMark's block
// structure, as far as code, quotes and hidden HTML go) and marks the
// inline comments of its paragraphs.
std::vector<Line> classify(std::string_view body) {
  std::vector<Line> lines;
  for (std::string_view raw : split_lines(body)) lines.push_back(Line{raw, LineKind::text, 0, {}});
  std::optional<Fence> fence;
  std::string_view html_end;  // in a hidden HTML block: the line that ends it holds this
  std::vector<std::size_t> paragraph;
  bool paragraph_quoted = false;
  auto flush = [&] {
    mark_inline_comments(lines, paragraph);
    paragraph.clear();
  };
  for (std::size_t i = 0; i < lines.size(); ++i) {
    Line& line = lines[i];
    const std::string_view raw = line.raw;
    if (fence) {
      line.kind = LineKind::code;
      if (closes(raw, *fence)) fence.reset();
      continue;
    }
    if (!html_end.empty()) {
      line.kind = LineKind::hidden;
      if (contains_ci(raw, html_end)) html_end = {};
      continue;
    }
    if (trim(raw).empty()) {
      flush();
      line.kind = LineKind::blank;
      continue;
    }
    if (auto inner = quote_content(raw)) {
      // Never a command. Blocks opened inside a quote end with it, so only
      // its paragraphs matter: an unquoted line may continue one lazily.
      line.kind = LineKind::quote;
      line.content = *inner;
      const std::string_view rest = trim(raw.substr(*inner));
      if (!paragraph_quoted) flush();
      if (rest.empty() || fence_opening(rest) || rest.substr(0, 4) == "<!--") {
        flush();
      } else {
        paragraph.push_back(i);
      }
      paragraph_quoted = true;
      continue;
    }
    auto start = content_start(raw);
    if (!start) {
      // Indented: code, unless it continues a paragraph (it cannot start a
      // command either way).
      line.kind = LineKind::code;
      if (!paragraph.empty()) {
        line.content = raw.find_first_not_of(" \t");
        paragraph.push_back(i);
        paragraph_quoted = false;
      }
      continue;
    }
    line.content = *start;
    const std::string_view rest = raw.substr(*start);
    if ((fence = fence_opening(rest))) {
      flush();
      line.kind = LineKind::code;
      continue;
    }
    if (rest.substr(0, 4) == "<!--") {  // HTML block type 2, to the line holding `-->`
      flush();
      line.kind = LineKind::hidden;
      if (rest.find("-->", 2) == std::string_view::npos) html_end = "-->";
      continue;
    }
    if (auto end = hidden_raw_block_end(rest); !end.empty()) {
      flush();
      line.kind = LineKind::hidden;
      if (!contains_ci(rest, end)) html_end = end;
      continue;
    }
    paragraph.push_back(i);
    paragraph_quoted = false;
  }
  flush();
  return lines;
}

Command make_command(CommandName name, std::string_view rest_of_line,
                     const std::vector<Line>& lines, std::size_t line_index) {
  Command command{name, {}};
  switch (name) {
    case CommandName::plan:
    case CommandName::retry:
    case CommandName::approve:  // an optional plan revision: "/approve 2"
      command.args = std::string(trim(rest_of_line));
      break;
    case CommandName::revise:
    case CommandName::fix: {
      std::string feedback(rest_of_line);
      for (std::size_t i = line_index + 1; i < lines.size(); ++i) {
        if (lines[i].kind == LineKind::hidden) continue;  // nobody saw it: not feedback either
        feedback += '\n';
        feedback += lines[i].visible();
      }
      command.args = std::string(trim(feedback));
      break;
    }
    case CommandName::cancel:
    case CommandName::status:
    case CommandName::help:
      break;  // no arguments: whatever follows is ignored
  }
  return command;
}

}  // namespace

std::string_view to_string(CommandName name) {
  switch (name) {
    case CommandName::plan:
      return "plan";
    case CommandName::revise:
      return "revise";
    case CommandName::approve:
      return "approve";
    case CommandName::cancel:
      return "cancel";
    case CommandName::retry:
      return "retry";
    case CommandName::status:
      return "status";
    case CommandName::help:
      return "help";
    case CommandName::fix:
      return "fix";
  }
  return "help";  // unreachable: every enumerator is handled above
}

const std::vector<CommandName>& all_commands() {
  static const std::vector<CommandName> commands = {
      CommandName::plan,  CommandName::revise, CommandName::approve, CommandName::cancel,
      CommandName::retry, CommandName::status, CommandName::help};
  return commands;
}

const std::vector<CommandName>& pull_commands() {
  static const std::vector<CommandName> commands = {CommandName::fix};
  return commands;
}

std::optional<CommandName> command_from_string(std::string_view name) {
  const std::string wanted = lowered(name);
  for (CommandName c : all_commands())
    if (to_string(c) == wanted) return c;
  for (CommandName c : pull_commands())
    if (to_string(c) == wanted) return c;
  return std::nullopt;
}

RevisionArgument parse_revision_argument(std::string_view args) {
  std::string_view rest = trim(args);
  if (rest.empty()) return {};
  auto next_word = [&rest] {
    std::size_t end = 0;
    while (end < rest.size() && !is_blank(rest[end])) ++end;
    const std::string_view word = rest.substr(0, end);
    rest = trim(rest.substr(end));
    return word;
  };
  const std::string_view first = next_word();
  std::string_view number = first;
  if (lowered(first) == "revision") {
    number = next_word();
  } else if (first[0] == 'r' || first[0] == 'R') {
    number.remove_prefix(1);
  }
  while (!number.empty() &&
         std::string_view(".,;:!?").find(number.back()) != std::string_view::npos)
    number.remove_suffix(1);
  RevisionArgument invalid{RevisionArgument::Kind::invalid, 0};
  if (number.empty() || number.find_first_not_of("0123456789") != std::string_view::npos)
    return invalid;
  int revision = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), revision);
  if (ec != std::errc() || end != number.data() + number.size()) return invalid;  // too large
  return {RevisionArgument::Kind::revision, revision};
}

namespace {

// "/" + name, appended rather than `"/" + std::string(name)`: GCC 12 at -O2
// reports a false -Wrestrict in the insert-at-front that operator+ inlines.
std::string with_slash(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 1);
  out += '/';
  out += name;
  return out;
}

}  // namespace

ParsedComment parse_comment(std::string_view body) {
  // What GitHub shows is a part of the body: no slash, no command. Most
  // comments are prose, and intake asks this of every one.
  if (body.find('/') == std::string_view::npos) return {};
  const std::vector<Line> lines = classify(body);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const Line& line = lines[i];
    if (line.kind != LineKind::text || !line.starts_visible()) continue;
    const std::string visible = line.visible();
    const std::string_view rest = std::string_view(visible).substr(line.content);
    if (rest.empty() || rest[0] != '/') continue;  // prose

    std::size_t end = 1;
    while (end < rest.size() && !is_blank(rest[end])) ++end;
    const std::string_view word = rest.substr(1, end - 1);
    if (auto name = command_from_string(word)) {
      ParsedComment parsed;
      parsed.kind = ParsedComment::Kind::command;
      parsed.command = make_command(*name, rest.substr(end), lines, i);
      return parsed;
    }
    if (word.size() < kMinMistypedLength || !is_letters(word)) continue;  // a path, a URL part
    const std::string typed = lowered(word);
    std::optional<CommandName> closest;
    std::size_t best = kMaxSuggestionDistance + 1;
    std::vector<CommandName> candidates = all_commands();
    candidates.insert(candidates.end(), pull_commands().begin(), pull_commands().end());
    for (CommandName c : candidates) {
      const std::size_t d = edit_distance(typed, to_string(c));
      // A short name is close to many short words ("/bin" is two edits
      // from "/fix"): one edit at most for those.
      const std::size_t limit =
          std::min<std::size_t>(kMaxSuggestionDistance, to_string(c).size() > 3 ? 2 : 1);
      if (d <= limit && d < best) {
        best = d;
        closest = c;
      }
    }
    if (!closest) continue;
    ParsedComment parsed;
    parsed.kind = ParsedComment::Kind::mistyped;
    parsed.typed = with_slash(word);
    parsed.suggestion = with_slash(to_string(*closest));
    return parsed;
  }
  return {};
}

}  // namespace bottega::github
