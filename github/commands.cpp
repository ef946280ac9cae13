#include "github/commands.h"

#include <cstddef>

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

std::string join_lines(const std::vector<std::string_view>& lines, std::size_t from) {
  std::string out;
  for (std::size_t i = from; i < lines.size(); ++i) {
    out += '\n';
    out += lines[i];
  }
  return out;
}

Command make_command(CommandName name, std::string_view rest_of_line,
                     const std::vector<std::string_view>& lines, std::size_t line_index) {
  Command command{name, {}};
  switch (name) {
    case CommandName::plan:
    case CommandName::retry:
    case CommandName::approve:  // an optional plan revision: "/approve 2"
      command.args = std::string(trim(rest_of_line));
      break;
    case CommandName::revise: {
      std::string feedback(rest_of_line);
      feedback += join_lines(lines, line_index + 1);
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
  }
  return "help";  // unreachable: every enumerator is handled above
}

const std::vector<CommandName>& all_commands() {
  static const std::vector<CommandName> commands = {
      CommandName::plan,  CommandName::revise, CommandName::approve, CommandName::cancel,
      CommandName::retry, CommandName::status, CommandName::help};
  return commands;
}

std::optional<CommandName> command_from_string(std::string_view name) {
  const std::string wanted = lowered(name);
  for (CommandName c : all_commands())
    if (to_string(c) == wanted) return c;
  return std::nullopt;
}

ParsedComment parse_comment(std::string_view body) {
  const std::vector<std::string_view> lines = split_lines(body);
  std::optional<Fence> fence;
  bool in_html_comment = false;  // hidden on GitHub: nobody saw a command there
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    if (fence) {
      if (closes(line, *fence)) fence.reset();
      continue;
    }
    if (in_html_comment) {
      in_html_comment = line.find("-->") == std::string_view::npos;
      continue;
    }
    auto start = content_start(line);
    if (!start) continue;
    const std::string_view rest = line.substr(*start);
    if ((fence = fence_opening(rest))) continue;
    if (rest.substr(0, 4) == "<!--") {
      in_html_comment = rest.find("-->", 4) == std::string_view::npos;
      continue;
    }
    if (rest[0] != '/') continue;  // prose, or a block quote ('>')

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
    for (CommandName c : all_commands()) {
      const std::size_t d = edit_distance(typed, to_string(c));
      if (d < best) {
        best = d;
        closest = c;
      }
    }
    if (!closest) continue;
    ParsedComment parsed;
    parsed.kind = ParsedComment::Kind::mistyped;
    parsed.typed = "/" + std::string(word);
    parsed.suggestion = "/" + std::string(to_string(*closest));
    return parsed;
  }
  return {};
}

}  // namespace bottega::github
