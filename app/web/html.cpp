#include "app/web/html.h"

#include <cctype>
#include <vector>

#include "engine/agents/event.h"

namespace bottega::web {
namespace {

void append_escaped(std::string_view text, std::string& out) {
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

bool safe_url(std::string_view url) {
  return url.rfind("https://", 0) == 0 || url.rfind("http://", 0) == 0;
}

// Inline markup of one paragraph's text (already clean UTF-8).
void inline_markdown(std::string_view s, std::string& out) {
  std::size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c == '`') {
      auto end = s.find('`', i + 1);
      if (end != std::string_view::npos) {
        out += "<code>";
        append_escaped(s.substr(i + 1, end - i - 1), out);
        out += "</code>";
        i = end + 1;
        continue;
      }
    }
    if (c == '*' && i + 1 < s.size() && s[i + 1] == '*') {
      auto end = s.find("**", i + 2);
      if (end != std::string_view::npos && end > i + 2) {
        out += "<strong>";
        inline_markdown(s.substr(i + 2, end - i - 2), out);
        out += "</strong>";
        i = end + 2;
        continue;
      }
    }
    if ((c == '*' || c == '_') && i + 1 < s.size() && s[i + 1] != ' ' &&
        (i == 0 || !std::isalnum(static_cast<unsigned char>(s[i - 1])))) {
      auto end = s.find(c, i + 1);
      if (end != std::string_view::npos && end > i + 1 && s[end - 1] != ' ') {
        out += "<em>";
        inline_markdown(s.substr(i + 1, end - i - 1), out);
        out += "</em>";
        i = end + 1;
        continue;
      }
    }
    if (c == '[') {
      auto close = s.find("](", i);
      auto end = close == std::string_view::npos ? close : s.find(')', close + 2);
      if (end != std::string_view::npos &&
          s.substr(i + 1, close - i - 1).find('[') == std::string_view::npos) {
        auto text = s.substr(i + 1, close - i - 1);
        auto url = s.substr(close + 2, end - close - 2);
        if (safe_url(url)) {
          out += "<a href=\"";
          append_escaped(url, out);
          out += "\" rel=\"nofollow noopener\">";
          inline_markdown(text, out);
          out += "</a>";
          i = end + 1;
          continue;
        }
      }
    }
    append_escaped(std::string_view(&s[i], 1), out);
    ++i;
  }
}

struct ListItem {
  bool ordered = false;
  std::string_view text;
};

// "- x", "* x", "+ x", "1. x": the item; nullopt-like false otherwise.
bool list_item(std::string_view line, ListItem& item) {
  line = trim(line);
  if (line.size() >= 2 && (line[0] == '-' || line[0] == '*' || line[0] == '+') && line[1] == ' ') {
    item = {false, trim(line.substr(2))};
    return true;
  }
  std::size_t d = 0;
  while (d < line.size() && d < 9 && std::isdigit(static_cast<unsigned char>(line[d]))) ++d;
  if (d > 0 && d + 1 < line.size() && (line[d] == '.' || line[d] == ')') && line[d + 1] == ' ') {
    item = {true, trim(line.substr(d + 2))};
    return true;
  }
  return false;
}

}  // namespace

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 16);
  if (agents::is_clean_text(text)) {
    append_escaped(text, out);
  } else {
    append_escaped(agents::clean_text(text), out);
  }
  return out;
}

std::string markdown(std::string_view raw) {
  const std::string clean = agents::clean_text(raw);
  std::vector<std::string_view> lines;
  {
    std::string_view s = clean;
    while (!s.empty()) {
      auto nl = s.find('\n');
      lines.push_back(s.substr(0, nl));
      if (nl == std::string_view::npos) break;
      s.remove_prefix(nl + 1);
    }
  }
  std::string out;
  std::string paragraph;
  const char* open_list = nullptr;  // "ul" or "ol"
  auto flush_paragraph = [&] {
    if (paragraph.empty()) return;
    out += "<p>";
    inline_markdown(paragraph, out);
    out += "</p>\n";
    paragraph.clear();
  };
  auto close_list = [&] {
    if (!open_list) return;
    out += std::string("</") + open_list + ">\n";
    open_list = nullptr;
  };
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    std::string_view t = trim(line);
    if (t.rfind("<!--", 0) == 0) {  // an HTML comment: dropped, to its end
      flush_paragraph();
      while (i < lines.size() && lines[i].find("-->") == std::string_view::npos) ++i;
      continue;
    }
    if (t.rfind("```", 0) == 0 || t.rfind("~~~", 0) == 0) {
      flush_paragraph();
      close_list();
      const std::string_view fence = t.substr(0, 3);
      out += "<pre><code>";
      for (++i; i < lines.size() && trim(lines[i]).rfind(fence, 0) != 0; ++i) {
        append_escaped(lines[i], out);
        out += '\n';
      }
      out += "</code></pre>\n";
      continue;
    }
    if (t.empty()) {
      flush_paragraph();
      close_list();
      continue;
    }
    if (t[0] == '#') {
      std::size_t level = 0;
      while (level < t.size() && t[level] == '#') ++level;
      if (level <= 6 && (level == t.size() || t[level] == ' ')) {
        flush_paragraph();
        close_list();
        // Page headings are h1/h2: the document's start at h3.
        const std::string tag = "h" + std::to_string(std::min<std::size_t>(level + 2, 6));
        out += "<" + tag + ">";
        inline_markdown(trim(t.substr(level)), out);
        out += "</" + tag + ">\n";
        continue;
      }
    }
    if (t[0] == '>') {
      flush_paragraph();
      close_list();
      out += "<blockquote>";
      bool first = true;
      for (; i < lines.size() && !trim(lines[i]).empty() && trim(lines[i])[0] == '>'; ++i) {
        if (!first) out += "<br>";
        first = false;
        inline_markdown(trim(trim(lines[i]).substr(1)), out);
      }
      --i;
      out += "</blockquote>\n";
      continue;
    }
    ListItem item;
    if (list_item(line, item)) {
      flush_paragraph();
      const char* kind = item.ordered ? "ol" : "ul";
      if (open_list && std::string_view(open_list) != kind) close_list();
      if (!open_list) {
        out += std::string("<") + kind + ">\n";
        open_list = kind;
      }
      std::string_view text = item.text;
      out += "<li>";
      if (text.rfind("[ ]", 0) == 0) {
        out += "<span class=\"box\">☐</span> ";
        text = trim(text.substr(3));
      } else if (text.rfind("[x]", 0) == 0 || text.rfind("[X]", 0) == 0) {
        out += "<span class=\"box done\">☑</span> ";
        text = trim(text.substr(3));
      }
      inline_markdown(text, out);
      out += "</li>\n";
      continue;
    }
    if (open_list && (line.rfind("  ", 0) == 0 || line.rfind("\t", 0) == 0)) {
      // A continuation of the last item: appended to it.
      out.resize(out.size() - 6);  // "</li>\n"
      out += ' ';
      inline_markdown(t, out);
      out += "</li>\n";
      continue;
    }
    close_list();
    if (!paragraph.empty()) paragraph += ' ';
    paragraph += t;
  }
  flush_paragraph();
  close_list();
  return out;
}

std::string page(const PageFrame& frame) {
  std::string out =
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>";
  out += escape(frame.title);
  out +=
      " · Bottega</title><link rel=\"stylesheet\" href=\"/assets/bottega.css\">"
      "</head><body><header><a class=\"brand\" href=\"/tasks\">Bottega</a><nav>";
  if (frame.login.empty()) {
    out += "<a href=\"/auth/login\">Sign in with GitHub</a>";
  } else {
    out += "<span class=\"who\">" + escape(frame.login) +
           "</span><form method=\"post\" action=\"/auth/logout\"><button>Sign out</button></form>";
  }
  out += "</nav></header><main>";
  out += frame.body;
  out += "</main>";
  if (frame.live) out += "<script src=\"/assets/live.js\"></script>";
  out += "</body></html>\n";
  return out;
}

}  // namespace bottega::web
