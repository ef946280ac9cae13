// What the engine asks GitHub about a repository while it decides: the
// App's bot login, a person's permission (cached for a while), the
// repository's config and prompt files on a branch. Files are read at the
// branch's head commit and kept by commit: a commit's files never change,
// so a file read (or found missing) once is not asked for again until the
// branch moves, and asking where the branch is costs a conditional request
// GitHub does not charge. Every file is under .github/, whose listing
// (one request per commit) tells which are not there without asking for
// each: a repository with no Bottega files costs one request per commit.
// Thread-safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "config/base/clock.h"
#include "config/base/permissions.h"
#include "config/base/result.h"
#include "config/repo_config.h"
#include "github/types.h"

namespace bottega {

class GitHubPort;

// The repository's config on a ref, with `error` saying why the file is
// invalid (the defaults are then in `config`).
struct LoadedConfig {
  RepoConfig config;
  std::string error;
};

class RepoLookups {
 public:
  RepoLookups(GitHubPort& gh, const Clock& clock, RepoConfig defaults,
              std::chrono::seconds permission_ttl);

  // The commit `branch` points at now: pass it as the ref of several reads
  // to ask where the branch is once. A commit sha is its own head; a ref
  // that is not a branch is returned as it is (its reads are not kept).
  [[nodiscard]] Result<std::string> head(const github::Repo& repo, const std::string& branch);
  // "<slug>[bot]"; "" when the slug is unknown (GitHub could not be asked).
  std::string bot();
  // none when GitHub cannot say: a command is then refused, never allowed.
  Permission permission(const github::Repo& repo, const std::string& login);
  // Fails when GitHub could not be asked (not the repository's fault: the
  // job is retried); an absent file is the defaults.
  [[nodiscard]] Result<LoadedConfig> repo_config(const github::Repo& repo, const std::string& ref);
  // nullopt when the file is absent, or GitHub could not be asked.
  std::optional<std::string> repo_file(const github::Repo& repo, const std::string& path,
                                       const std::string& ref);
  // The repository's plan template (.github/bottega/prompts/plan-template.md), else ours.
  std::string plan_template(const github::Repo& repo, const std::string& ref);

  // The port the lookups ask (for the PR side's own reads).
  GitHubPort& port() { return gh_; }

 private:
  // The file at the branch's head; nullopt when absent; fails when GitHub
  // could not be asked.
  Result<std::optional<std::string>> read(const github::Repo& repo, const std::string& path,
                                          const std::string& ref);
  // Whether the listing of .github at `commit` shows that `path` (under
  // .github/) is not there. false when it cannot tell.
  bool absent_by_listing(const github::Repo& repo, const std::string& commit,
                         const std::string& path);

  GitHubPort& gh_;
  const Clock& clock_;
  const RepoConfig defaults_;
  const std::chrono::seconds permission_ttl_;
  std::mutex mutex_;  // guards the caches below
  std::map<std::string, std::pair<Permission, std::chrono::steady_clock::time_point>> permissions_;
  // "owner/repo@sha:path" → the file, nullopt when absent; emptied when
  // over kMaxCachedBytes.
  std::map<std::string, std::optional<std::string>> files_;
  // "owner/repo@sha" → the names in .github there (empty: no .github);
  // nullopt when the listing cannot tell (cut short). Emptied with files_.
  std::map<std::string, std::optional<std::set<std::string>>> listings_;
  std::size_t files_bytes_ = 0;
};

}  // namespace bottega
