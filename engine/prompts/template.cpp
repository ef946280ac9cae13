#include "engine/prompts/template.h"

#include <algorithm>
#include <cstddef>

namespace bottega::prompts {
namespace {

bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }
bool is_blank(char c) { return c == ' ' || c == '\t'; }

struct Tag {
  enum Kind { kVariable, kUnclosed, kMalformed } kind;
  std::string_view name;  // kVariable: the variable's name
  std::size_t end;        // one past the tag (kVariable, kMalformed)
};

// Parses the tag whose `{{` starts at `open`.
Tag parse_tag(std::string_view text, std::size_t open) {
  std::size_t line_end = text.find('\n', open);
  if (line_end == std::string_view::npos) line_end = text.size();
  std::string_view line = text.substr(0, line_end);

  std::size_t p = open + 2;
  while (p < line.size() && is_blank(line[p])) ++p;
  std::size_t name_begin = p;
  if (p < line.size() && is_name_start(line[p])) {
    while (p < line.size() && is_name_char(line[p])) ++p;
  }
  std::size_t name_end = p;
  while (p < line.size() && is_blank(line[p])) ++p;
  if (name_end > name_begin && line.substr(p, 2) == "}}") {
    return {Tag::kVariable, text.substr(name_begin, name_end - name_begin), p + 2};
  }
  std::size_t close = line.find("}}", open + 2);
  if (close == std::string_view::npos) return {Tag::kUnclosed, {}, line_end};
  return {Tag::kMalformed, {}, close + 2};
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string unknown_variable_message(std::string_view name, const TemplateVars& vars) {
  std::string message = "unknown variable {{" + std::string(name) + "}}";
  std::string_view closest;
  std::size_t best = 3;  // suggest only close misspellings
  for (const auto& [known, value] : vars) {
    std::size_t d = edit_distance(name, known);
    if (d < best && d < known.size()) {
      best = d;
      closest = known;
    }
  }
  if (!closest.empty()) message += " (did you mean {{" + std::string(closest) + "}}?)";
  message += "; known:";
  if (vars.empty()) message += " (none)";
  bool first = true;
  for (const auto& [known, value] : vars) {
    message += first ? " " : ", ";
    message += known;
    first = false;
  }
  return message;
}

}  // namespace

Result<std::string> render_template(std::string_view text, const TemplateVars& vars,
                                    std::string_view name) {
  std::string out;
  out.reserve(text.size());
  int line = 1;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t open = text.find("{{", pos);
    if (open == std::string_view::npos) open = text.size();
    std::string_view plain = text.substr(pos, open - pos);
    line += static_cast<int>(std::count(plain.begin(), plain.end(), '\n'));
    out.append(plain);
    if (open == text.size()) break;

    Tag tag = parse_tag(text, open);
    auto fail = [&](const std::string& what) {
      return make_error(std::string(name) + " line " + std::to_string(line) + ": " + what);
    };
    switch (tag.kind) {
      case Tag::kUnclosed:
        return fail("unclosed {{");
      case Tag::kMalformed:
        return fail(std::string(text.substr(open, tag.end - open)) +
                    " is not a variable: names are [a-z_][a-z0-9_]* and there is no other "
                    "syntax");
      case Tag::kVariable:
        break;
    }
    auto found = vars.find(std::string(tag.name));
    if (found == vars.end()) return fail(unknown_variable_message(tag.name, vars));
    out.append(found->second);
    pos = tag.end;
  }
  return out;
}

std::vector<std::string> template_variables(std::string_view text) {
  std::vector<std::string> names;
  std::size_t pos = 0;
  while ((pos = text.find("{{", pos)) != std::string_view::npos) {
    Tag tag = parse_tag(text, pos);
    if (tag.kind == Tag::kVariable &&
        std::find(names.begin(), names.end(), tag.name) == names.end()) {
      names.emplace_back(tag.name);
    }
    pos = tag.kind == Tag::kUnclosed ? pos + 2 : tag.end;
  }
  return names;
}

}  // namespace bottega::prompts
