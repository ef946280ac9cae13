#include "app/web/task_view.h"

#include <cstdio>
#include <ctime>
#include <map>

#include "app/web/html.h"
#include "engine/report/task_document.h"

namespace bottega::web {
namespace {

std::string when(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

std::string base(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

std::string issue_url(const std::string& web, const std::string& repo, int64_t issue) {
  return base(web) + "/" + repo + "/issues/" + std::to_string(issue);
}

const std::vector<workflow::Phase>& board_phases() {
  using P = workflow::Phase;
  // Every phase a task can be seen in (idle is not work yet): a task whose
  // phase has no column would vanish from the board, e.g. during a fix turn.
  static const std::vector<P> phases = {
      P::planning, P::awaiting_approval, P::awaiting_answers, P::implementing, P::reviewing,
      P::refining, P::opening_pr,        P::pr_open,          P::fixing,       P::blocked,
      P::done,     P::cancelled};
  return phases;
}

std::string phase_title(std::string_view phase) {
  std::string s(phase);
  for (auto& c : s)
    if (c == '_') c = ' ';
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

}  // namespace

std::string board_html(const std::vector<TaskSummary>& tasks, const std::string& github_web_url) {
  std::string out = "<h1>Tasks</h1>";
  if (tasks.empty())
    return out +
           "<p class=\"dim\">No task you can see yet. Label an issue <code>bottega</code> to "
           "start one.</p>";
  std::map<std::string, std::vector<const TaskSummary*>> by_phase;
  for (const auto& t : tasks) by_phase[t.phase].push_back(&t);
  out += "<div class=\"board\">";
  for (auto phase : board_phases()) {
    const std::string name(workflow::to_string(phase));
    auto it = by_phase.find(name);
    if (it == by_phase.end()) continue;
    out += "<section class=\"column\" id=\"phase-" + name + "\"><h2>" + phase_title(name) +
           " <span class=\"count\">" + std::to_string(it->second.size()) + "</span></h2>";
    for (const TaskSummary* t : it->second) {
      out += "<article class=\"card\"><a class=\"title\" href=\"/tasks/" + std::to_string(t->id) +
             "\">" + escape(t->title.empty() ? "(untitled)" : t->title) +
             "</a><div class=\"meta\">";
      out += "<a href=\"" + escape(issue_url(github_web_url, t->repo, t->issue)) + "\">" +
             escape(t->repo) + "#" + std::to_string(t->issue) + "</a>";
      if (t->pr_number > 0 && !t->pr_url.empty())
        out +=
            " · <a href=\"" + escape(t->pr_url) + "\">PR #" + std::to_string(t->pr_number) + "</a>";
      out += " · <span class=\"dim\">" + when(t->updated_at) + "</span></div></article>";
    }
    out += "</section>";
  }
  out += "</div>";
  return out;
}

std::string task_html(const TaskDetail& detail, const std::vector<StreamItem>& items,
                      const std::string& github_web_url) {
  const workflow::Task& t = detail.task;
  const std::string phase(workflow::to_string(t.phase));
  std::string out = "<nav class=\"crumbs\"><a href=\"/tasks\">Tasks</a></nav>";
  out += "<h1>" + escape(t.title) + " <span class=\"phase " + phase + "\" id=\"phase\">" +
         phase_title(phase) + "</span></h1>";

  // Facts.
  out += "<dl class=\"facts\">";
  out += "<dt>Issue</dt><dd><a href=\"" + escape(issue_url(github_web_url, t.repo, t.issue)) +
         "\">" + escape(t.repo) + "#" + std::to_string(t.issue) + "</a></dd>";
  if (t.iteration > 0)
    out += "<dt>Iteration</dt><dd>" + std::to_string(t.iteration) + " of " +
           std::to_string(t.max_iterations) + "</dd>";
  if (!t.branch.empty()) out += "<dt>Branch</dt><dd><code>" + escape(t.branch) + "</code></dd>";
  if (t.pr_number > 0)
    out += "<dt>Pull request</dt><dd><a id=\"pr-link\" href=\"" + escape(t.pr_url) + "\">#" +
           std::to_string(t.pr_number) + "</a></dd>";
  char cost[48];
  std::snprintf(cost, sizeof cost, "$%.4f", t.cost_usd);
  char budget[48] = "";
  if (t.max_cost_usd > 0) std::snprintf(budget, sizeof budget, " of $%.2f", t.max_cost_usd);
  out += "<dt>Cost</dt><dd>" + std::string(cost) + budget + " · " + std::to_string(t.tokens_in) +
         " tokens in, " + std::to_string(t.tokens_out) + " out</dd>";
  if (t.started_at > 0) out += "<dt>Started</dt><dd>" + when(t.started_at) + "</dd>";
  if (!t.failure_what.empty())
    out += "<dt>Last error</dt><dd class=\"bad\">" + escape(t.failure_what) +
           (t.failure_why.empty() ? "" : ": " + escape(t.failure_why)) + "</dd>";
  out += "</dl>";

  // The request, then the plan.
  out += "<section class=\"doc\" id=\"request\"><h2>Request</h2>" +
         markdown(report::section(t.document, "Request")) + "</section>";
  out += "<section class=\"doc\" id=\"plan\"><h2>Plan";
  if (t.plan_revision > 0) {
    out += " <span class=\"dim\">revision " + std::to_string(t.plan_revision) + "</span>";
    if (t.approved_revision == t.plan_revision)
      out += " <span class=\"good\">approved by " + escape(t.approved_by) + "</span>";
    else if (t.approved_revision > 0)
      out += " <span class=\"dim\">(revision " + std::to_string(t.approved_revision) +
             " was approved)</span>";
    else
      out += " <span class=\"dim\">not approved yet</span>";
    auto todos = report::count_todos(t.document);
    if (todos.total > 0)
      out += " <span class=\"todo\">" + std::to_string(todos.done) + "/" +
             std::to_string(todos.total) + " done</span>";
  }
  out += "</h2>";
  out += t.plan_revision > 0 ? markdown(report::plan_part(t.document))
                             : std::string("<p class=\"dim\">No plan yet.</p>");
  out += "</section>";

  // Runs and transcripts, from the stream's items.
  std::map<int64_t, std::string> rows;  // the last row of each run
  std::map<int64_t, std::string> transcripts;
  std::map<int64_t, std::string> roles;
  Cursor last{};
  for (const auto& item : items) {
    last = item.id;
    if (item.is_run)
      rows[item.id.run] = item.html;
    else
      transcripts[item.id.run] += item.html + "\n";
  }
  out += "<section id=\"runs\"><h2>Runs</h2><div class=\"scroll\"><table id=\"run-table\">" +
         run_table_head();
  for (const auto& [id, row] : rows) out += row;
  out += "</table></div></section>";
  out +=
      "<section id=\"transcripts\"><h2>Transcript <span class=\"live\" id=\"live-state\" "
      "data-stream=\"/tasks/" +
      std::to_string(t.id) + "/stream?after=" + last.str() + "\"></span></h2>";
  for (const auto& [id, row] : rows) {
    out += "<section class=\"transcript\" id=\"transcript-" + std::to_string(id) + "\"><h3>Run " +
           std::to_string(id) + "</h3>";
    auto it = transcripts.find(id);
    if (it != transcripts.end()) out += it->second;
    out += "</section>";
  }
  out += "</section>";
  return out;
}

}  // namespace bottega::web
