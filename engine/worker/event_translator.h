// A webhook event → what it means for a task (Incoming): the workflow
// event, the issue it is about, whether it may create the task, and the
// repository config it was judged with. Events that mean nothing to a
// task translate to nullopt. Pure but for the lookups it is given (GitHub
// through RepoLookups, the tasks' pull requests through IssueOfPull).
// Thread-safety: translate() may be called on any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "config/base/clock.h"
#include "config/base/result.h"
#include "config/repo_config.h"
#include "engine/workflow/workflow.h"
#include "github/types.h"
#include "github/webhook/events.h"

namespace bottega {

class RepoLookups;

struct Incoming {
  int64_t installation_id = 0;
  std::string repo;
  int64_t issue = 0;
  std::string title;
  std::string body;
  std::string base_branch;
  std::string base_commit;  // its head when the event's config was read; "" when none was
  bool create = false;      // make the task if the issue has none
  workflow::Event event;
  std::optional<RepoConfig> config;  // the repository's, when it was read
  int64_t plan_comment_id = 0;       // PlanEdited: the comment edited
};

class EventTranslator {
 public:
  // The issue whose task opened the repository's pull request `number`.
  using IssueOfPull =
      std::function<Result<std::optional<int64_t>>(const std::string& repo, int64_t number)>;
  EventTranslator(RepoLookups& lookups, const Clock& clock, IssueOfPull issue_of_pull);

  // Fails when a lookup failed (the job is retried).
  [[nodiscard]] Result<std::optional<Incoming>> translate(const WebhookEvent& ev);

  // Whether the issue's task waits for answers to its plan's questions:
  // only then is a comment without a command read (as the answers), so an
  // ordinary comment costs no permission lookup. Unset: never.
  using AwaitsAnswers = std::function<Result<bool>(const std::string& repo, int64_t issue)>;
  void set_awaits_answers(AwaitsAnswers f) { awaits_answers_ = std::move(f); }

 private:
  workflow::Actor actor_of(const github::Repo& repo, const std::optional<Account>& sender);
  [[nodiscard]] Result<std::optional<Incoming>> answer(const WebhookEvent& ev,
                                                       const IssueCommentEvent& e, Incoming in);

  RepoLookups& lookups_;
  const Clock& clock_;
  IssueOfPull issue_of_pull_;
  AwaitsAnswers awaits_answers_;
};

}  // namespace bottega
