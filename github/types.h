// The GitHub objects the app reads and writes, reduced to the fields it
// uses. Decoded from the REST API's JSON (field names follow the API).
// Thread-safety: plain value types.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bottega::github {

// A repository the App is installed on; installation-scoped calls take it.
struct Repo {
  int64_t installation_id = 0;
  std::string owner;
  std::string name;
  std::string full_name() const { return owner + "/" + name; }
};

struct Installation {
  int64_t id = 0;
  std::string account_login;
};

struct InstallationToken {
  std::string token;
  std::string expires_at;  // ISO 8601, as GitHub sent it
};

struct FileContent {
  std::string path;
  std::string sha;
  std::string content;  // decoded bytes
};

// One entry of a directory's listing.
struct DirectoryEntry {
  std::string name;
  std::string type;  // "file", "dir", "symlink" ("file" for a submodule)
};

struct User {
  int64_t id = 0;
  std::string login;
  std::string type;  // "User", "Bot", "Organization"
};

struct IssueComment {
  int64_t id = 0;
  std::string body;
  User user;
  std::string html_url;
  std::string created_at;
  std::string updated_at;
};

enum class Reaction { plus_one, minus_one, laugh, confused, heart, hooray, rocket, eyes };
std::string reaction_name(Reaction r);  // "+1", "eyes", ...

struct Label {
  std::string name;
  std::string color;  // hex without '#'
  std::string description;
};

struct CollaboratorPermission {
  std::string permission;  // "admin", "write", "read" or "none" (maintain→write, triage→read)
  std::string role_name;   // finer: "admin", "maintain", "write", "triage", "read"
};

struct PullRequest {
  int64_t id = 0;
  int number = 0;
  std::string state;  // "open" or "closed"
  std::string title;
  std::string body;
  std::string html_url;
  std::string head_ref;
  std::string head_sha;
  std::string head_repo_full_name;
  std::string base_ref;
  std::string base_sha;
  bool draft = false;
  bool merged = false;
  // nullopt: GitHub is still computing it (ask again in a moment).
  std::optional<bool> mergeable;
  std::string mergeable_state;  // "clean", "dirty", "unknown", "blocked", ...
};

struct NewPullRequest {
  std::string title;
  std::string head;  // branch name (or "owner:branch" across forks)
  std::string base;
  std::string body;
  bool draft = false;
};

struct Review {
  int64_t id = 0;
  User user;
  std::string state;  // REST spelling, upper case: APPROVED, CHANGES_REQUESTED, COMMENTED, ...
  std::string body;
  std::string commit_id;
  std::string submitted_at;
};

struct ReviewComment {
  int64_t id = 0;
  int64_t pull_request_review_id = 0;
  std::optional<int64_t> in_reply_to_id;
  User user;
  std::string body;
  std::string path;
  std::optional<int> line;
  std::string commit_id;
  std::string diff_hunk;
  std::string html_url;
};

struct CheckRun {
  int64_t id = 0;
  std::string name;
  std::string head_sha;
  std::string status;      // queued, in_progress, completed
  std::string conclusion;  // "" until completed; success, failure, ...
  std::string html_url;
  std::string details_url;
  std::string title;    // output.title
  std::string summary;  // output.summary
  int annotations_count = 0;
  std::string app_slug;
};

// A commit status (the legacy Statuses API): the latest of its context.
struct CommitStatus {
  int64_t id = 0;
  std::string context;
  std::string state;  // pending, success, failure, error
  std::string description;
  std::string target_url;
};

// GET /repos/{o}/{r}/commits/{ref}/status: the latest status of each
// context; state is failure when one failed or errored, pending when one
// is pending (or there is none), success otherwise.
struct CombinedStatus {
  std::string state;
  std::vector<CommitStatus> statuses;
};

struct CheckAnnotation {
  std::string path;
  int start_line = 0;
  int end_line = 0;
  std::string annotation_level;  // notice, warning, failure
  std::string title;
  std::string message;
};

// Create or update the app's own check run; empty fields are not sent.
struct CheckRunUpdate {
  std::string name;      // required on create
  std::string head_sha;  // required on create
  std::string status;    // queued, in_progress, completed
  std::string conclusion;
  std::string details_url;
  std::string external_id;
  std::string title;
  std::string summary;
  std::string text;
};

struct JobLog {
  std::string text;  // the last max_bytes of the log
  bool truncated = false;
  std::size_t total_bytes = 0;
};

struct CompareFile {
  std::string filename;
  std::string status;
};

struct Comparison {
  std::string status;  // ahead, behind, identical, diverged
  int ahead_by = 0;
  int behind_by = 0;
  int total_commits = 0;
  std::string merge_base_sha;
  std::vector<CompareFile> files;
};

// One webhook delivery attempt of the App (GET /app/hook/deliveries).
struct HookDelivery {
  int64_t id = 0;
  std::string guid;          // the X-GitHub-Delivery value
  std::string delivered_at;  // ISO 8601
  bool redelivery = false;
  double duration = 0;
  std::string status;   // "OK", or a failure description
  int status_code = 0;  // what our endpoint answered (0: no answer)
  std::string event;
  std::string action;  // may be ""
  std::optional<int64_t> installation_id;
  std::optional<int64_t> repository_id;
};

struct HookDeliveryPage {
  std::vector<HookDelivery> deliveries;
  // Pass to the next call for the following (older) page; nullopt: last page.
  std::optional<std::string> next_cursor;
};

}  // namespace bottega::github
