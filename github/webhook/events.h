// Typed webhook events, decoded (simdjson) from a verified delivery.
// Decoding keeps what the app acts on, tolerates fields it does not know
// and optional fields that are absent, and fails, naming the JSON path, when
// a field the app needs is missing or of the wrong type.
// Thread-safety: decode_event() may be called from any thread (it uses a
// thread-local parser). Events are plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/base/result.h"

namespace bottega {

struct Account {
  int64_t id = 0;
  std::string login;
  std::string type;  // "User", "Bot", "Organization"
  bool is_bot() const { return type == "Bot"; }
};

struct RepositoryRef {
  int64_t id = 0;
  std::string full_name;  // "owner/name"
  std::string default_branch;
};

struct Issue {
  int64_t number = 0;
  std::string title;
  std::string body;
  std::string state;  // "open" | "closed"
  std::optional<Account> user;
  std::vector<std::string> labels;
  std::vector<std::string> assignees;  // logins
  bool is_pull_request = false;        // GitHub sends PR conversations as issues too
};

struct Comment {
  int64_t id = 0;
  std::string body;
  std::optional<Account> user;
  std::string html_url;
  std::string created_at;      // ISO-8601 UTC, "" when absent
  int64_t in_reply_to_id = 0;  // review comments: the thread's first comment
  std::string path;            // review comments: the file
};

struct GitRef {
  std::string ref;  // branch name
  std::string sha;
  std::string repo_full_name;  // may be empty (a deleted fork)
};

struct PullRequest {
  int64_t number = 0;
  std::string title;
  std::string body;
  std::string state;
  bool merged = false;
  GitRef head;
  GitRef base;
  std::optional<Account> user;
};

struct InstallationEvent {  // installation
  std::string account_login;
  std::vector<std::string> repositories;  // full names, when listed
};
struct InstallationRepositoriesEvent {  // installation_repositories
  std::vector<std::string> added;
  std::vector<std::string> removed;
};
struct IssuesEvent {  // issues
  Issue issue;
  std::string label;     // labeled / unlabeled
  std::string assignee;  // assigned
};
struct IssueCommentEvent {  // issue_comment
  Issue issue;
  Comment comment;
};
struct PullRequestEvent {  // pull_request
  PullRequest pull_request;
};
struct PullRequestReviewEvent {  // pull_request_review
  PullRequest pull_request;
  int64_t review_id = 0;
  std::string
      state;  // lowercase in webhooks: "approved", "changes_requested", "commented", "dismissed"
  std::string body;
  std::optional<Account> reviewer;
};
struct PullRequestReviewCommentEvent {  // pull_request_review_comment
  PullRequest pull_request;
  Comment comment;
};
struct CheckEvent {  // check_suite, check_run, workflow_run
  int64_t id = 0;
  std::string name;  // check run or workflow name; empty for a suite
  std::string head_branch;
  std::string head_sha;
  std::string status;
  std::string conclusion;              // "success", "failure", ... or empty while running
  std::vector<int64_t> pull_requests;  // PR numbers
};
struct StatusEvent {  // status
  std::string sha;
  std::string state;  // "pending" | "success" | "failure" | "error"
  std::string context;
  std::string target_url;
  std::vector<std::string> branches;
};
struct PushEvent {  // push
  std::string ref;  // "refs/heads/main"
  std::string before;
  std::string after;
  bool forced = false;
  bool deleted = false;
};

using EventDetail = std::variant<InstallationEvent, InstallationRepositoriesEvent, IssuesEvent,
                                 IssueCommentEvent, PullRequestEvent, PullRequestReviewEvent,
                                 PullRequestReviewCommentEvent, CheckEvent, StatusEvent, PushEvent>;

struct WebhookEvent {
  std::string name;             // the X-GitHub-Event header: "issues", "check_run", ...
  std::string action;           // empty for push and status
  int64_t installation_id = 0;  // 0 when the payload names none
  std::optional<RepositoryRef> repository;
  std::optional<Account> sender;
  EventDetail detail;
};

// Whether the app acts on this event type and action; anything else is
// acknowledged (202) and recorded as ignored.
bool is_handled(std::string_view event, std::string_view action);

// What a delivery is about, read without full decoding, for the record of
// an ignored or rejected delivery. Fields are empty when absent.
struct DeliverySummary {
  std::string action;
  int64_t installation_id = 0;
  std::string repository;
  std::string sender;
};

// A delivery read once: its summary always (when it is JSON), and the typed
// event when the event and action are handled and the payload is complete.
struct DecodedDelivery {
  enum class Kind { event, ignored, rejected } kind = Kind::rejected;
  DeliverySummary summary;
  std::optional<WebhookEvent> event;  // kind == event
  std::string reason;                 // kind == ignored or rejected
};
DecodedDelivery decode_delivery(std::string_view event, std::string_view body);

// Decodes a handled event. Fails with a message naming what is wrong: "not
// valid JSON: ...", or "missing required field issue.number".
Result<WebhookEvent> decode_event(std::string_view event, std::string_view body);

// Best-effort summary of any JSON body; fails only if it is not JSON.
Result<DeliverySummary> summarize_delivery(std::string_view body);

}  // namespace bottega
