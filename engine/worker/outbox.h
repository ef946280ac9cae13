// Performs a task's outbox: the GitHub effects its decisions left
// (reactions, replies, the plan and status comments, the phase label).
// What is left after a failure stays for the retry. The row is locked only
// to take out what was done, so events are decided while effects wait out
// GitHub's spacing; one flusher of a task at a time (an advisory lock)
// never posts an effect twice. An acknowledging flush (the reactions,
// nothing else) takes no flusher lock: a reaction sent twice is one.
// Thread-safety: flush() may run on any thread, for any task.
#pragma once

#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <utility>

#include "config/base/clock.h"
#include "config/base/result.h"
#include "engine/worker/task_row.h"
#include "engine/worker/task_store.h"

namespace bottega {

class Database;
class RepoLookups;
class GitHubPort;

class Outbox {
 public:
  // public_url: the app's address, for the task page link ("": none).
  Outbox(Database& db, GitHubPort& gh, RepoLookups& lookups, const Clock& clock,
         std::string github_web_url, std::string public_url = "");

  [[nodiscard]] Result<void> flush(int64_t task_id, bool acknowledgements_only = false);

 private:
  Result<void> perform(TaskRow& row, const github::Repo& repo, const workflow::Action& action);
  // comment_id: > 0 the comment, 0 none yet, < 0 maybe posted (find it by its marker).
  template <class IsOurs>
  Result<void> upsert_comment(const github::Repo& repo, const workflow::Task& t,
                              task_store::MarkedComment which, const std::string& body,
                              int64_t& comment_id, IsOurs is_ours);
  Result<void> sync_plan_comment(TaskRow& row, const github::Repo& repo);
  Result<void> reply_in_thread(TaskRow& row, const github::Repo& repo,
                               const workflow::ReplyInThread& reply);
  Result<void> sync_status(TaskRow& row, const github::Repo& repo);
  Result<void> sync_label(TaskRow& row, const github::Repo& repo);
  // The App's own check run ("bottega") on the PR's head (own_check_run.cpp).
  Result<void> sync_check_run(TaskRow& row, const github::Repo& repo);
  // The newest of the App's runs named bottega on `head`: its id and what
  // it says (0 and "" when there is none).
  Result<std::pair<int64_t, std::string>> find_check_run(const github::Repo& repo,
                                                         const std::string& head);
  Result<void> ensure_label(const github::Repo& repo, const std::string& name,
                            const std::string& color);

  Database& db_;
  GitHubPort& gh_;
  RepoLookups& lookups_;
  const Clock& clock_;
  const std::string github_web_url_;
  const std::string public_url_;
  std::mutex mutex_;
  std::set<std::string> labels_made_;  // "owner/repo:label", under mutex_
};

}  // namespace bottega
