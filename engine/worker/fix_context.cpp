#include "engine/worker/fix_context.h"

#include <simdjson.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>

#include "config/base/redactor.h"
#include "config/base/safe_file.h"
#include "engine/worker/github_port.h"

namespace bottega {
namespace {

namespace fs = std::filesystem;
using workflow::FixKind;

constexpr std::size_t kMaxLineBytes = 1000;
constexpr std::size_t kMaxAnswerBytes = 4000;
constexpr std::size_t kMaxRepliesBytes = 256 * 1024;
constexpr std::size_t kMaxLogBytes = 1 << 20;

bool digit(char c) { return c >= '0' && c <= '9'; }

// "2026-11-27T10:00:00.1234567Z " at the start of a line.
std::size_t timestamp_length(std::string_view line) {
  if (line.size() < 21 || !digit(line[0]) || line[4] != '-' || line[7] != '-' || line[10] != 'T')
    return 0;
  std::size_t i = 11;
  while (i < line.size() && (digit(line[i]) || line[i] == ':' || line[i] == '.')) ++i;
  if (i >= line.size() || line[i] != 'Z') return 0;
  ++i;
  if (i < line.size() && line[i] == ' ') ++i;
  return i;
}

std::string without_ansi(std::string_view line) {
  std::string out;
  out.reserve(line.size());
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\x1b') {
      if (i + 1 < line.size() && line[i + 1] == '[') {
        i += 2;
        while (i < line.size() && !(line[i] >= '@' && line[i] <= '~')) ++i;
      } else {
        ++i;  // a two-byte escape
      }
      continue;
    }
    if (line[i] == '\r') continue;
    out += line[i];
  }
  return out;
}

bool write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  return static_cast<bool>(out);
}

std::string quoted_block(const std::string& text) {
  std::string fence = "```";
  while (text.find(fence) != std::string::npos) fence += "`";
  return fence + "\n" + text + (text.empty() || text.back() == '\n' ? "" : "\n") + fence + "\n";
}

std::string safe_name(const std::string& name) {
  std::string out;
  for (char c : name)
    out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '_';
  return out.empty() ? "check" : out.substr(0, 80);
}

Result<std::string> checks_section(GitHubPort& gh, const github::Repo& repo,
                                   const workflow::Task& t, const std::string& run_dir) {
  const auto& p = t.pull;
  std::string out = "# Failing checks on " + p.head_sha + "\n\n";
  std::map<int64_t, github::CheckRun> runs;
  auto listed = gh.list_check_runs_for_ref(repo, p.head_sha);
  if (!listed) return make_error("check runs: " + listed.error().describe());
  for (auto& r : *listed) runs[r.id] = r;
  std::error_code ec;
  fs::create_directories(run_dir + "/logs", ec);
  std::optional<github::CombinedStatus> statuses;
  for (const auto& f : p.failing) {
    out += "## " + f.name + " — " + f.conclusion + "\n\n";
    if (f.commit_status) {
      if (!statuses) {
        auto read = gh.get_combined_status(repo, p.head_sha);
        if (!read) return make_error("commit statuses: " + read.error().describe());
        statuses = std::move(*read);
      }
      out +=
          "A commit status (context `" + f.name + "`), not a check run: it has no annotations.\n\n";
      for (const auto& st : statuses->statuses) {
        if (st.context != f.name) continue;
        if (!st.description.empty()) out += "Description: " + st.description + "\n\n";
        if (!st.target_url.empty()) out += "Details: " + st.target_url + "\n\n";
      }
      continue;
    }
    if (auto r = runs.find(f.check_run_id); r != runs.end()) {
      if (!r->second.title.empty()) out += "Title: " + r->second.title + "\n\n";
      if (!r->second.summary.empty())
        out += "Summary:\n\n" + quoted_block(r->second.summary) + "\n";
      if (!r->second.details_url.empty()) out += "Details: " + r->second.details_url + "\n\n";
    }
    auto annotations = gh.list_check_run_annotations(repo, f.check_run_id);
    if (!annotations) return make_error("annotations: " + annotations.error().describe());
    if (!annotations->empty()) {
      out += "Annotations:\n\n";
      for (const auto& a : *annotations)
        out += "- `" + a.path + ":" + std::to_string(a.start_line) +
               (a.end_line > a.start_line ? "-" + std::to_string(a.end_line) : "") + "` (" +
               a.annotation_level + ") " + (a.title.empty() ? "" : a.title + ": ") + a.message +
               "\n";
      out += "\n";
    }
    if (f.workflow_run_id != 0) {
      auto log = gh.download_job_log(repo, f.check_run_id, kMaxLogBytes);
      if (!log && !log.error().is_not_found())
        return make_error("job log: " + log.error().describe());
      if (log) {
        const std::string tail = redact(log_tail(log->text));
        const std::string file =
            run_dir + "/logs/" + safe_name(f.name) + "-" + std::to_string(f.check_run_id) + ".log";
        write_text(file, tail);
        out += "The last lines of the job's log (also in `" + file + "`):\n\n" +
               quoted_block(tail) + "\n";
      } else {
        out += "The job's log is gone (GitHub keeps logs for a limited time).\n\n";
      }
    }
  }
  return out;
}

std::string feedback_section(const workflow::Task& t) {
  std::string out = "# Review feedback on pull request #" + std::to_string(t.pr_number) + "\n\n";
  for (const auto& f : t.pull.addressing) {
    if (f.inline_comment) {
      out += "## Inline comment " + std::to_string(f.comment_id) + " by @" + f.author + " on `" +
             f.path + (f.line ? ":" + std::to_string(f.line) : "") + "`\n\n";
      if (!f.diff_hunk.empty()) out += "Diff hunk:\n\n" + quoted_block(f.diff_hunk) + "\n";
      if (!f.thread.empty()) out += "Earlier in the thread:\n\n" + quoted_block(f.thread) + "\n";
      out += "Comment:\n\n" + quoted_block(f.body) + "\n";
    } else if (f.review_id != 0) {
      out += "## Review by @" + f.author + "\n\n" + quoted_block(f.body) + "\n";
    } else {
      out +=
          "## Request by @" + f.author + " on the pull request\n\n" + quoted_block(f.body) + "\n";
    }
  }
  return out;
}

}  // namespace

std::string log_tail(std::string_view log, std::size_t max_lines) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start < log.size()) {
    auto end = log.find('\n', start);
    if (end == std::string_view::npos) end = log.size();
    lines.push_back(log.substr(start, end - start));
    start = end + 1;
  }
  const std::size_t first = lines.size() > max_lines ? lines.size() - max_lines : 0;
  std::string out;
  for (std::size_t i = first; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    line.remove_prefix(timestamp_length(line));
    std::string clean = without_ansi(line);
    if (clean.size() > kMaxLineBytes) clean = clean.substr(0, kMaxLineBytes) + " …";
    out += clean;
    out += '\n';
  }
  return out;
}

Result<std::string> write_fix_context(GitHubPort& gh, const github::Repo& repo,
                                      const workflow::Task& t, const std::string& run_dir,
                                      const std::string& extra) {
  std::string text;
  switch (t.pull.fixing) {
    case FixKind::ci: {
      auto section = checks_section(gh, repo, t, run_dir);
      if (!section) return section.error();
      text = std::move(*section);
      break;
    }
    case FixKind::review:
      text = feedback_section(t);
      break;
    case FixKind::conflicts: {
      text = "# Merge conflicts with the base branch\n\nConflicted files:\n\n";
      for (const auto& f : t.pull.conflicted_files) text += "- `" + f + "`\n";
      text += "\n";
      break;
    }
    case FixKind::none:
      break;
  }
  // The review of the previous try sent it back (shepherd.review_fixes).
  if (t.turn_role == workflow::Role::fix && !t.pull.fix_findings.empty())
    text +=
        "# The review of your previous try sent it back\n\nYour changes so far are "
        "committed in the worktree (not pushed). The reviewer said:\n\n" +
        quoted_block(t.pull.fix_findings) + "\n";
  text += extra;
  const std::string path = run_dir + "/fix-context.md";
  if (!write_text(path, redact(text))) return make_error("cannot write " + path);
  return path;
}

std::vector<std::pair<int64_t, std::string>> read_fix_answers(const std::string& run_dir,
                                                              const std::vector<int64_t>& wanted,
                                                              std::string& problem) {
  std::vector<std::pair<int64_t, std::string>> out;
  const std::string path = run_dir + "/replies.json";
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(path, ec))) return out;
  // The agent could have made the file a link to anything the server can read.
  auto text = read_regular_file(path, kMaxRepliesBytes);
  if (!text) {
    problem = "replies.json: " + text.error().message;
    return out;
  }
  simdjson::dom::parser parser;
  simdjson::dom::object o;
  if (parser.parse(*text).get(o)) {
    problem = "replies.json is not a JSON object";
    return out;
  }
  for (auto field : o) {
    std::string_view key = field.key;
    std::string_view answer;
    if (field.value.get(answer)) continue;
    if (key.empty() || key.size() > 18 ||
        !std::all_of(key.begin(), key.end(), [](char c) { return digit(c); }))
      continue;
    const int64_t id = std::stoll(std::string(key));
    if (std::find(wanted.begin(), wanted.end(), id) == wanted.end()) continue;
    std::string a(answer.substr(0, kMaxAnswerBytes));
    // No hidden markers: the app finds its own replies again by theirs.
    for (auto at = a.find("<!--"); at != std::string::npos; at = a.find("<!--", at))
      a.replace(at, 4, "&lt;!--");
    out.emplace_back(id, redact(a));
  }
  return out;
}

}  // namespace bottega
