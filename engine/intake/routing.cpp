#include "engine/intake/routing.h"

#include "github/commands.h"

namespace bottega {
namespace {

// The text of s as the inside of a JSON string.
void append_json_escaped(std::string_view s, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (char c : s) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20) {
      out += "\\u00";
      out += kHex[byte >> 4];
      out += kHex[byte & 15];
    } else {
      out += c;
    }
  }
}

struct KeyOf {
  const std::string& repo;
  std::optional<std::string> number(int64_t n) const { return repo + "#" + std::to_string(n); }
  std::optional<std::string> branch(const std::string& b) const {
    if (b.empty()) return std::nullopt;
    return repo + "@" + b;
  }

  std::optional<std::string> operator()(const IssuesEvent& e) const {
    return number(e.issue.number);
  }
  std::optional<std::string> operator()(const IssueCommentEvent& e) const {
    return number(e.issue.number);
  }
  std::optional<std::string> operator()(const PullRequestEvent& e) const {
    return number(e.pull_request.number);
  }
  std::optional<std::string> operator()(const PullRequestReviewEvent& e) const {
    return number(e.pull_request.number);
  }
  std::optional<std::string> operator()(const PullRequestReviewCommentEvent& e) const {
    return number(e.pull_request.number);
  }
  std::optional<std::string> operator()(const CheckEvent& e) const {
    if (e.pull_requests.size() == 1) return number(e.pull_requests.front());
    return branch(e.head_branch);
  }
  std::optional<std::string> operator()(const StatusEvent& e) const {
    if (e.branches.size() == 1) return branch(e.branches.front());
    return std::nullopt;
  }
  std::optional<std::string> operator()(const PushEvent& e) const {
    const std::string prefix = "refs/heads/";
    if (e.ref.rfind(prefix, 0) != 0) return std::nullopt;
    return branch(e.ref.substr(prefix.size()));
  }
  std::optional<std::string> operator()(const InstallationEvent&) const { return std::nullopt; }
  std::optional<std::string> operator()(const InstallationRepositoriesEvent&) const {
    return std::nullopt;
  }
};

}  // namespace

std::optional<std::string> task_key_for(const WebhookEvent& event) {
  if (!event.repository) return std::nullopt;
  return std::visit(KeyOf{event.repository->full_name}, event.detail);
}

bool bots_may_act(const WebhookEvent& event) {
  return std::holds_alternative<CheckEvent>(event.detail) ||
         std::holds_alternative<StatusEvent>(event.detail) ||
         std::holds_alternative<PullRequestReviewEvent>(event.detail) ||
         std::holds_alternative<PullRequestReviewCommentEvent>(event.detail);
}

namespace {

// The pull request side (spec/shepherd.md): a task's PR and its checks.
bool pull_side_work(const WebhookEvent& event) {
  const std::string& action = event.action;
  if (std::holds_alternative<CheckEvent>(event.detail)) return action == "completed";
  // A commit status that ended (CI that reports through the Statuses API).
  if (auto* e = std::get_if<StatusEvent>(&event.detail)) return e->state != "pending";
  if (std::holds_alternative<PullRequestReviewEvent>(event.detail)) return action == "submitted";
  if (std::holds_alternative<PullRequestReviewCommentEvent>(event.detail))
    return action == "created";
  if (std::holds_alternative<PullRequestEvent>(event.detail))
    return action == "closed" || action == "reopened" || action == "synchronize";
  // The base branch moved: the task PRs of the repository may conflict now.
  if (auto* e = std::get_if<PushEvent>(&event.detail))
    return !e->deleted && !event.repository->default_branch.empty() &&
           e->ref == "refs/heads/" + event.repository->default_branch;
  if (auto* e = std::get_if<IssueCommentEvent>(&event.detail)) {
    if (action != "created") return false;
    // A PR-side command, or text that may mention the App (the handler
    // knows the App's name and decides).
    auto parsed = github::parse_comment(e->comment.body);
    if (parsed.kind == github::ParsedComment::Kind::command) {
      const auto name = parsed.command.name;
      return name == github::CommandName::fix || name == github::CommandName::status ||
             name == github::CommandName::cancel || name == github::CommandName::retry ||
             name == github::CommandName::help;
    }
    return e->comment.body.find('@') != std::string::npos;
  }
  return false;
}

}  // namespace

bool acted_on(const WebhookEvent& event) {
  const std::string& action = event.action;
  if (std::holds_alternative<InstallationEvent>(event.detail))
    return action == "created" || action == "deleted" || action == "suspend" ||
           action == "unsuspend";
  if (std::holds_alternative<InstallationRepositoriesEvent>(event.detail))
    return action == "removed";
  if (!event.repository) return false;
  if (event.sender && event.sender->is_bot() && !bots_may_act(event))
    return false;  // our own writes, other apps'
  if (auto* e = std::get_if<IssueCommentEvent>(&event.detail); e && e->issue.is_pull_request)
    return pull_side_work(event);
  if (!std::holds_alternative<IssuesEvent>(event.detail) &&
      !std::holds_alternative<IssueCommentEvent>(event.detail))
    return pull_side_work(event);
  if (auto* e = std::get_if<IssuesEvent>(&event.detail)) {
    if (e->issue.is_pull_request) return false;
    return action == "opened" || action == "labeled" || action == "assigned" ||
           action == "closed" || action == "transferred" || action == "deleted";
  }
  if (auto* e = std::get_if<IssueCommentEvent>(&event.detail)) {
    if (e->issue.is_pull_request) return false;
    // A command (or something meant as one); an edit of a bot's comment
    // (the plan comment, edited by a person).
    if (action == "created")
      return github::parse_comment(e->comment.body).kind != github::ParsedComment::Kind::none;
    if (action == "edited") return e->comment.user && e->comment.user->is_bot();
    return false;
  }
  return false;
}

std::vector<JobSpec> jobs_for(const WebhookEvent& event) {
  if (!acted_on(event)) return {};
  JobSpec job;
  job.kind = kGitHubEventJob;
  job.task_key = task_key_for(event);
  job.installation_id = event.installation_id;
  return {job};
}

std::vector<JobSpec> answer_jobs_for(const WebhookEvent& event) {
  if (!event.repository || (event.sender && event.sender->is_bot()) || acted_on(event)) return {};
  auto* e = std::get_if<IssueCommentEvent>(&event.detail);
  if (!e || e->issue.is_pull_request || event.action != "created") return {};
  JobSpec job;
  job.kind = kGitHubEventJob;
  job.task_key = task_key_for(event);
  job.installation_id = event.installation_id;
  return {job};
}

std::string job_payload(std::string_view delivery_id, std::string_view event,
                        std::string_view action) {
  std::string out = "{\"delivery_id\":\"";
  append_json_escaped(delivery_id, out);
  out += "\",\"event\":\"";
  append_json_escaped(event, out);
  out += "\",\"action\":\"";
  append_json_escaped(action, out);
  out += "\"}";
  return out;
}

}  // namespace bottega
