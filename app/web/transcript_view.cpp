#include "app/web/transcript_view.h"

#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "app/web/html.h"
#include "config/base/redactor.h"
#include "engine/agents/event.h"

namespace bottega::web {
namespace {

constexpr std::size_t kFoldLines = 12;
constexpr std::size_t kFoldBytes = 1500;
constexpr std::size_t kMaxShownBytes = 64 * 1024;  // of one event's text

std::string shown(std::string_view text) {
  std::string s = redact(text);
  if (s.size() > kMaxShownBytes) {
    const std::size_t total = s.size();
    s = std::string(agents::utf8_prefix(s, kMaxShownBytes));
    s += "\n… (" + std::to_string(total - s.size()) + " more bytes not shown)";
  }
  return s;
}

std::size_t line_count(std::string_view s) {
  std::size_t n = 1;
  for (char c : s) n += c == '\n';
  return n;
}

// A <pre> of the text, folded behind a summary when it is long.
std::string pre(std::string_view text, std::string_view label, bool fold_always = false) {
  const std::string s = shown(text);
  const std::size_t lines = line_count(s);
  const bool fold = fold_always || lines > kFoldLines || s.size() > kFoldBytes;
  std::string body = "<pre>" + escape(s) + "</pre>";
  if (!fold) return body;
  std::string first(s.substr(0, s.find('\n')));
  if (first.size() > 120) first = std::string(agents::utf8_prefix(first, 120)) + "…";
  return "<details><summary>" + escape(label) + " " + escape(first) + " <span class=\"dim\">(" +
         std::to_string(lines) + " lines)</span></summary>" + body + "</details>";
}

std::string money(double usd) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "$%.4f", usd);
  return buf;
}

std::string clock_time(double unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string duration(double seconds) {
  const auto s = static_cast<int64_t>(std::llround(seconds));
  if (s < 60) return std::to_string(s) + " s";
  return std::to_string(s / 60) + " min " + std::to_string(s % 60) + " s";
}

std::string str(simdjson::dom::element e, const char* key) {
  std::string_view v;
  if (e[key].get_string().get(v)) return "";
  return std::string(v);
}

}  // namespace

std::optional<Cursor> parse_cursor(std::string_view text) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  Cursor c;
  auto a = text.substr(0, colon), b = text.substr(colon + 1);
  auto [ea, ra] = std::from_chars(a.data(), a.data() + a.size(), c.run);
  auto [eb, rb] = std::from_chars(b.data(), b.data() + b.size(), c.seq);
  if (ra != std::errc() || rb != std::errc() || ea != a.data() + a.size() ||
      eb != b.data() + b.size() || c.run < 0 || c.seq < Cursor::kStart)
    return std::nullopt;
  return c;
}

std::string run_table_head() {
  return "<tr><th>#</th><th>role</th><th>harness / model</th><th>started (UTC)</th>"
         "<th>duration</th><th>tokens in / out</th><th>cost</th><th>verdict</th>"
         "<th>exit</th></tr>";
}

std::string run_row(const RunView& run) {
  std::string out =
      "<tr id=\"run-" + std::to_string(run.id) + "\" class=\"run " + escape(run.status) + "\">";
  out += "<td><a href=\"#transcript-" + std::to_string(run.id) + "\">" + std::to_string(run.id) +
         "</a></td>";
  out += "<td>" + escape(run.role) + "</td>";
  out += "<td>" + escape(run.harness) + " / " + escape(run.model) +
         (run.effort.empty() ? "" : " (" + escape(run.effort) + ")") + "</td>";
  out += "<td>" + clock_time(run.started_at) + "</td>";
  out += "<td>" + (run.ended_at ? duration(*run.ended_at - run.started_at) : "running…") + "</td>";
  out += "<td>" + std::to_string(run.input_tokens + run.cached_input_tokens) + " / " +
         std::to_string(run.output_tokens) + "</td>";
  out += "<td>" + (run.cost_usd ? money(*run.cost_usd) : std::string("–")) + "</td>";
  out += "<td class=\"verdict\">" + escape(run.verdict.empty() ? "–" : run.verdict) + "</td>";
  std::string exit = run.ended_at ? escape(run.status) : "";
  if (run.exit_code) exit += " (" + std::to_string(*run.exit_code) + ")";
  if (run.ended_at && !run.message.empty() && run.status != "succeeded")
    exit += "<br><span class=\"dim\">" + escape(shown(run.message)) + "</span>";
  out += "<td class=\"exit\">" + exit + "</td></tr>";
  return out;
}

std::string event_html(std::string_view kind, std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  if (parser.parse(json.data(), json.size()).get(e))
    return "<div class=\"ev system\"><span class=\"k\">?</span> unreadable event</div>";
  const std::string text = str(e, "text");
  std::string out =
      "<div class=\"ev " + escape(kind) + "\"><span class=\"k\">" + escape(kind) + "</span> ";
  if (kind == "assistant") {
    out += "<div class=\"md\">" + markdown(shown(text)) + "</div>";
  } else if (kind == "user") {
    out += pre(text, "prompt", line_count(text) > 3);
  } else if (kind == "thinking") {
    out += pre(text, "thinking", true);
  } else if (kind == "tool_use") {
    // A shell tool's JSON input shows as its command line.
    std::string input = str(e, "input");
    simdjson::dom::parser inner;
    simdjson::dom::element args;
    std::string_view command;
    if (!input.empty() && input.front() == '{' && !inner.parse(input).get(args) &&
        !args["command"].get_string().get(command))
      input = "$ " + std::string(command);
    out += "<b>" + escape(str(e, "tool")) + "</b> " + pre(input, "input");
  } else if (kind == "tool_result") {
    int64_t code = 0;
    bool is_error = false;
    if (e["is_error"].get_bool().get(is_error)) is_error = false;
    std::string label = "output";
    if (!e["exit_code"].get_int64().get(code)) label += " (exit " + std::to_string(code) + ")";
    if (is_error) out += "<span class=\"bad\">error</span> ";
    out += pre(text, label);
  } else if (kind == "result") {
    simdjson::dom::element usage;
    std::string summary = str(e, "subtype");
    if (!e["usage"].get(usage)) {
      int64_t in = 0, out_tokens = 0;
      double cost = 0;
      if (usage["input_tokens"].get_int64().get(in)) in = 0;
      if (usage["output_tokens"].get_int64().get(out_tokens)) out_tokens = 0;
      summary += " · " + std::to_string(in) + " tokens in, " + std::to_string(out_tokens) + " out";
      if (!usage["cost_usd"].get_double().get(cost)) summary += " · " + money(cost);
    }
    out += escape(summary);
    if (!text.empty()) out += pre(text, "result");
  } else {
    std::string sub = str(e, "subtype");
    if (!sub.empty()) out += "<span class=\"dim\">" + escape(sub) + "</span> ";
    out += pre(text, kind == "error" ? "error" : "system");
  }
  out += "</div>";
  return out;
}

std::string sse(const std::vector<StreamItem>& items) {
  std::string out;
  for (const auto& item : items) {
    out += "id: " + item.id.str() + "\nevent: " + (item.is_run ? "run" : "event") + "\n";
    std::string text = item.html;
    std::erase(text, '\r');  // a CR would end an SSE line
    std::string_view html = text;
    while (true) {
      auto nl = html.find('\n');
      out += "data: ";
      out += html.substr(0, nl);
      out += '\n';
      if (nl == std::string_view::npos) break;
      html.remove_prefix(nl + 1);
    }
    out += '\n';
  }
  return out;
}

}  // namespace bottega::web
