#include "engine/report/comments.h"

#include <algorithm>
#include <cinttypes>
#include <climits>
#include <cstdio>

#include "engine/report/text.h"

namespace bottega::report {
namespace {

constexpr std::string_view kPlanBegin = "<!-- bottega:plan-begin -->";
constexpr std::string_view kPlanEnd = "<!-- bottega:plan-end -->";
constexpr std::string_view kMarkerPrefix = "<!-- bottega:";

// Room for a plan comment's header and footer.
constexpr std::size_t kMaxPlanBytes = kMaxCommentBytes - 2048;
constexpr std::size_t kMaxStderrLines = 40;
constexpr std::size_t kMaxStderrBytes = 4096;
constexpr std::size_t kMaxWhatBytes = 300;
constexpr std::size_t kMaxWhyBytes = 3000;
constexpr std::size_t kMaxNoteBytes = 500;
constexpr std::size_t kMaxNotes = 20;
constexpr std::size_t kMaxTitleBytes = 256;

// ---- marker parsing ----

bool consume(std::string_view& s, std::string_view token) {
  if (!s.starts_with(token)) return false;
  s.remove_prefix(token.size());
  return true;
}

// Skips spaces and tabs; true when there was at least one.
bool skip_spaces(std::string_view& s) {
  std::size_t n = s.find_first_not_of(" \t");
  if (n == std::string_view::npos) n = s.size();
  s.remove_prefix(n);
  return n > 0;
}

std::optional<int64_t> parse_number(std::string_view& s, int64_t max) {
  std::size_t digits = 0;
  int64_t value = 0;
  while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') {
    int d = s[digits] - '0';
    if (value > (max - d) / 10) return std::nullopt;
    value = value * 10 + d;
    ++digits;
  }
  if (digits == 0) return std::nullopt;
  s.remove_prefix(digits);
  return value;
}

// The body from its opening "<!--" on, after whitespace and a byte order
// mark; empty when the body does not open with a comment.
std::string_view marker_start(std::string_view body) {
  consume(body, "\xEF\xBB\xBF");
  std::size_t start = body.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) return {};
  body.remove_prefix(start);
  return body.starts_with("<!--") ? body : std::string_view();
}

// ---- text shaping ----

std::string one_line(std::string_view text) {
  std::string out;
  bool space = false;
  for (char c : trim(text)) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.' || c == '`';
}

// "@alice" would notify alice; an invisible word joiner after the @ keeps the
// text readable and the notification away. E-mail addresses stay as they are.
std::string defuse_mentions(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    out += text[i];
    if (text[i] != '@' || i + 1 >= text.size()) continue;
    char next = text[i + 1];
    bool name = (next >= 'a' && next <= 'z') || (next >= 'A' && next <= 'Z') ||
                (next >= '0' && next <= '9');
    if (name && (i == 0 || !is_word_char(text[i - 1]))) out += "\u2060";
  }
  return out;
}

std::string defuse_markers(std::string_view text) {
  std::string out(text);
  std::size_t pos = 0;
  while ((pos = out.find(kMarkerPrefix, pos)) != std::string::npos) {
    out.replace(pos, 1, "&lt;");
    pos += kMarkerPrefix.size();
  }
  return out;
}

std::string cell(std::string_view text) {
  std::string out;
  for (char c : one_line(text)) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out.empty() ? "—" : out;
}

std::string link_target(std::string_view url) {
  std::string out;
  for (char c : url) {
    if (c == ' ') {
      out += "%20";
    } else if (c == '(') {
      out += "%28";
    } else if (c == ')') {
      out += "%29";
    } else if (c != '\n' && c != '\r') {
      out += c;
    }
  }
  return out;
}

std::string with_thousands(int64_t n) {
  std::string digits = std::to_string(std::max<int64_t>(n, 0));
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string dollars(double amount) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "$%.2f", amount);
  return buffer;
}

std::string two_digits(int64_t n) {
  std::string out = n < 10 ? "0" : "";
  out += std::to_string(n);  // appended: GCC 12 -O2 warns (falsely, -Wrestrict) on "0" + string
  return out;
}

// Terminal output made fit for a code block: escape sequences and control
// characters dropped, a carriage return (a progress line redrawn) keeping
// only what was drawn last.
std::string clean_terminal_text(std::string_view text) {
  std::string out;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == 0x1B) {
      if (i + 1 < text.size() && text[i + 1] == '[') {  // CSI: parameters, then a final byte
        i += 2;
        while (i < text.size() && !(text[i] >= 0x40 && text[i] <= 0x7E)) ++i;
      } else if (i + 1 < text.size() && text[i + 1] == ']') {  // OSC: up to BEL or ESC '\'
        i += 2;
        while (i < text.size() && text[i] != '\a' &&
               !(text[i] == 0x1B && i + 1 < text.size() && text[i + 1] == '\\')) {
          ++i;
        }
        if (i < text.size() && text[i] == 0x1B) ++i;
      } else {
        ++i;  // a two-byte escape
      }
      continue;
    }
    if (c == '\r') {
      if (i + 1 < text.size() && text[i + 1] == '\n') continue;
      out.resize(line_start);
      continue;
    }
    if (c == '\n') {
      out += '\n';
      line_start = out.size();
      continue;
    }
    if (c < 0x20 && c != '\t') continue;
    if (c == 0x7F) continue;
    out += static_cast<char>(c);
  }
  return out;
}

// The last kMaxStderrLines lines of the cleaned tail, at most kMaxStderrBytes,
// starting at a line (or at least a UTF-8) boundary.
std::string stderr_excerpt(std::string_view raw, std::size_t* line_count) {
  std::string text = clean_terminal_text(raw);
  std::string_view tail = text;
  tail = tail.substr(0, tail.find_last_not_of(" \t\n") + 1);
  std::size_t first = tail.find_first_not_of('\n');
  tail = first == std::string_view::npos ? std::string_view() : tail.substr(first);
  std::size_t lines = 1;
  std::size_t pos = tail.size();
  while (pos > 0) {
    std::size_t nl = tail.rfind('\n', pos - 1);
    if (nl == std::string_view::npos) break;
    if (lines == kMaxStderrLines) {
      tail.remove_prefix(nl + 1);
      break;
    }
    ++lines;
    pos = nl;
  }
  if (tail.size() > kMaxStderrBytes) {
    std::size_t start = tail.size() - kMaxStderrBytes;
    std::size_t nl = tail.find('\n', start);
    if (nl != std::string_view::npos && nl + 1 < tail.size()) {
      start = nl + 1;
    } else {
      while (start < tail.size() && (static_cast<unsigned char>(tail[start]) & 0xC0) == 0x80) {
        ++start;
      }
    }
    tail.remove_prefix(start);
  }
  *line_count =
      tail.empty() ? 0 : 1 + static_cast<std::size_t>(std::count(tail.begin(), tail.end(), '\n'));
  return std::string(tail);
}

std::string fenced(std::string_view text) {
  std::string fence(std::max<std::size_t>(3, longest_run(text, '`') + 1), '`');
  return fence + "\n" + std::string(text) + "\n" + fence;
}

std::string capped(std::string_view text, std::size_t max_bytes) {
  return shorten_markdown(trim(text), max_bytes);
}

}  // namespace

// ---- The plan comment ----

namespace {
// The plan comment up to its footer; `whole`: the plan is shown whole,
// between its markers.
std::string plan_comment_head(int64_t task_id, int revision, std::string_view plan_markdown,
                              bool& whole);
}  // namespace

std::string render_plan_comment(int64_t task_id, int revision, std::string_view plan_markdown,
                                std::string_view footer, bool editable) {
  bool whole = false;
  std::string out = plan_comment_head(task_id, revision, plan_markdown, whole);
  out += "---\n\n" + std::string(trim(footer));
  if (editable && whole)
    out += " · you may also edit this comment: the edited plan becomes revision " +
           std::to_string(revision + 1);
  else if (editable)
    out +=
        " · the plan is too long to show here in full, so edits to this comment are not read "
        "back";
  out += "\n";
  return out;
}

namespace {
std::string plan_comment_head(int64_t task_id, int revision, std::string_view plan_markdown,
                              bool& whole) {
  std::string out = "<!-- bottega:plan task=" + std::to_string(task_id) +
                    " revision=" + std::to_string(revision) + " -->\n";
  out += "### Plan (revision " + std::to_string(revision) + ")\n\n";
  std::string plan = normalize_newlines(trim(plan_markdown));
  whole = plan.size() <= kMaxPlanBytes;
  if (whole) {
    std::string open_fence;
    split_lines(plan, &open_fence);
    if (!open_fence.empty()) plan += "\n" + open_fence;
    out += std::string(kPlanBegin) + "\n\n" + plan + "\n\n" + std::string(kPlanEnd) + "\n\n";
  } else {
    out += shorten_markdown(plan, kMaxPlanBytes) + "\n\n";
  }
  return out;
}
}  // namespace

std::string render_plan_comment(int64_t task_id, int revision, std::string_view plan_markdown,
                                std::string_view approve_permission) {
  std::string out = "<!-- bottega:plan task=" + std::to_string(task_id) +
                    " revision=" + std::to_string(revision) + " -->\n";
  out += "### Plan (revision " + std::to_string(revision) + ")\n\n";

  std::string plan = normalize_newlines(trim(plan_markdown));
  bool whole = plan.size() <= kMaxPlanBytes;
  if (whole) {
    // A code block left open would swallow the end marker and the footer.
    std::string open_fence;
    split_lines(plan, &open_fence);
    if (!open_fence.empty()) plan += "\n" + open_fence;
    out += std::string(kPlanBegin) + "\n\n" + plan + "\n\n" + std::string(kPlanEnd) + "\n\n";
  } else {
    out += shorten_markdown(plan, kMaxPlanBytes) + "\n\n";
  }

  out += "---\n\n`/approve` to start the work";
  if (!trim(approve_permission).empty()) {
    out += " (needs " + one_line(approve_permission) + " permission)";
  }
  out += " · `/revise <feedback>` for a new revision";
  if (whole) {
    out += " · you may also edit this comment: the edited plan becomes revision " +
           std::to_string(revision + 1);
  } else {
    out +=
        " · the plan is too long to show here in full, so edits to this comment are not "
        "read back";
  }
  out += "\n";
  return out;
}

std::optional<PlanCommentMarker> parse_plan_marker(std::string_view body) {
  std::string_view s = marker_start(body);
  if (!consume(s, "<!--")) return std::nullopt;
  skip_spaces(s);
  if (!consume(s, "bottega:plan") || !skip_spaces(s) || !consume(s, "task=")) return std::nullopt;
  auto task = parse_number(s, INT64_MAX);
  if (!task || !skip_spaces(s) || !consume(s, "revision=")) return std::nullopt;
  auto revision = parse_number(s, INT_MAX);
  if (!revision) return std::nullopt;
  skip_spaces(s);
  if (!consume(s, "-->")) return std::nullopt;
  return PlanCommentMarker{*task, static_cast<int>(*revision)};
}

std::optional<std::string> extract_plan(std::string_view body) {
  std::size_t begin = body.find(kPlanBegin);
  if (begin == std::string_view::npos) return std::nullopt;
  begin += kPlanBegin.size();
  std::size_t end = body.rfind(kPlanEnd);
  if (end == std::string_view::npos || end < begin) return std::nullopt;
  return std::string(trim(normalize_newlines(body.substr(begin, end - begin))));
}

// ---- The status comment ----

std::string format_elapsed(int64_t seconds) {
  if (seconds < 0) seconds = 0;
  int64_t days = seconds / 86400;
  int64_t hours = seconds % 86400 / 3600;
  int64_t minutes = seconds % 3600 / 60;
  int64_t secs = seconds % 60;
  if (days > 0) return std::to_string(days) + "d " + two_digits(hours) + "h";
  if (hours > 0) return std::to_string(hours) + "h " + two_digits(minutes) + "m";
  if (minutes > 0) return std::to_string(minutes) + "m " + two_digits(secs) + "s";
  return std::to_string(secs) + "s";
}

std::string render_status_comment(const StatusView& v) {
  std::string out = "<!-- bottega:status task=" + std::to_string(v.task_id) + " -->\n";
  out += "### Bottega status\n\n";

  std::string phase = one_line(v.phase);
  std::string detail = one_line(capped(v.phase_detail, kMaxWhatBytes));
  if (!detail.empty()) phase += (phase.empty() ? "" : " — ") + detail;

  std::string iteration = "—";
  if (v.max_iterations > 0) {
    iteration = std::to_string(v.iteration) + " of " + std::to_string(v.max_iterations);
  } else if (v.iteration > 0) {
    iteration = std::to_string(v.iteration);
  }
  std::string todos = v.todos.total > 0 ? std::to_string(v.todos.done) + " of " +
                                              std::to_string(v.todos.total) + " done"
                                        : "—";
  std::string tokens = v.tokens_in == 0 && v.tokens_out == 0
                           ? "—"
                           : with_thousands(v.tokens_in) + " / " + with_thousands(v.tokens_out);
  std::string cost = dollars(v.cost_usd);
  if (v.max_cost_usd > 0) cost += " of " + dollars(v.max_cost_usd);

  out += "| Phase | Iteration | To-do | Tokens (in / out) | Cost | Elapsed |\n";
  out += "|---|---|---|---|---|---|\n";
  out += "| " + cell(defuse_mentions(phase)) + " | " + iteration + " | " + todos + " | " + tokens +
         " | " + cost + " | " + format_elapsed(v.elapsed_seconds) + " |\n";

  std::vector<std::string> facts;
  if (!v.branch.empty()) {
    std::string branch = "`" + one_line(v.branch) + "`";
    if (!v.branch_url.empty()) branch = "[" + branch + "](" + link_target(v.branch_url) + ")";
    facts.push_back("**Branch:** " + branch);
  }
  if (v.pr_number > 0) {
    std::string pr = "#" + std::to_string(v.pr_number);
    if (!v.pr_url.empty()) pr = "[" + pr + "](" + link_target(v.pr_url) + ")";
    facts.push_back("**Pull request:** " + pr);
  }
  if (!v.task_url.empty())
    facts.push_back("**Task page:** [runs and live transcript](" + link_target(v.task_url) + ")");
  if (v.plan_revision > 0) {
    std::string plan = "**Plan:** revision " + std::to_string(v.plan_revision);
    if (v.approved_revision == v.plan_revision) {
      plan += ", approved";
    } else if (v.approved_revision > 0) {
      plan += " (revision " + std::to_string(v.approved_revision) + " was approved)";
    } else {
      plan += ", not approved yet";
    }
    facts.push_back(plan);
  }
  if (!facts.empty()) {
    out += "\n";
    for (std::size_t i = 0; i < facts.size(); ++i) out += (i > 0 ? " · " : "") + facts[i];
    out += "\n";
  }

  if (!trim(v.failure_what).empty()) {
    out += "\n#### ⚠️ What went wrong\n\n";
    out += "**" + defuse_mentions(one_line(capped(v.failure_what, kMaxWhatBytes))) + "**\n";
    if (!trim(v.failure_why).empty()) {
      out += "\n" + defuse_mentions(capped(normalize_newlines(v.failure_why), kMaxWhyBytes)) + "\n";
    }
    std::size_t lines = 0;
    std::string tail = stderr_excerpt(v.stderr_tail, &lines);
    if (!tail.empty()) {
      out += "\nAgent stderr (last " + std::to_string(lines) + (lines == 1 ? " line" : " lines") +
             "):\n\n" + fenced(tail) + "\n";
    }
  }

  std::vector<std::string> notes;
  for (const auto& note : v.notes) {
    if (!trim(note).empty()) notes.push_back(note);
  }
  if (!notes.empty()) {
    out += "\n";
    for (std::size_t i = 0; i < notes.size() && i < kMaxNotes; ++i) {
      out += "- " + defuse_mentions(one_line(capped(notes[i], kMaxNoteBytes))) + "\n";
    }
    if (notes.size() > kMaxNotes) {
      out += "- … and " + std::to_string(notes.size() - kMaxNotes) + " more\n";
    }
  }

  if (!trim(v.next_step).empty()) {
    out += "\n**Next:** " + one_line(capped(v.next_step, kMaxWhyBytes)) + "\n";
  }
  return out;
}

std::optional<int64_t> parse_status_marker(std::string_view body) {
  std::string_view s = marker_start(body);
  if (!consume(s, "<!--")) return std::nullopt;
  skip_spaces(s);
  if (!consume(s, "bottega:status") || !skip_spaces(s) || !consume(s, "task=")) {
    return std::nullopt;
  }
  auto task = parse_number(s, INT64_MAX);
  if (!task) return std::nullopt;
  skip_spaces(s);
  if (!consume(s, "-->")) return std::nullopt;
  return task;
}

// ---- The pull request ----

std::string pr_title(std::string_view issue_title) {
  std::string title = one_line(issue_title);
  if (title.empty()) return "Bottega task";
  title.resize(utf8_floor(title, kMaxTitleBytes));
  return std::string(trim(title));
}

std::string render_pr_body(int64_t issue, std::string_view plan_summary,
                           std::string_view todo_section, std::string_view extra) {
  return render_pr_body(issue, plan_summary, todo_section, extra, "");
}

std::string render_pr_body(int64_t issue, std::string_view plan_summary,
                           std::string_view todo_section, std::string_view extra,
                           std::string_view how) {
  std::string number = std::to_string(issue);
  std::string out;
  auto part = [&out](const std::string& text) {
    if (text.empty()) return;
    if (!out.empty()) out += "\n\n";
    out += text;
  };
  // Caps that keep the body within GitHub's limit whatever the agents wrote.
  part(capped(normalize_newlines(plan_summary), 4 * kMaxPlanSummaryBytes));
  std::string todos = capped(normalize_newlines(todo_section), 40000);
  if (!todos.empty()) part("### To-do\n\n" + todos);
  part(capped(normalize_newlines(extra), 12000));
  if (trim(how).empty())
    part("---\n\nWritten by coding agents from the plan approved on #" + number +
         ", and checked against it by a review agent.");
  else
    part("---\n\n" + capped(normalize_newlines(trim(how)), 2000));
  part("Closes #" + number);
  out += "\n";
  return out;
}

// ---- Replies ----

std::string render_reply(std::string_view text) {
  std::string reply = defuse_markers(normalize_newlines(trim(text)));
  if (reply.size() > kMaxCommentBytes - 16) reply = shorten_markdown(reply, kMaxCommentBytes - 16);
  return reply;
}

}  // namespace bottega::report
