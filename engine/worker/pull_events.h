// The pull request side of the event translator (spec/shepherd.md): a
// webhook about a task's pull request → the workflow event for its task.
// Comments on the PR's conversation (a PR-side command, a mention of the
// App), submitted reviews and review comments (with the inline comments
// and their threads read from GitHub), the PR closed, reopened or pushed
// to, and checks (check runs and commit statuses) completed on its head
// (all of them, read from GitHub, so the turn waits for the last). Text is only collected here: who
// may reach an agent (permission, bots) is the workflow's decision. Thread-safety: translate() may
// be called on any thread.
#pragma once

#include <optional>

#include "config/base/result.h"
#include "engine/worker/event_translator.h"
#include "github/webhook/events.h"

namespace bottega {

class GitHubPort;
class RepoLookups;

class PullEvents {
 public:
  PullEvents(GitHubPort& gh, RepoLookups& lookups, EventTranslator::IssueOfPull issue_of_pull);

  // Whether `ev` is about a pull request (this class translates it).
  static bool handles(const WebhookEvent& ev);
  // Whether a bot's event may still mean something: checks (CI runs as
  // bots) and reviews (from a bot the repository trusts). As routing's
  // bots_may_act (engine/intake/routing.h).
  static bool bots_may_act(const WebhookEvent& ev);
  // `in` comes with the repository and installation filled; nullopt: no task
  // PR, or nothing to act on (yet). Fails when GitHub could not be asked.
  [[nodiscard]] Result<std::optional<Incoming>> translate(const WebhookEvent& ev, Incoming in,
                                                          int64_t now);

 private:
  workflow::Actor actor(const github::Repo& repo, const std::optional<Account>& who);
  Result<std::optional<Incoming>> checks(const WebhookEvent& ev, const CheckEvent& c, Incoming in);
  // A commit status on a task PR's head (the Statuses API).
  Result<std::optional<Incoming>> status(const WebhookEvent& ev, const StatusEvent& s, Incoming in);
  // Every check run and commit status on the PR's head `head_sha`: nothing
  // while one is still running (or the head moved on), else ChecksCompleted.
  Result<std::optional<Incoming>> judge(const github::Repo& repo, int64_t number,
                                        const std::string& head_sha, Incoming in);
  Result<std::optional<Incoming>> review(const WebhookEvent& ev, const PullRequestReviewEvent& r,
                                         Incoming in);

  GitHubPort& gh_;
  RepoLookups& lookups_;
  EventTranslator::IssueOfPull issue_of_pull_;
};

// Whether `body` mentions `@<slug>` (or `@<slug>[bot]`) as a word.
bool mentions(const std::string& body, const std::string& slug);

}  // namespace bottega
