// FakeGitHub: a stateful stand-in for GitHub's REST API, git smart HTTP and
// webhooks, for integration and end-to-end tests and the offline demo.
//
// What it implements (see spec/github.md, "The fake GitHub"):
// - the REST subset the app uses, with GitHub's response shapes, rate-limit
//   headers, ETags (304 without quota cost) and x-github-request-id;
// - credentials as GitHub checks them: the App JWT (RS256, verified with the
//   App's public key, expiry) on App endpoints; installation tokens (expiry,
//   installation scope) elsewhere: bad or expired → 401, a repository of
//   another installation → 404;
// - git smart HTTP through `git http-backend` at /{owner}/{repo}.git with
//   basic auth x-access-token:<token>; a push emits `push` and, for open
//   pulls whose head moved, `pull_request` `synchronize` webhooks;
// - `mergeable` computed with `git merge-tree` (null for mergeable_delay
//   after the head or base moves);
// - signed webhooks (X-Hub-Signature-256) with unique delivery ids, sent in
//   order by one sender thread, recorded for GET /app/hook/deliveries;
// - per-route fault injection and a request log.
//
// Thread-safety: every method may be called from any thread while the
// server runs. Ownership: owns its server, threads and the state directory's
// contents (git repositories under state_dir/git).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/base/result.h"

namespace bottega::fake_github {

struct FakeGitHubOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string tls_cert_file;  // both set: HTTPS
  std::string tls_key_file;
  std::string state_dir;    // required: git repositories live here
  std::string webhook_url;  // "" = webhooks are recorded, not sent
  std::string webhook_secret = "fake-webhook-secret";
  std::string webhook_ca_file;  // to trust an HTTPS webhook receiver
  int64_t app_id = 4242;
  std::string app_client_id = "Iv1.fakeclientid";
  std::string app_client_secret = "fake-client-secret";  // for sign-in (fake_oauth.h)
  std::string app_slug = "bottega";
  // Verifies App JWTs; "" = any JWT is refused. A private key PEM is
  // accepted too (its public half is used).
  std::string app_public_key_pem;
  std::chrono::seconds token_ttl{3600};
  std::chrono::milliseconds mergeable_delay{200};
  int rate_limit = 5000;  // x-ratelimit-limit per installation per hour
};

// One request as the fake saw it.
struct LoggedRequest {
  std::string method;
  std::string path;
  std::string query;
  std::string route;  // the matched template, e.g. "/repos/{owner}/{repo}/pulls"; "" = none
  int status = 0;     // 0 when the connection was dropped
  std::string auth;   // "jwt", "token", "basic", "none", "bad"
  int64_t installation_id = 0;
  std::string if_none_match;
  bool gzipped = false;  // the answer was sent gzip-encoded (client sent Accept-Encoding: gzip)
  std::string body;
  std::chrono::steady_clock::time_point at;
};

// A misbehaviour for the next `times` requests matching a route.
struct Fault {
  enum class Kind {
    status,           // answer `status` with a GitHub-style error body
    secondary_limit,  // 403 "You have exceeded a secondary rate limit", retry-after if >= 0
    too_many,         // 429, retry-after if >= 0
    primary_limit,    // 403 with x-ratelimit-remaining: 0 and reset = now + reset_in
    slow,             // answer normally after `delay`
    drop,             // close the connection without an answer
    body,             // answer `status` with `body` as is (a malformed or odd answer)
    lost,             // do what was asked, then close the connection: the answer is lost
  };
  Kind kind = Kind::status;
  int status = 500;
  int retry_after = -1;  // seconds; < 0: no retry-after header
  std::chrono::seconds reset_in{30};
  std::chrono::milliseconds delay{0};
  std::string body;  // Kind::body
  int times = 1;
};

struct SentWebhook {
  int64_t delivery_id = 0;
  std::string guid;
  std::string event;
  std::string action;
  std::string body;
  int status_code = 0;  // what the receiver answered; 0 = not sent or no answer
};

struct InlineComment {
  std::string path;
  int line = 1;
  std::string body;
};

struct Annotation {
  std::string path;
  int start_line = 1;
  int end_line = 1;
  std::string level = "failure";
  std::string title;
  std::string message;
};

struct PullView {
  int number = 0;
  std::string state;
  std::string title;
  std::string head_ref;
  std::string head_sha;
  std::string base_ref;
  bool merged = false;
  std::string body;
  std::string user;
};

struct CommentView {
  int64_t id = 0;
  std::string user;
  std::string body;
  std::string created_at;  // ISO-8601 UTC, as GitHub writes them
  std::string updated_at;
};

struct ReviewCommentView {
  int64_t id = 0;
  int64_t review_id = 0;
  int64_t in_reply_to = 0;  // 0: the thread's first comment
  std::string user;
  std::string path;
  std::string body;
  int line = 0;
};

// A submitted pull request review (its inline comments are ReviewCommentViews).
struct ReviewView {
  int64_t id = 0;
  std::string user;
  std::string state;  // APPROVED, CHANGES_REQUESTED, COMMENTED
  std::string body;
  std::string commit_id;
};

struct ReactionView {
  std::string user;
  std::string content;  // "+1", "-1", "eyes", ...
};

// A label added to or removed from an issue (by a person or through the API).
struct LabelEvent {
  std::string action;  // "labeled" or "unlabeled"
  std::string label;
  std::string user;
};

class FakeGitHub {
 public:
  explicit FakeGitHub(FakeGitHubOptions options);
  ~FakeGitHub();
  FakeGitHub(const FakeGitHub&) = delete;
  FakeGitHub& operator=(const FakeGitHub&) = delete;

  // start() after stop() serves the same state on the same port (as a
  // GitHub that dropped every connection).
  Result<void> start();
  void stop();  // also flushes pending webhooks (bounded wait), closes every connection
  uint16_t port() const;
  std::string base_url() const;  // http(s)://127.0.0.1:<port>
  // Where git clones from: <base_url>/<owner>/<repo>.git
  std::string clone_url(const std::string& owner, const std::string& repo) const;

  // --- state set-up ---------------------------------------------------------
  // A new installation of the App on `account`; returns its id.
  int64_t add_installation(const std::string& account);
  // A repository (bare git repo on branch main with `files` committed, or
  // a README when empty) under an installation. Returns the repository id.
  Result<int64_t> add_repository(int64_t installation_id, const std::string& owner,
                                 const std::string& name,
                                 const std::map<std::string, std::string>& files = {});
  // permission: admin, maintain, write, triage, read (anything else: none).
  void set_permission(const std::string& owner, const std::string& repo, const std::string& user,
                      const std::string& permission);
  // A token GitHub would hand the installation (tests use it for git).
  std::string issue_token(int64_t installation_id, std::chrono::seconds ttl);
  // Makes every token of the installation unknown (as if expired/revoked).
  void revoke_tokens(int64_t installation_id);

  // --- scripted events (each sends its webhook) -------------------------------
  int create_issue(const std::string& owner, const std::string& repo, const std::string& user,
                   const std::string& title, const std::string& body,
                   const std::vector<std::string>& labels = {});
  int64_t add_comment(const std::string& owner, const std::string& repo, int number,
                      const std::string& user, const std::string& body);
  // Adds a label as `user` (nothing happens, as on GitHub, when the issue has it).
  void add_label_by(const std::string& owner, const std::string& repo, int number,
                    const std::string& user, const std::string& label);
  // Edits a comment as `user` (who need not be its author: writers may edit
  // any comment); sends issue_comment edited with changes.body.from. False
  // when there is no such comment.
  bool edit_comment(const std::string& owner, const std::string& repo, int64_t comment_id,
                    const std::string& user, const std::string& new_body);
  // Assigns `assignee` (e.g. "bottega[bot]") to the issue as `user`: issues assigned.
  void assign_issue(const std::string& owner, const std::string& repo, int number,
                    const std::string& user, const std::string& assignee);
  // Closes the issue as `user`: issues closed.
  void close_issue(const std::string& owner, const std::string& repo, int number,
                   const std::string& user);
  // Deletes the issue as `user` (an admin, on GitHub): issues deleted; the
  // issue and its comments are gone (the API answers 404 for them).
  void delete_issue(const std::string& owner, const std::string& repo, int number,
                    const std::string& user);
  // The account's owner (`user`) uninstalls the App: `installation`
  // deleted; the installation's tokens are revoked and its repositories are
  // out of reach (404) and send no more webhooks.
  void uninstall(int64_t installation_id, const std::string& user);
  // Suspends the installation (`installation` suspend): tokens revoked, a
  // new one refused (403), no webhooks from its repositories until
  // unsuspend_installation (`installation` unsuspend).
  void suspend_installation(int64_t installation_id, const std::string& user);
  void unsuspend_installation(int64_t installation_id, const std::string& user);
  // Takes the repository out of the installation's selection
  // (`installation_repositories` removed): out of reach of its tokens, no
  // more webhooks from it.
  void remove_repository(int64_t installation_id, const std::string& owner, const std::string& repo,
                         const std::string& user);
  // A review (state APPROVED, CHANGES_REQUESTED or COMMENTED) with inline
  // comments on the pull's head. Returns the review id.
  int64_t submit_review(const std::string& owner, const std::string& repo, int pull,
                        const std::string& user, const std::string& state, const std::string& body,
                        const std::vector<InlineComment>& comments = {});
  // A completed check run of another app (GitHub Actions) on `sha` with a job
  // log; returns the check run id (= the job id for the log endpoint).
  int64_t add_check_run(const std::string& owner, const std::string& repo, const std::string& sha,
                        const std::string& name, const std::string& conclusion,
                        const std::string& log = "",
                        const std::vector<Annotation>& annotations = {});
  // A commit status (the Statuses API) set on `sha` by a CI service that is
  // no App (sender "ci-service[bot]"): state pending, success, failure or
  // error; sends the `status` webhook. Returns the status id.
  int64_t add_status(const std::string& owner, const std::string& repo, const std::string& sha,
                     const std::string& context, const std::string& state,
                     const std::string& description = "", const std::string& target_url = "");
  // Commits files on a branch (created from main if missing) as `user` and
  // sends push (and synchronize) webhooks. Returns the new commit sha.
  Result<std::string> commit_files(const std::string& owner, const std::string& repo,
                                   const std::string& branch,
                                   const std::map<std::string, std::string>& files,
                                   const std::string& message, const std::string& user = "octocat");
  // Closes ("closed") or reopens ("open") a pull as `user`: pull_request
  // closed / reopened. Fails for a merged pull.
  Result<void> set_pull_state(const std::string& owner, const std::string& repo, int pull,
                              const std::string& user, const std::string& state);
  // Merges a pull as a person would (fast merge commit into base).
  Result<void> merge_pull(const std::string& owner, const std::string& repo, int pull,
                          const std::string& user);

  // --- inspection --------------------------------------------------------------
  std::vector<LoggedRequest> requests() const;
  void clear_requests();
  std::vector<SentWebhook> webhooks() const;
  // The manifest of the last App registered through the manifest form ("" if none).
  std::string registered_manifest() const;
  // Sends the webhook `delivery_id` again under a new delivery id (GUID), as
  // a second hook on the repository (or a proxy that retries) would: the
  // same event, the same body. Returns the new delivery's id; 0 when there
  // is no such delivery.
  int64_t send_again_as_another_hook(int64_t delivery_id);
  // Waits until `count` webhooks have been attempted (or the timeout passes).
  bool wait_for_webhooks(std::size_t count, std::chrono::milliseconds timeout) const;
  std::vector<std::string> issue_labels(const std::string& owner, const std::string& repo,
                                        int number) const;
  std::vector<std::string> repo_labels(const std::string& owner, const std::string& repo) const;
  // The workflow runs whose failed jobs were re-run (POST
  // .../actions/runs/{run_id}/rerun-failed-jobs), in order. A re-run's result
  // is the test's to add (add_check_run on the same head and name).
  std::vector<int64_t> reruns() const;
  // The check runs on `sha`, oldest first: (app slug, name, status, conclusion, title).
  struct CheckRunView {
    std::string app_slug, name, status, conclusion, title;
  };
  std::vector<CheckRunView> check_runs(const std::string& owner, const std::string& repo,
                                       const std::string& sha) const;
  // The pull's review comments (inline comments and thread replies), oldest first.
  std::vector<ReviewCommentView> review_comments(const std::string& owner, const std::string& repo,
                                                 int pull) const;
  // The pull's submitted reviews, oldest first.
  std::vector<ReviewView> reviews(const std::string& owner, const std::string& repo,
                                  int pull) const;
  std::vector<CommentView> comments(const std::string& owner, const std::string& repo,
                                    int number) const;
  std::optional<CommentView> comment(const std::string& owner, const std::string& repo,
                                     int64_t comment_id) const;
  std::optional<PullView> pull(const std::string& owner, const std::string& repo, int number) const;
  // Every pull of the repository, open or not, oldest first.
  std::vector<PullView> pulls(const std::string& owner, const std::string& repo) const;
  // The reactions' contents on an issue or review comment.
  std::vector<std::string> reactions(const std::string& owner, const std::string& repo,
                                     int64_t comment_id) const;
  // The same with who reacted (the App's reactions are by "<slug>[bot]").
  std::vector<ReactionView> comment_reactions(const std::string& owner, const std::string& repo,
                                              int64_t comment_id) const;
  // Every label added to or removed from the issue since it was opened, in order.
  std::vector<LabelEvent> label_history(const std::string& owner, const std::string& repo,
                                        int number) const;
  std::string git_dir(const std::string& owner, const std::string& repo) const;
  std::string branch_sha(const std::string& owner, const std::string& repo,
                         const std::string& branch) const;

  // --- faults --------------------------------------------------------------------
  // method "*" matches any; route is a template as in LoggedRequest::route.
  void inject_fault(const std::string& method, const std::string& route, Fault fault);
  void clear_faults();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// An RSA key pair made with OpenSSL, PEM encoded, for an App under test.
struct KeyPair {
  std::string private_pem;
  std::string public_pem;
};
KeyPair generate_rsa_key_pair(int bits = 2048);

}  // namespace bottega::fake_github
