#include "engine/worker/pull_events.h"

#include <algorithm>
#include <map>

#include "engine/agents/event.h"
#include "engine/worker/github_port.h"
#include "engine/worker/repo_lookups.h"
#include "engine/worker/task_row.h"
#include "github/commands.h"

namespace bottega {
namespace {

using github::CommandName;

std::string storable(std::string_view text) { return agents::clean_text(text); }

// The commands that make sense on a pull request's conversation.
bool pull_side_command(CommandName name) {
  return name == CommandName::fix || name == CommandName::status || name == CommandName::cancel ||
         name == CommandName::retry || name == CommandName::help;
}

// "…/actions/runs/<run>/job/<job>" → run (0: not a GitHub Actions job).
int64_t workflow_run_of(const std::string& details_url) {
  const std::string marker = "/actions/runs/";
  auto at = details_url.find(marker);
  if (at == std::string::npos) return 0;
  int64_t run = 0;
  for (std::size_t i = at + marker.size(); i < details_url.size(); ++i) {
    const char c = details_url[i];
    if (c < '0' || c > '9') break;
    if (run > (INT64_MAX - 9) / 10) return 0;
    run = run * 10 + (c - '0');
  }
  return run;
}

bool word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

}  // namespace

bool mentions(const std::string& body, const std::string& slug) {
  if (slug.empty()) return false;
  const std::string needle = "@" + slug;
  for (std::size_t at = body.find(needle); at != std::string::npos;
       at = body.find(needle, at + 1)) {
    if (at > 0 && word_char(body[at - 1])) continue;  // an e-mail address
    const std::size_t end = at + needle.size();
    if (end < body.size() && word_char(body[end])) continue;  // @bottega-other
    return true;
  }
  return false;
}

PullEvents::PullEvents(GitHubPort& gh, RepoLookups& lookups,
                       EventTranslator::IssueOfPull issue_of_pull)
    : gh_(gh), lookups_(lookups), issue_of_pull_(std::move(issue_of_pull)) {}

bool PullEvents::handles(const WebhookEvent& ev) {
  if (auto* c = std::get_if<IssueCommentEvent>(&ev.detail)) return c->issue.is_pull_request;
  return std::holds_alternative<PullRequestEvent>(ev.detail) ||
         std::holds_alternative<PullRequestReviewEvent>(ev.detail) ||
         std::holds_alternative<PullRequestReviewCommentEvent>(ev.detail) ||
         std::holds_alternative<CheckEvent>(ev.detail) ||
         std::holds_alternative<StatusEvent>(ev.detail);
}

bool PullEvents::bots_may_act(const WebhookEvent& ev) {
  return std::holds_alternative<CheckEvent>(ev.detail) ||
         std::holds_alternative<StatusEvent>(ev.detail) ||
         std::holds_alternative<PullRequestReviewEvent>(ev.detail) ||
         std::holds_alternative<PullRequestReviewCommentEvent>(ev.detail);
}

workflow::Actor PullEvents::actor(const github::Repo& repo, const std::optional<Account>& who) {
  workflow::Actor a;
  if (!who) return a;
  a.login = who->login;
  a.is_bot = who->is_bot();
  if (!a.is_bot) a.permission = lookups_.permission(repo, a.login);
  return a;
}

Result<std::optional<Incoming>> PullEvents::translate(const WebhookEvent& ev, Incoming in,
                                                      int64_t now) {
  const auto repo = repo_of(ev.installation_id, in.repo);
  const std::string slug =
      lookups_.bot().empty() ? "" : lookups_.bot().substr(0, lookups_.bot().size() - 5);  // "[bot]"
  // The task of pull request `number`; false when it has none.
  auto task_of = [&](int64_t number) -> Result<bool> {
    auto issue = issue_of_pull_(in.repo, number);
    if (!issue) return issue.error();
    if (!*issue) return false;
    in.issue = **issue;
    return true;
  };
  auto config = [&]() -> Result<LoadedConfig> {
    auto base = lookups_.head(repo, in.base_branch);
    if (!base) return base.error();
    in.base_commit = *base;
    return lookups_.repo_config(repo, *base);
  };
  const std::optional<Incoming> none;

  if (auto* e = std::get_if<PullRequestEvent>(&ev.detail)) {
    auto found = task_of(e->pull_request.number);
    if (!found) return found.error();
    if (!*found) return none;
    if (ev.action == "closed") {
      in.event = workflow::PullRequestClosed{e->pull_request.merged};
    } else if (ev.action == "reopened") {
      in.event = workflow::PullRequestReopened{};
    } else if (ev.action == "synchronize") {
      in.event = workflow::PullHeadMoved{e->pull_request.head.sha};
    } else {
      return none;
    }
    return std::optional<Incoming>(std::move(in));
  }

  if (auto* e = std::get_if<IssueCommentEvent>(&ev.detail)) {
    if (ev.action != "created") return none;
    auto parsed = github::parse_comment(e->comment.body);
    const bool command = parsed.kind == github::ParsedComment::Kind::command &&
                         pull_side_command(parsed.command.name);
    if (!command && !mentions(e->comment.body, slug)) return none;
    auto found = task_of(e->issue.number);
    if (!found) return found.error();
    if (!*found) return none;
    auto loaded = config();
    if (!loaded) return loaded.error();
    in.config = loaded->config;
    if (command) {
      workflow::CommandEvent c;
      c.actor = actor(repo, ev.sender);
      c.name = parsed.command.name;
      c.args = storable(parsed.command.args);
      c.comment_id = e->comment.id;
      c.now = now;
      c.on_pull = true;
      in.event = c;
      return std::optional<Incoming>(std::move(in));
    }
    workflow::FeedbackArrived f;
    f.actor = actor(repo, ev.sender);
    f.trusted_bot = f.actor.is_bot && is_trusted_bot(loaded->config, f.actor.login);
    f.comment_id = e->comment.id;
    workflow::Feedback item;
    item.author = f.actor.login;
    item.comment_id = e->comment.id;
    item.body = storable(e->comment.body);
    f.items.push_back(std::move(item));
    in.event = f;
    return std::optional<Incoming>(std::move(in));
  }

  if (auto* e = std::get_if<PullRequestReviewEvent>(&ev.detail)) return review(ev, *e, in);

  if (auto* e = std::get_if<PullRequestReviewCommentEvent>(&ev.detail)) {
    // A comment of a submitted review comes with the review's own event;
    // this one counts only when it asks the App by itself.
    if (ev.action != "created") return none;
    auto parsed = github::parse_comment(e->comment.body);
    const bool fix = parsed.kind == github::ParsedComment::Kind::command &&
                     parsed.command.name == CommandName::fix;
    if (!fix && !mentions(e->comment.body, slug)) return none;
    auto found = task_of(e->pull_request.number);
    if (!found) return found.error();
    if (!*found) return none;
    auto loaded = config();
    if (!loaded) return loaded.error();
    in.config = loaded->config;
    workflow::FeedbackArrived f;
    f.actor = actor(repo, e->comment.user ? e->comment.user : ev.sender);
    f.trusted_bot = f.actor.is_bot && is_trusted_bot(loaded->config, f.actor.login);
    workflow::Feedback item;
    item.author = f.actor.login;
    item.comment_id = e->comment.id;
    item.inline_comment = true;
    item.path = storable(e->comment.path);
    item.body = storable(fix ? parsed.command.args : e->comment.body);
    // The thread's earlier comments, and the hunk, from GitHub.
    auto all = gh_.list_review_comments(repo, static_cast<int>(e->pull_request.number));
    if (!all) return make_error("review comments: " + all.error().describe());
    const int64_t root = e->comment.in_reply_to_id ? e->comment.in_reply_to_id : e->comment.id;
    for (const auto& c : *all) {
      if (c.id == e->comment.id) {
        item.line = c.line.value_or(0);
        item.diff_hunk = storable(c.diff_hunk);
      } else if (c.id == root || c.in_reply_to_id.value_or(0) == root) {
        item.thread += "@" + c.user.login + ": " + storable(c.body) + "\n";
      }
    }
    f.items.push_back(std::move(item));
    in.event = f;
    return std::optional<Incoming>(std::move(in));
  }

  if (auto* e = std::get_if<CheckEvent>(&ev.detail)) return checks(ev, *e, in);
  if (auto* e = std::get_if<StatusEvent>(&ev.detail)) return status(ev, *e, in);
  return none;
}

Result<std::optional<Incoming>> PullEvents::review(const WebhookEvent& ev,
                                                   const PullRequestReviewEvent& e, Incoming in) {
  const std::optional<Incoming> none;
  if (ev.action != "submitted") return none;
  const auto repo = repo_of(ev.installation_id, in.repo);
  const std::string bot = lookups_.bot();
  const std::string slug = bot.size() > 5 ? bot.substr(0, bot.size() - 5) : "";
  const bool changes = e.state == "changes_requested";
  if (!changes && !mentions(e.body, slug)) return none;  // an approval, a plain comment
  auto issue = issue_of_pull_(in.repo, e.pull_request.number);
  if (!issue) return issue.error();
  if (!*issue) return none;
  in.issue = **issue;
  auto base = lookups_.head(repo, in.base_branch);
  if (!base) return base.error();
  in.base_commit = *base;
  auto loaded = lookups_.repo_config(repo, *base);
  if (!loaded) return loaded.error();
  in.config = loaded->config;

  workflow::FeedbackArrived f;
  f.actor = actor(repo, e.reviewer ? e.reviewer : ev.sender);
  f.trusted_bot = f.actor.is_bot && is_trusted_bot(loaded->config, f.actor.login);
  // Whom nothing would reach: GitHub is not even asked for their comments.
  if (f.actor.is_bot ? !f.trusted_bot : f.actor.permission == Permission::none) {
    in.event = f;
    return std::optional<Incoming>(std::move(in));
  }
  if (!e.body.empty()) {
    workflow::Feedback body;
    body.author = f.actor.login;
    body.review_id = e.review_id;
    body.body = storable(e.body);
    f.items.push_back(std::move(body));
  }
  auto all = gh_.list_review_comments(repo, static_cast<int>(e.pull_request.number));
  if (!all) return make_error("review comments: " + all.error().describe());
  std::map<int64_t, std::string> threads;  // root comment → earlier comments
  for (const auto& c : *all) {
    if (c.pull_request_review_id == e.review_id) continue;
    const int64_t root = c.in_reply_to_id.value_or(c.id);
    threads[root] += "@" + c.user.login + ": " + storable(c.body) + "\n";
  }
  for (const auto& c : *all) {
    if (c.pull_request_review_id != e.review_id) continue;
    workflow::Feedback item;
    item.author = f.actor.login;
    item.review_id = e.review_id;
    item.comment_id = c.id;
    item.inline_comment = true;
    item.path = storable(c.path);
    item.line = c.line.value_or(0);
    item.side = "RIGHT";
    item.diff_hunk = storable(c.diff_hunk);
    if (auto t = threads.find(c.in_reply_to_id.value_or(c.id)); t != threads.end())
      item.thread = t->second;
    item.body = storable(c.body);
    f.items.push_back(std::move(item));
  }
  in.event = f;
  return std::optional<Incoming>(std::move(in));
}

Result<std::optional<Incoming>> PullEvents::checks(const WebhookEvent& ev, const CheckEvent& c,
                                                   Incoming in) {
  const std::optional<Incoming> none;
  if (ev.action != "completed" || c.pull_requests.empty()) return none;
  // Our own check run ("bottega") says nothing about the code.
  if (ev.sender && !lookups_.bot().empty() && ev.sender->login == lookups_.bot()) return none;
  const auto repo = repo_of(ev.installation_id, in.repo);
  int64_t number = 0;
  for (int64_t n : c.pull_requests) {
    auto issue = issue_of_pull_(in.repo, n);
    if (!issue) return issue.error();
    if (*issue) {
      in.issue = **issue;
      number = n;
      break;
    }
  }
  if (number == 0) return none;
  return judge(repo, number, c.head_sha, std::move(in));
}

Result<std::optional<Incoming>> PullEvents::status(const WebhookEvent& ev, const StatusEvent& s,
                                                   Incoming in) {
  const std::optional<Incoming> none;
  // A pending status is no completion: its final state brings its own event.
  if (s.state == "pending" || s.sha.empty()) return none;
  const auto repo = repo_of(ev.installation_id, in.repo);
  // The event names the branches holding the commit, not pull requests:
  // the task PR is the one whose head branch it is (and whose head it is).
  for (const auto& branch : s.branches) {
    if (branch == in.base_branch) continue;
    auto pull = gh_.find_pull_by_head(repo, branch);
    if (!pull) return make_error("pull request of " + branch + ": " + pull.error().describe());
    if (!*pull || (*pull)->head_sha != s.sha) continue;
    auto issue = issue_of_pull_(in.repo, (*pull)->number);
    if (!issue) return issue.error();
    if (!*issue) continue;
    in.issue = **issue;
    return judge(repo, (*pull)->number, s.sha, std::move(in));
  }
  return none;
}

Result<std::optional<Incoming>> PullEvents::judge(const github::Repo& repo, int64_t number,
                                                  const std::string& head_sha, Incoming in) {
  const std::optional<Incoming> none;
  // Only the PR's current head counts: checks of an older push are stale.
  auto pull = gh_.get_pull(repo, static_cast<int>(number));
  if (!pull) return make_error("pull request: " + pull.error().describe());
  if (pull->state != "open" || pull->head_sha != head_sha) return none;
  auto runs = gh_.list_check_runs_for_ref(repo, head_sha);
  if (!runs) return make_error("check runs: " + runs.error().describe());
  const std::string bot = lookups_.bot();
  const std::string slug = bot.size() > 5 ? bot.substr(0, bot.size() - 5) : "";
  // The latest run of each check (a re-run is a new run with the same name).
  std::map<std::string, const github::CheckRun*> latest;
  for (const auto& r : *runs) {
    if (!slug.empty() && r.app_slug == slug) continue;  // our own check run
    auto& slot = latest[r.name];
    if (!slot || r.id > slot->id) slot = &r;
  }
  workflow::ChecksCompleted done;
  done.head_sha = head_sha;
  for (const auto& [name, r] : latest) {
    if (r->status != "completed") return none;  // its own event comes when it completes
    if (r->conclusion == "failure" || r->conclusion == "timed_out") {
      workflow::FailedCheck f;
      f.check_run_id = r->id;
      f.name = storable(name);
      f.conclusion = r->conclusion;
      f.workflow_run_id = workflow_run_of(r->details_url);
      done.failing.push_back(std::move(f));
    } else if (r->conclusion == "success") {
      done.passed.push_back(storable(name));
    }
  }
  // Commit statuses count as checks: pending is not completed; failure and
  // error failed.
  auto combined = gh_.get_combined_status(repo, head_sha);
  if (!combined) return make_error("commit statuses: " + combined.error().describe());
  for (const auto& st : combined->statuses) {
    if (st.state == "pending") return none;  // its own event comes when it ends
    if (st.state == "failure" || st.state == "error") {
      workflow::FailedCheck f;
      f.check_run_id = st.id;
      f.name = storable(st.context);
      f.conclusion = st.state;
      f.commit_status = true;
      done.failing.push_back(std::move(f));
    } else if (st.state == "success") {
      done.passed.push_back(storable(st.context));
    }
  }
  if (latest.empty() && combined->statuses.empty()) return none;
  in.event = done;
  return std::optional<Incoming>(std::move(in));
}

}  // namespace bottega
