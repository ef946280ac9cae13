#include "engine/report/text.h"

namespace bottega::report {
namespace {

constexpr std::string_view kWhitespace = " \t\r\n";
constexpr std::string_view kEllipsis = "…";

std::size_t run_length(std::string_view text, char c) {
  std::size_t n = 0;
  while (n < text.size() && text[n] == c) ++n;
  return n;
}

}  // namespace

bool is_blank(std::string_view text) {
  return text.find_first_not_of(kWhitespace) == std::string_view::npos;
}

std::string_view trim(std::string_view text) {
  std::size_t begin = text.find_first_not_of(kWhitespace);
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(kWhitespace) - begin + 1);
}

std::string normalize_newlines(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      out += '\n';
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::size_t utf8_floor(std::string_view text, std::size_t n) {
  if (n >= text.size()) return text.size();
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  return n;
}

std::size_t longest_run(std::string_view text, char c) {
  std::size_t longest = 0;
  std::size_t run = 0;
  for (char x : text) {
    run = x == c ? run + 1 : 0;
    if (run > longest) longest = run;
  }
  return longest;
}

bool unindent(std::string_view line, std::string_view* content) {
  std::size_t spaces = run_length(line, ' ');
  if (spaces > 3) return false;
  *content = line.substr(spaces);
  return true;
}

std::vector<Line> split_lines(std::string_view doc, std::string* open_fence) {
  std::vector<Line> lines;
  char fence_char = 0;
  std::size_t fence_len = 0;
  bool in_comment = false;
  std::size_t pos = 0;
  while (pos < doc.size()) {
    std::size_t end = doc.find('\n', pos);
    std::size_t next = end == std::string_view::npos ? doc.size() : end + 1;
    if (end == std::string_view::npos) end = doc.size();
    Line line;
    line.text = doc.substr(pos, end - pos);
    if (!line.text.empty() && line.text.back() == '\r') line.text.remove_suffix(1);
    line.begin = pos;
    std::string_view content;
    bool plain = unindent(line.text, &content);

    if (fence_char != 0) {
      line.kind = Line::kFence;
      std::size_t run = run_length(content, fence_char);
      if (plain && run >= fence_len && is_blank(content.substr(run))) fence_char = 0;
    } else if (in_comment) {
      line.kind = Line::kComment;
      if (line.text.find("-->") != std::string_view::npos) in_comment = false;
    } else if (plain && (content.starts_with("```") || content.starts_with("~~~"))) {
      line.kind = Line::kFence;
      fence_char = content.front();
      fence_len = run_length(content, fence_char);
    } else if (plain && content.starts_with("<!--")) {
      line.kind = Line::kComment;
      in_comment = content.find("-->", 4) == std::string_view::npos;
    }
    lines.push_back(line);
    pos = next;
  }
  if (open_fence != nullptr) {
    *open_fence = fence_char != 0 ? std::string(fence_len, fence_char) : std::string();
  }
  return lines;
}

std::string shorten_markdown(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  std::size_t limit = max_bytes > kEllipsis.size() + 2 ? max_bytes - kEllipsis.size() - 2 : 0;
  std::string_view separator = "\n\n";
  std::size_t cut = text.rfind("\n\n", limit);
  if (cut == std::string_view::npos || cut < limit / 2) cut = text.rfind('\n', limit);
  if (cut == std::string_view::npos || cut < limit / 2) {
    separator = " ";
    cut = text.rfind(' ', limit);
    if (cut == std::string_view::npos || cut < limit / 2) cut = utf8_floor(text, limit);
  }
  std::string_view kept = text.substr(0, cut);
  kept = kept.substr(0, kept.find_last_not_of(kWhitespace) + 1);
  std::string fence;
  split_lines(kept, &fence);
  std::string out(kept);
  if (!fence.empty()) {
    out += "\n" + fence;
    separator = "\n\n";
  }
  out += separator;
  out += kEllipsis;
  return out;
}

}  // namespace bottega::report
