// The GitHub operations the task engine uses, and no other: the engine's
// whole view of GitHub. app/ implements it over github::GitHubClient
// (app/github_port.h); a test may implement it to play a GitHub that
// misbehaves in a way the fake cannot.
// Thread-safety: implementations are called from any worker thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "github/error.h"
#include "github/types.h"

namespace bottega {

class GitHubPort {
 public:
  virtual ~GitHubPort() = default;

  // The App's slug; "" when GitHub cannot say now.
  virtual std::string app_slug() = 0;
  // For git over HTTPS; never logged.
  virtual github::GhResult<std::string> installation_token(int64_t installation_id) = 0;
  virtual void forget_installation_token(int64_t installation_id) = 0;

  // The commit `branch` points at (GET .../git/ref/heads/{branch}; asked
  // again it is a conditional request, which GitHub does not charge).
  virtual github::GhResult<std::string> branch_head(const github::Repo& repo,
                                                    const std::string& branch) = 0;
  virtual github::GhResult<github::CollaboratorPermission> collaborator_permission(
      const github::Repo& repo, const std::string& login) = 0;
  // error().is_not_found() when the file is not there.
  virtual github::GhResult<github::FileContent> get_file_contents(const github::Repo& repo,
                                                                  const std::string& path,
                                                                  const std::string& ref) = 0;
  // The entries of a directory; error().is_not_found() when it is not there.
  virtual github::GhResult<std::vector<github::DirectoryEntry>> list_directory(
      const github::Repo& repo, const std::string& path, const std::string& ref) = 0;

  virtual github::GhResult<std::vector<github::IssueComment>> list_issue_comments(
      const github::Repo& repo, int issue) = 0;
  virtual github::GhResult<github::IssueComment> create_issue_comment(const github::Repo& repo,
                                                                      int issue,
                                                                      const std::string& body) = 0;
  virtual github::GhResult<github::IssueComment> update_issue_comment(const github::Repo& repo,
                                                                      int64_t comment_id,
                                                                      const std::string& body) = 0;
  virtual github::GhResult<void> react_to_issue_comment(const github::Repo& repo,
                                                        int64_t comment_id,
                                                        github::Reaction reaction) = 0;

  virtual github::GhResult<std::vector<std::string>> list_issue_labels(const github::Repo& repo,
                                                                       int issue) = 0;
  virtual github::GhResult<void> ensure_label(const github::Repo& repo,
                                              const github::Label& label) = 0;
  virtual github::GhResult<void> add_labels(const github::Repo& repo, int issue,
                                            const std::vector<std::string>& labels) = 0;
  virtual github::GhResult<void> remove_label(const github::Repo& repo, int issue,
                                              const std::string& label) = 0;

  virtual github::GhResult<std::optional<github::PullRequest>> find_pull_by_head(
      const github::Repo& repo, const std::string& branch) = 0;
  virtual github::GhResult<github::PullRequest> create_pull(const github::Repo& repo,
                                                            const github::NewPullRequest& pull) = 0;

  // --- the pull request side (shepherding) ---
  // Not pure: a port written for a test of the issue side need not play
  // them; such a port answers with unsupported().
  // mergeable nullopt: GitHub is still computing it.
  virtual github::GhResult<github::PullRequest> get_pull(const github::Repo& /*repo*/,
                                                         int /*number*/) {
    return unsupported();
  }
  virtual github::GhResult<std::vector<github::ReviewComment>> list_review_comments(
      const github::Repo& /*repo*/, int /*pull*/) {
    return unsupported();
  }
  virtual github::GhResult<github::ReviewComment> reply_to_review_comment(
      const github::Repo& /*repo*/, int /*pull*/, int64_t /*comment_id*/,
      const std::string& /*body*/) {
    return unsupported();
  }
  virtual github::GhResult<std::vector<github::CheckRun>> list_check_runs_for_ref(
      const github::Repo& /*repo*/, const std::string& /*ref*/) {
    return unsupported();
  }
  virtual github::GhResult<github::CombinedStatus> get_combined_status(const github::Repo& /*repo*/,
                                                                       const std::string& /*ref*/) {
    return unsupported();
  }
  virtual github::GhResult<std::vector<github::CheckAnnotation>> list_check_run_annotations(
      const github::Repo& /*repo*/, int64_t /*check_run_id*/) {
    return unsupported();
  }
  // Follows GitHub's redirect to the log file without the Authorization header.
  virtual github::GhResult<github::JobLog> download_job_log(const github::Repo& /*repo*/,
                                                            int64_t /*job_id*/,
                                                            std::size_t /*max_bytes*/) {
    return unsupported();
  }
  virtual github::GhResult<void> rerun_failed_jobs(const github::Repo& /*repo*/,
                                                   int64_t /*run_id*/) {
    return unsupported();
  }
  virtual github::GhResult<github::CheckRun> create_check_run(
      const github::Repo& /*repo*/, const github::CheckRunUpdate& /*run*/) {
    return unsupported();
  }
  virtual github::GhResult<github::CheckRun> update_check_run(
      const github::Repo& /*repo*/, int64_t /*check_run_id*/,
      const github::CheckRunUpdate& /*run*/) {
    return unsupported();
  }

 protected:
  static github::GitHubError unsupported() {
    return github::GitHubError::local(github::GitHubError::Kind::transport,
                                      "this GitHub port does not implement the pull request side");
  }
};

}  // namespace bottega
