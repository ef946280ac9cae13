#include "app/demo/thread_printer.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <sstream>
#include <vector>

namespace bottega::demo {
namespace {

std::string now_hms() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
  return buf;
}

// Removes every `<open ...> ... close` span (the markers, the details).
std::string drop_spans(std::string s, const std::string& open, const std::string& close) {
  for (auto at = s.find(open); at != std::string::npos; at = s.find(open, at)) {
    auto end = s.find(close, at);
    s.erase(at, end == std::string::npos ? std::string::npos : end + close.size() - at);
  }
  return s;
}

// The status table's row ("| reviewing | 1 of 3 | ... |") as
// "reviewing · iteration 1 of 3 · …", and the "Next:" line when there is one.
std::string status_summary(const std::string& body) {
  std::istringstream in(body);
  std::vector<std::string> rows;
  std::string next;
  for (std::string l; std::getline(in, l);) {
    if (l.rfind("| ", 0) == 0 && l.find("---") == std::string::npos) rows.push_back(l);
    if (l.rfind("**Next:**", 0) == 0) next = l.substr(9);
  }
  if (rows.size() < 2) return "(changed)";
  std::vector<std::string> head, cells;
  auto split = [](const std::string& row, std::vector<std::string>& out) {
    std::istringstream r(row);
    for (std::string cell; std::getline(r, cell, '|');) {
      auto a = cell.find_first_not_of(' '), b = cell.find_last_not_of(' ');
      if (a != std::string::npos) out.push_back(cell.substr(a, b - a + 1));
    }
  };
  split(rows[0], head);
  split(rows[1], cells);
  std::string out;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (i) out += " · ";
    out += (i > 0 && i < head.size() ? head[i] + " " : "") + cells[i];
  }
  return next.empty() ? out : out + "\n    │ Next:" + next;
}

}  // namespace

std::string terminal_body(const std::string& body, std::size_t max_lines) {
  std::string s = drop_spans(drop_spans(body, "<!--", "-->"), "<details", "</details>");
  std::istringstream in(s);
  std::vector<std::string> lines;
  bool blank = true;
  for (std::string l; std::getline(in, l);) {
    if (!l.empty() && l.back() == '\r') l.pop_back();
    const bool is_blank = l.find_first_not_of(" \t") == std::string::npos;
    if (is_blank && blank) continue;  // no runs of blank lines
    blank = is_blank;
    lines.push_back(l);
  }
  while (!lines.empty() && lines.back().find_first_not_of(" \t") == std::string::npos)
    lines.pop_back();
  std::string out;
  for (std::size_t i = 0; i < lines.size() && i < max_lines; ++i) out += "    │ " + lines[i] + "\n";
  if (lines.size() > max_lines)
    out += "    │ … (" + std::to_string(lines.size() - max_lines) + " more lines)\n";
  return out;
}

ThreadPrinter::ThreadPrinter(fake_github::FakeGitHub& github, std::string owner, std::string repo,
                             int issue, std::ostream& out)
    : github_(github), owner_(std::move(owner)), repo_(std::move(repo)), issue_(issue), out_(out) {}

void ThreadPrinter::line(const std::string& who, const std::string& text) {
  out_ << "[" << now_hms() << "] " << who << " " << text << "\n";
}

void ThreadPrinter::thread(int number, const char* what) {
  // Labels, in the order they changed.
  auto history = github_.label_history(owner_, repo_, number);
  auto& seen = labels_seen_[number];
  for (; seen < history.size(); ++seen) {
    const auto& e = history[seen];
    line(e.user, std::string(e.action == "labeled" ? "added" : "removed") + " the label `" +
                     e.label + "` on " + what + " #" + std::to_string(number));
  }
  for (const auto& c : github_.comments(owner_, repo_, number)) {
    auto it = comments_.find(c.id);
    if (it == comments_.end()) {
      line(c.user, std::string("commented on ") + what + " #" + std::to_string(number) + ":");
      out_ << terminal_body(c.body, 40);
      comments_[c.id] = c.body;
    } else if (it->second != c.body) {
      // The status comment changes at every step: one line for each change.
      if (c.body.find("<!-- bottega:status") != std::string::npos) {
        line(c.user, "updated the status: " + status_summary(c.body));
      } else {
        line(c.user,
             "edited their comment on " + std::string(what) + " #" + std::to_string(number) + ":");
        out_ << terminal_body(c.body, 40);
      }
      it->second = c.body;
    }
    for (const auto& r : github_.comment_reactions(owner_, repo_, c.id)) {
      const std::string key = std::to_string(c.id) + " " + r.user + " " + r.content;
      if (reactions_.insert(key).second)
        line(r.user, "reacted " + r.content + " to " + c.user + "'s comment");
    }
  }
}

namespace {

// The subjects of the commits in (from, to], oldest first, as "sha7 subject".
std::vector<std::string> commit_subjects(const std::string& git_dir, const std::string& from,
                                         const std::string& to) {
  std::vector<std::string> out;
  auto quoted = [](const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
  };
  const std::string range = from.empty() ? to + " -1" : from + ".." + to;
  FILE* p = ::popen(("git --git-dir=" + quoted(git_dir) + " log --reverse --format='%h %s' " +
                     range + " 2>/dev/null")
                        .c_str(),
                    "r");
  if (!p) return out;
  std::string text;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) text.append(buf, n);
  ::pclose(p);
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) out.push_back(l);
  return out;
}

std::string review_state(const std::string& state) {
  if (state == "CHANGES_REQUESTED") return "requested changes";
  if (state == "APPROVED") return "approved";
  return "reviewed";
}

}  // namespace

void ThreadPrinter::pull_request() {
  auto p = github_.pull(owner_, repo_, pull_);
  if (!p) return;
  if (pull_state_.empty()) {
    line(p->user, "opened pull request #" + std::to_string(pull_) + " \"" + p->title + "\" (" +
                      p->head_ref + " at " + p->head_sha.substr(0, 7) + " → " + p->base_ref + "):");
    out_ << terminal_body(p->body, 25);
  } else if (p->head_sha != pull_sha_) {
    line(p->user, "pushed to " + p->head_ref + ":");
    for (const auto& c : commit_subjects(github_.git_dir(owner_, repo_), pull_sha_, p->head_sha))
      out_ << "    │ " << c << "\n";
  }
  const std::string state = p->merged ? "merged" : p->state;
  if (!pull_state_.empty() && state != pull_state_)
    out_ << "[" << now_hms() << "] pull request #" << pull_ << " is now " << state << "\n";
  pull_state_ = state;
  pull_sha_ = p->head_sha;
}

// Reviews with their inline comments, then replies in the comments' threads.
void ThreadPrinter::reviews() {
  auto comments = github_.review_comments(owner_, repo_, pull_);
  auto where = [](const fake_github::ReviewCommentView& c) {
    return c.path + (c.line > 0 ? ":" + std::to_string(c.line) : "");
  };
  for (const auto& r : github_.reviews(owner_, repo_, pull_)) {
    if (!reviews_seen_.insert(r.id).second) continue;
    line(r.user, review_state(r.state) + " on pull request #" + std::to_string(pull_) + " (at " +
                     r.commit_id.substr(0, 7) + "):");
    out_ << terminal_body(r.body, 40);
    for (const auto& c : comments)
      if (c.review_id == r.id && c.in_reply_to == 0 && review_comments_seen_.insert(c.id).second) {
        out_ << "    │ on " << where(c) << ":\n";
        out_ << terminal_body(c.body, 40);
      }
  }
  for (const auto& c : comments) {
    if (!review_comments_seen_.insert(c.id).second) continue;
    line(c.user, std::string(c.in_reply_to ? "replied in the thread on " : "commented on ") +
                     where(c) + ":");
    out_ << terminal_body(c.body, 40);
  }
}

// Each check run on the head as it changes: the App's `bottega` check and CI's.
void ThreadPrinter::checks(const std::string& sha) {
  for (const auto& c : github_.check_runs(owner_, repo_, sha)) {
    const std::string state = c.status == "completed" ? c.conclusion : c.status;
    auto& seen = checks_seen_[sha + " " + c.name];
    if (seen == state + " " + c.title) continue;
    seen = state + " " + c.title;
    const std::string mark = state == "success"        ? "✓"
                             : state == "failure"      ? "✗"
                             : c.status != "completed" ? "…"
                                                       : "·";
    line(c.app_slug + "[bot]", "check `" + c.name + "` on " + sha.substr(0, 7) + ": " + mark + " " +
                                   state + (c.title.empty() ? "" : " — " + c.title));
  }
}

void ThreadPrinter::poll() {
  thread(issue_, "issue");
  if (pull_ == 0) {
    for (const auto& p : github_.pulls(owner_, repo_))
      if (p.head_ref.rfind("bottega/" + std::to_string(issue_) + "-", 0) == 0) pull_ = p.number;
  }
  if (pull_ != 0) {
    pull_request();
    checks(pull_sha_);
    thread(pull_, "pull request");
    reviews();
  }
  out_.flush();
}

}  // namespace bottega::demo
