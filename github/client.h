// GitHubClient: the app's only way to act on GitHub's REST API.
//
// It authenticates as the App (an RS256 JWT) for /app endpoints and as an
// installation (a cached installation token) for everything else; it obeys
// GitHub's rate limits (primary: x-ratelimit-remaining/reset per
// installation; secondary: retry-after or at least 60 s with exponential
// back-off), serializes and spaces mutating requests per installation,
// retries 5xx and connection failures a bounded number of times with
// jittered back-off (never other 4xx), serves repeated reads from an ETag
// cache (a 304 costs no quota), and logs one `github` line per request
// (method, route template, status, duration, remaining quota; never a token).
// The behaviour is specified in spec/github.md.
//
// Every operation blocks the calling thread until it has an answer or a
// GitHubError. Thread-safety: all methods may be called from any number of
// threads at once. Ownership: the client owns its connection pool and
// caches; the Clock and Sleeper passed in must outlive it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/base/clock.h"
#include "github/error.h"
#include "github/types.h"

namespace bottega::github {

// Waiting, behind an interface so tests see (and skip) every wait.
// Thread-safety: implementations must be safe from any thread.
class Sleeper {
 public:
  virtual ~Sleeper() = default;
  virtual void sleep_for(std::chrono::milliseconds duration) = 0;
};

class RealSleeper final : public Sleeper {
 public:
  void sleep_for(std::chrono::milliseconds duration) override;
  static RealSleeper& instance();
};

struct GitHubClientOptions {
  std::string api_url = "https://api.github.com";  // no trailing slash needed
  std::string ca_file;                             // PEM bundle to trust; "" = the system's roots
  // The JWT issuer: the client id when set, else the app id.
  std::string app_id;
  std::string client_id;
  std::string private_key_pem;   // the App's RSA private key (PEM)...
  std::string private_key_file;  // ...or the file holding it (read by create())
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds read_timeout{30'000};
  int max_connections_per_host = 16;
  std::string user_agent = "bottega-github-app";

  // Retries of 5xx answers and connection failures: at most max_attempts
  // tries in all, the n-th retry after a random delay in
  // [retry_base * 2^(n-1) / 2, retry_base * 2^(n-1)].
  int max_attempts = 4;
  std::chrono::milliseconds retry_base{1'000};
  // Rate-limit waits: a secondary limit without retry-after waits at least
  // secondary_min_wait, doubling each time in a row; a wait longer than
  // max_rate_limit_wait is not done: the call fails with kind rate_limited
  // and retry_at, so a queue can retry later. At most max_rate_limit_retries.
  std::chrono::milliseconds secondary_min_wait{60'000};
  std::chrono::milliseconds max_rate_limit_wait{15 * 60'000};
  int max_rate_limit_retries = 3;
  // Mutating requests per installation: one at a time, starts spaced by
  // mutation_spacing, at most content_creations_per_minute POSTs that create
  // content in any 60 s.
  std::chrono::milliseconds mutation_spacing{1'000};
  int content_creations_per_minute = 80;
  // Installation tokens are refreshed this long before they expire.
  std::chrono::seconds token_refresh_margin{300};
  std::size_t etag_cache_entries = 512;
};

// A parsed answer of the generic request() call.
struct ApiResponse {
  int status = 0;
  std::string body;
  std::string link;         // the Link header (pagination)
  bool from_cache = false;  // a 304 answered from the ETag cache
};

class GitHubClient {
 public:
  // Fails (kind auth) when neither id is set, the private key is missing,
  // unreadable or not RSA, or api_url is not an http(s) URL.
  static GhResult<std::unique_ptr<GitHubClient>> create(
      GitHubClientOptions options, const Clock& clock = SystemClock::instance(),
      Sleeper& sleeper = RealSleeper::instance());
  ~GitHubClient();
  GitHubClient(const GitHubClient&) = delete;
  GitHubClient& operator=(const GitHubClient&) = delete;

  // --- authentication -----------------------------------------------------
  // A fresh App JWT (for callers that need one, e.g. diagnostics).
  GhResult<std::string> app_jwt();
  // An installation token, from the cache when it has over
  // token_refresh_margin left; concurrent callers share one refresh. Use it
  // for git over HTTPS (user x-access-token); never log it.
  GhResult<std::string> installation_token(int64_t installation_id);
  // Drops the cached token (after git reported it invalid).
  void forget_installation_token(int64_t installation_id);

  // --- App endpoints (JWT) ------------------------------------------------
  // GET /repos/{owner}/{repo}/installation. 404: the App is not installed.
  GhResult<Installation> repository_installation(const std::string& owner, const std::string& repo);
  // GET /app/hook/deliveries?per_page=&cursor=: the App's recent webhook
  // deliveries, newest first. per_page 1..100; cursor from the previous page.
  GhResult<HookDeliveryPage> list_hook_deliveries(int per_page = 100,
                                                  const std::optional<std::string>& cursor = {});
  // POST /app/hook/deliveries/{delivery_id}/attempts (GitHub answers 202).
  GhResult<void> redeliver_hook_delivery(int64_t delivery_id);

  // --- repository contents --------------------------------------------------
  // GET /repos/{o}/{r}/contents/{path}?ref=. 404 (not an error for callers
  // that treat a missing file as "no config"): error().is_not_found().
  GhResult<FileContent> get_file_contents(const Repo& repo, const std::string& path,
                                          const std::string& ref = "");
  // The same route on a directory: its entries. GitHub lists at most 1,000
  // (a longer directory is cut short); a path that is a file is a decode
  // error; 404: error().is_not_found().
  GhResult<std::vector<DirectoryEntry>> list_directory(const Repo& repo, const std::string& path,
                                                       const std::string& ref = "");

  // --- issue comments -------------------------------------------------------
  GhResult<IssueComment> create_issue_comment(const Repo& repo, int issue_number,
                                              const std::string& body);
  GhResult<IssueComment> update_issue_comment(const Repo& repo, int64_t comment_id,
                                              const std::string& body);
  // All comments of the issue or PR, oldest first (follows pagination).
  GhResult<std::vector<IssueComment>> list_issue_comments(const Repo& repo, int issue_number);

  // --- reactions (an existing identical reaction is success) -----------------
  GhResult<void> react_to_issue_comment(const Repo& repo, int64_t comment_id, Reaction reaction);
  GhResult<void> react_to_review_comment(const Repo& repo, int64_t comment_id, Reaction reaction);
  GhResult<void> react_to_issue(const Repo& repo, int issue_number, Reaction reaction);

  // --- labels -----------------------------------------------------------------
  // Creates the label in the repository unless it exists (422 "already
  // exists" from a concurrent creation is success).
  GhResult<void> ensure_label(const Repo& repo, const Label& label);
  GhResult<void> add_labels(const Repo& repo, int issue_number,
                            const std::vector<std::string>& labels);
  // The names of the issue's labels (follows pagination).
  GhResult<std::vector<std::string>> list_issue_labels(const Repo& repo, int issue_number);
  // Removing a label the issue does not have is success.
  GhResult<void> remove_label(const Repo& repo, int issue_number, const std::string& label);

  // --- permissions --------------------------------------------------------------
  // GET /repos/{o}/{r}/collaborators/{username}/permission. A user who is
  // not a collaborator gets "read" or "none" from GitHub, never an error.
  GhResult<CollaboratorPermission> collaborator_permission(const Repo& repo,
                                                           const std::string& username);

  // --- pulls ----------------------------------------------------------------------
  GhResult<PullRequest> create_pull(const Repo& repo, const NewPullRequest& pull);
  // mergeable nullopt means GitHub is still computing it.
  GhResult<PullRequest> get_pull(const Repo& repo, int number);
  // The most recent PR (any state) whose head is owner:branch in this
  // repository; nullopt when there is none.
  GhResult<std::optional<PullRequest>> find_pull_by_head(const Repo& repo,
                                                         const std::string& branch);

  // --- reviews ----------------------------------------------------------------------
  GhResult<std::vector<Review>> list_reviews(const Repo& repo, int pull_number);
  GhResult<std::vector<ReviewComment>> list_review_comments(const Repo& repo, int pull_number);
  GhResult<ReviewComment> reply_to_review_comment(const Repo& repo, int pull_number,
                                                  int64_t comment_id, const std::string& body);

  // --- checks ------------------------------------------------------------------------
  GhResult<std::vector<CheckRun>> list_check_runs_for_ref(const Repo& repo, const std::string& ref);
  GhResult<std::vector<CheckAnnotation>> list_check_run_annotations(const Repo& repo,
                                                                    int64_t check_run_id);
  // The combined status of the commit statuses on `ref` (every page).
  GhResult<CombinedStatus> get_combined_status(const Repo& repo, const std::string& ref);
  GhResult<CheckRun> create_check_run(const Repo& repo, const CheckRunUpdate& run);
  GhResult<CheckRun> update_check_run(const Repo& repo, int64_t check_run_id,
                                      const CheckRunUpdate& run);

  // --- Actions -----------------------------------------------------------------------
  // GET /repos/{o}/{r}/actions/jobs/{job_id}/logs, following the redirect to
  // the log file; keeps the last max_bytes (failures are at the end).
  GhResult<JobLog> download_job_log(const Repo& repo, int64_t job_id,
                                    std::size_t max_bytes = 1 << 20);
  // POST /repos/{o}/{r}/actions/runs/{run_id}/rerun-failed-jobs (201). A
  // run that is already running again answers 403: error().status == 403.
  GhResult<void> rerun_failed_jobs(const Repo& repo, int64_t run_id);

  // --- compare -----------------------------------------------------------------------
  GhResult<Comparison> compare(const Repo& repo, const std::string& base, const std::string& head);

  // --- generic ------------------------------------------------------------------------
  // One request through the same auth, limits, retries and cache.
  // route: a template such as "/repos/{owner}/{repo}/issues/{issue_number}";
  // each {..} is replaced in order by params (percent-encoded). query is
  // appended as is. installation_id 0: authenticate as the App (JWT).
  GhResult<ApiResponse> request(const std::string& method, const std::string& route,
                                const std::vector<std::string>& params, int64_t installation_id,
                                const std::string& body = "", const std::string& query = "");

  // Connections opened so far (pool reuse check in tests).
  std::size_t connections_opened() const;

 private:
  struct Impl;
  explicit GitHubClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bottega::github
