#include "engine/worker/event_translator.h"

#include <cctype>
#include <chrono>
#include <ctime>
#include <iomanip>
#include <sstream>

#include "engine/agents/event.h"
#include "engine/report/comments.h"
#include "engine/worker/repo_lookups.h"
#include "engine/worker/task_row.h"
#include "github/commands.h"

namespace bottega {
namespace {

// "2026-11-21T10:44:57Z" → unix seconds (0 when unreadable).
int64_t parse_time(const std::string& iso) {
  std::tm tm{};
  std::istringstream in(iso);
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
  if (in.fail()) return 0;
  return static_cast<int64_t>(timegm(&tm));
}

// Text from GitHub as PostgreSQL can store it: a NUL (valid JSON, "\u0000")
// is refused by text and jsonb alike (agents::clean_text makes it U+FFFD).
std::string storable(std::string_view text) { return agents::clean_text(text); }

}  // namespace

EventTranslator::EventTranslator(RepoLookups& lookups, const Clock& clock,
                                 IssueOfPull issue_of_pull)
    : lookups_(lookups), clock_(clock), issue_of_pull_(std::move(issue_of_pull)) {}

workflow::Actor EventTranslator::actor_of(const github::Repo& repo,
                                          const std::optional<Account>& sender) {
  workflow::Actor a;
  if (!sender) return a;
  a.login = sender->login;
  a.is_bot = sender->is_bot();
  if (!a.is_bot) a.permission = lookups_.permission(repo, a.login);
  return a;
}

Result<std::optional<Incoming>> EventTranslator::translate(const WebhookEvent& ev) {
  Incoming in;
  in.installation_id = ev.installation_id;
  in.repo = ev.repository->full_name;
  in.base_branch = ev.repository->default_branch;
  const auto repo = repo_of(ev.installation_id, in.repo);
  const int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();

  // The repository's config at the base branch's head, which the event's
  // other reads (the plan template of a new task) use too.
  auto config_at_head = [&]() -> Result<LoadedConfig> {
    auto base = lookups_.head(repo, in.base_branch);
    if (!base) return base.error();
    in.base_commit = *base;
    return lookups_.repo_config(repo, *base);
  };
  auto from_issue = [&](const Issue& issue) {
    in.issue = issue.number;
    in.title = storable(issue.title);
    in.body = storable(issue.body);
  };
  // A trigger: a `plan` command not written in a comment.
  // The product flow (spec/workflow.md, "Modes") is read off the issue.
  auto product_reason = [](const Issue& issue, const LoadedConfig& loaded) {
    return product_flow_reason(loaded.config, issue.user ? issue.user->login : "", issue.labels);
  };
  auto trigger = [&](const LoadedConfig& loaded, const Issue& issue, bool solo) {
    workflow::CommandEvent c;
    c.actor = actor_of(repo, ev.sender);
    c.name = github::CommandName::plan;
    c.config_error = loaded.error;
    c.now = now;
    c.solo = solo;
    c.product_reason = product_reason(issue, loaded);
    in.create = true;
    in.config = loaded.config;
    in.event = c;
  };

  if (auto* e = std::get_if<IssuesEvent>(&ev.detail)) {
    if (e->issue.is_pull_request) return std::optional<Incoming>{};
    from_issue(e->issue);
    if (ev.action == "closed") {
      in.event = workflow::IssueClosed{};
      return std::optional<Incoming>(std::move(in));
    }
    if (ev.action == "transferred" || ev.action == "deleted") {
      in.event = workflow::IssueGone{ev.action == "deleted"
                                         ? "The issue was deleted."
                                         : "The issue was transferred to another repository."};
      return std::optional<Incoming>(std::move(in));
    }
    if (ev.action != "labeled" && ev.action != "assigned" && ev.action != "opened")
      return std::optional<Incoming>{};
    if (ev.action == "assigned" && (lookups_.bot().empty() || e->assignee != lookups_.bot()))
      return std::optional<Incoming>{};
    auto loaded = config_at_head();
    if (!loaded) return loaded.error();
    const bool solo_label = ev.action == "labeled" && e->label == loaded->config.solo_label;
    if (ev.action == "labeled" && e->label != loaded->config.trigger_label && !solo_label)
      return std::optional<Incoming>{};
    if (ev.action == "opened" && loaded->config.trigger_mode != TriggerMode::on_open)
      return std::optional<Incoming>{};
    trigger(*loaded, e->issue, solo_label);
    return std::optional<Incoming>(std::move(in));
  }

  if (auto* e = std::get_if<IssueCommentEvent>(&ev.detail)) {
    if (e->issue.is_pull_request) return std::optional<Incoming>{};
    from_issue(e->issue);
    if (ev.action == "edited") {
      // Only our own plan comment (by the bot, the task's marker) is read back:
      // anyone can type a marker into a comment of theirs.
      auto marker = report::parse_plan_marker(e->comment.body);
      if (!marker || !e->comment.user || !e->comment.user->is_bot())
        return std::optional<Incoming>{};
      in.plan_comment_id = e->comment.id;
      auto plan = report::extract_plan(e->comment.body);
      workflow::PlanEdited edit;
      edit.actor = actor_of(repo, ev.sender);
      // Without its markers the edit is not read back (the plan comment is put back).
      if (plan) edit.plan = storable(*plan);
      edit.now = now;
      in.event = edit;
      return std::optional<Incoming>(std::move(in));
    }
    if (ev.action != "created") return std::optional<Incoming>{};
    auto parsed = github::parse_comment(e->comment.body);
    if (parsed.kind == github::ParsedComment::Kind::none) return answer(ev, *e, std::move(in));
    auto loaded = config_at_head();
    if (!loaded) return loaded.error();
    in.config = loaded->config;
    if (parsed.kind == github::ParsedComment::Kind::mistyped) {
      workflow::MistypedCommand m;
      m.actor = actor_of(repo, ev.sender);
      m.typed = storable(parsed.typed);
      m.suggestion = parsed.suggestion;
      m.comment_id = e->comment.id;
      in.create = true;
      in.event = m;
      return std::optional<Incoming>(std::move(in));
    }
    workflow::CommandEvent c;
    c.actor = actor_of(repo, ev.sender);
    c.name = parsed.command.name;
    c.args = storable(parsed.command.args);
    c.comment_id = e->comment.id;
    c.written_at = parse_time(e->comment.created_at);
    if (c.name == github::CommandName::plan) {
      c.config_error = loaded->error;
      c.product_reason = product_reason(e->issue, *loaded);
    }
    c.now = now;
    in.create = true;
    in.event = c;
    return std::optional<Incoming>(std::move(in));
  }

  if (auto* e = std::get_if<PullRequestEvent>(&ev.detail)) {
    if (ev.action != "closed") return std::optional<Incoming>{};
    // The PR's task is found by its number.
    auto issue = issue_of_pull_(in.repo, e->pull_request.number);
    if (!issue) return issue.error();
    if (!*issue) return std::optional<Incoming>{};
    in.issue = **issue;
    in.event = workflow::PullRequestClosed{e->pull_request.merged};
    return std::optional<Incoming>(std::move(in));
  }
  return std::optional<Incoming>{};
}

// A comment without a command, on an issue whose task waits for answers:
// the answers (a leading `/answer` dropped). Anything else is discussion.
Result<std::optional<Incoming>> EventTranslator::answer(const WebhookEvent& ev,
                                                        const IssueCommentEvent& e, Incoming in) {
  if (!awaits_answers_ || !e.comment.user || e.comment.user->is_bot())
    return std::optional<Incoming>{};
  auto waiting = awaits_answers_(in.repo, in.issue);
  if (!waiting) return waiting.error();
  if (!*waiting) return std::optional<Incoming>{};
  const auto repo = repo_of(ev.installation_id, in.repo);
  auto base = lookups_.head(repo, in.base_branch);
  if (!base) return base.error();
  auto loaded = lookups_.repo_config(repo, *base);
  if (!loaded) return loaded.error();
  if (loaded->error.empty()) in.config = loaded->config;
  workflow::Answer a;
  a.actor = actor_of(repo, ev.sender);
  std::string text = storable(e.comment.body);
  auto start = text.find_first_not_of(" \t\r\n");
  if (start != std::string::npos && text.compare(start, 7, "/answer") == 0 &&
      (start + 7 == text.size() || std::isspace(static_cast<unsigned char>(text[start + 7]))))
    text.erase(0, start + 7);
  a.text = std::move(text);
  a.comment_id = e.comment.id;
  a.now = std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
  in.event = std::move(a);
  return std::optional<Incoming>(std::move(in));
}

}  // namespace bottega
