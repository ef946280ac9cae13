// What the app posts on GitHub, rendered as markdown: the plan comment, the
// status comment, the pull request's title and body, and replies to
// commands. The plan and status comments are one per task, edited in place;
// each opens with a hidden marker (an HTML comment) that names its task, so
// the app finds its own comments again after a crash. The markers are a
// public contract (spec/comments.md). Trust a marker only in a comment the
// app's bot user wrote: anyone can type one.
// Thread-safety: pure functions. Ownership: results are owned copies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/report/task_document.h"

namespace bottega::report {

// GitHub refuses comment and pull request bodies over 65536 characters.
inline constexpr std::size_t kMaxCommentBytes = 65536;

// ---- The plan comment ----------------------------------------------------

// "<!-- bottega:plan task=<id> revision=<n> -->" on the first line, the
// header "### Plan (revision n)", the plan between
// "<!-- bottega:plan-begin -->" and "<!-- bottega:plan-end -->", and a footer
// saying who may do what ("`/approve` to start the work (needs <perm>
// permission) · `/revise <feedback>` for a new revision · you may also edit
// this comment: the edited plan becomes revision n+1"). A plan too long for a
// comment is shown cut, without the begin/end markers (an edit of a cut plan
// must not become the plan), and the footer says so.
std::string render_plan_comment(int64_t task_id, int revision, std::string_view plan_markdown,
                                std::string_view approve_permission);

// The same comment with another footer (the modes': open questions, work
// started without approval). editable: the footer goes on to say that an
// edit becomes the next revision (or, for a cut plan, is not read back).
std::string render_plan_comment(int64_t task_id, int revision, std::string_view plan_markdown,
                                std::string_view footer, bool editable);

struct PlanCommentMarker {
  int64_t task_id = 0;
  int revision = 0;
  friend bool operator==(const PlanCommentMarker&, const PlanCommentMarker&) = default;
};

// The marker opening `body` (leading whitespace allowed); nullopt when the
// body does not start with one.
std::optional<PlanCommentMarker> parse_plan_marker(std::string_view body);

// The plan between the begin and end markers (the first begin, the last
// end), trimmed, with LF line ends; nullopt when either marker is missing,
// as when a person deleted them while editing.
std::optional<std::string> extract_plan(std::string_view body);

// ---- The status comment --------------------------------------------------

struct StatusView {
  int64_t task_id = 0;
  std::string phase;         // display text, e.g. "implementing"
  std::string phase_detail;  // e.g. "review found 2 problems"; may be empty
  int iteration = 0;         // 0: not started
  int max_iterations = 0;    // 0: no cap shown
  int64_t tokens_in = 0;
  int64_t tokens_out = 0;
  double cost_usd = 0;
  double max_cost_usd = 0;  // 0: no budget shown
  int64_t elapsed_seconds = 0;
  std::string branch;  // empty: no branch yet
  std::string branch_url;
  int pr_number = 0;  // 0: no pull request yet
  std::string pr_url;
  std::string task_url;       // the task page (spec/web.md); empty: no link
  int plan_revision = 0;      // 0: no plan yet
  int approved_revision = 0;  // 0: not approved
  TodoCount todos;
  std::string failure_what;  // empty: nothing failed
  std::string failure_why;
  std::string stderr_tail;         // the agent's stderr, last part; may be empty
  std::vector<std::string> notes;  // e.g. "the review turn changed files; discarded"
  std::string next_step;           // e.g. "Comment `/retry` to continue."
};

// "<!-- bottega:status task=<id> -->" on the first line, then the header,
// a table (phase, iteration n of N, to-do done of total, tokens in / out,
// cost $x.xx of $y.yy, elapsed), a line with the branch (linked), the pull
// request and the plan revision, then — when failure_what is set — a
// "⚠️ What went wrong" part (what, why, the stderr tail in a fenced block:
// its last 40 lines and at most 4 KB), the notes as bullets and the next
// step. Text from agents has its @mentions defused so nobody gets pinged;
// long fields are cut to keep the comment within GitHub's limit.
std::string render_status_comment(const StatusView& view);

// The task id of a status marker opening `body`; nullopt when there is none.
std::optional<int64_t> parse_status_marker(std::string_view body);

// "45s", "3m 10s", "1h 02m", "2d 03h".
std::string format_elapsed(int64_t seconds);

// ---- The pull request ----------------------------------------------------

// The issue title, whitespace collapsed to one line and trimmed, cut to at
// most 256 bytes (GitHub's limit is 256 characters); "Bottega task" if empty.
std::string pr_title(std::string_view issue_title);

// The plan summary, the to-do list under "### To-do", `extra` (omitted when
// empty; e.g. where the task document was committed), a line saying how the
// change was made, and "Closes #N" on a line of its own (which makes GitHub
// close the issue when the pull request is merged).
std::string render_pr_body(int64_t issue, std::string_view plan_summary,
                           std::string_view todo_section, std::string_view extra);

// The same with `how` (when not blank) in place of the line on how the
// change was made (solo mode, the product flow).
std::string render_pr_body(int64_t issue, std::string_view plan_summary,
                           std::string_view todo_section, std::string_view extra,
                           std::string_view how);

// ---- Replies to commands -------------------------------------------------

// `text` trimmed and within GitHub's limit. A reply never carries a marker:
// a "<!-- bottega:" inside it is defused, so it cannot pass for a plan or
// status comment.
std::string render_reply(std::string_view text);

}  // namespace bottega::report
