// The task engine's GitHub port (engine/worker/github_port.h) over the
// REST client: each operation forwards to the client, the App's slug is
// read from GET /app once and kept.
// Thread-safety: as the client (any thread). Ownership: borrows the client.
#pragma once

#include <mutex>

#include "engine/worker/github_port.h"
#include "github/client.h"

namespace bottega {

class GitHubClientPort final : public GitHubPort {
 public:
  explicit GitHubClientPort(github::GitHubClient& client, std::string app_slug = "")
      : client_(client), slug_(std::move(app_slug)) {}

  std::string app_slug() override;
  github::GhResult<std::string> branch_head(const github::Repo& repo,
                                            const std::string& branch) override;
  github::GhResult<std::string> installation_token(int64_t installation_id) override {
    return client_.installation_token(installation_id);
  }
  void forget_installation_token(int64_t installation_id) override {
    client_.forget_installation_token(installation_id);
  }
  github::GhResult<github::CollaboratorPermission> collaborator_permission(
      const github::Repo& repo, const std::string& login) override {
    return client_.collaborator_permission(repo, login);
  }
  github::GhResult<github::FileContent> get_file_contents(const github::Repo& repo,
                                                          const std::string& path,
                                                          const std::string& ref) override {
    return client_.get_file_contents(repo, path, ref);
  }
  github::GhResult<std::vector<github::DirectoryEntry>> list_directory(
      const github::Repo& repo, const std::string& path, const std::string& ref) override {
    return client_.list_directory(repo, path, ref);
  }
  github::GhResult<std::vector<github::IssueComment>> list_issue_comments(const github::Repo& repo,
                                                                          int issue) override {
    return client_.list_issue_comments(repo, issue);
  }
  github::GhResult<github::IssueComment> create_issue_comment(const github::Repo& repo, int issue,
                                                              const std::string& body) override {
    return client_.create_issue_comment(repo, issue, body);
  }
  github::GhResult<github::IssueComment> update_issue_comment(const github::Repo& repo,
                                                              int64_t comment_id,
                                                              const std::string& body) override {
    return client_.update_issue_comment(repo, comment_id, body);
  }
  github::GhResult<void> react_to_issue_comment(const github::Repo& repo, int64_t comment_id,
                                                github::Reaction reaction) override {
    return client_.react_to_issue_comment(repo, comment_id, reaction);
  }
  github::GhResult<std::vector<std::string>> list_issue_labels(const github::Repo& repo,
                                                               int issue) override {
    return client_.list_issue_labels(repo, issue);
  }
  // Creates first and takes "already exists" (422) as success: one request,
  // where asking first takes two for a label that is missing.
  github::GhResult<void> ensure_label(const github::Repo& repo,
                                      const github::Label& label) override;
  github::GhResult<void> add_labels(const github::Repo& repo, int issue,
                                    const std::vector<std::string>& labels) override {
    return client_.add_labels(repo, issue, labels);
  }
  github::GhResult<void> remove_label(const github::Repo& repo, int issue,
                                      const std::string& label) override {
    return client_.remove_label(repo, issue, label);
  }
  github::GhResult<std::optional<github::PullRequest>> find_pull_by_head(
      const github::Repo& repo, const std::string& branch) override {
    return client_.find_pull_by_head(repo, branch);
  }
  github::GhResult<github::PullRequest> create_pull(const github::Repo& repo,
                                                    const github::NewPullRequest& pull) override {
    return client_.create_pull(repo, pull);
  }
  github::GhResult<github::PullRequest> get_pull(const github::Repo& repo, int number) override {
    return client_.get_pull(repo, number);
  }
  github::GhResult<std::vector<github::ReviewComment>> list_review_comments(
      const github::Repo& repo, int pull) override {
    return client_.list_review_comments(repo, pull);
  }
  github::GhResult<github::ReviewComment> reply_to_review_comment(
      const github::Repo& repo, int pull, int64_t comment_id, const std::string& body) override {
    return client_.reply_to_review_comment(repo, pull, comment_id, body);
  }
  github::GhResult<std::vector<github::CheckRun>> list_check_runs_for_ref(
      const github::Repo& repo, const std::string& ref) override {
    return client_.list_check_runs_for_ref(repo, ref);
  }
  github::GhResult<github::CombinedStatus> get_combined_status(const github::Repo& repo,
                                                               const std::string& ref) override {
    return client_.get_combined_status(repo, ref);
  }
  github::GhResult<std::vector<github::CheckAnnotation>> list_check_run_annotations(
      const github::Repo& repo, int64_t check_run_id) override {
    return client_.list_check_run_annotations(repo, check_run_id);
  }
  github::GhResult<github::JobLog> download_job_log(const github::Repo& repo, int64_t job_id,
                                                    std::size_t max_bytes) override {
    return client_.download_job_log(repo, job_id, max_bytes);
  }
  github::GhResult<void> rerun_failed_jobs(const github::Repo& repo, int64_t run_id) override {
    return client_.rerun_failed_jobs(repo, run_id);
  }
  github::GhResult<github::CheckRun> create_check_run(const github::Repo& repo,
                                                      const github::CheckRunUpdate& run) override {
    return client_.create_check_run(repo, run);
  }
  github::GhResult<github::CheckRun> update_check_run(const github::Repo& repo,
                                                      int64_t check_run_id,
                                                      const github::CheckRunUpdate& run) override {
    return client_.update_check_run(repo, check_run_id, run);
  }

 private:
  github::GitHubClient& client_;
  std::mutex mutex_;
  std::string slug_;  // under mutex_; "" until known
};

}  // namespace bottega
