// The pull request side (spec/shepherd.md): fix turns for failing checks,
// conflicts and review feedback; merge, close and reopen.
#include <algorithm>

#include "engine/workflow/decider.h"

namespace bottega::workflow::detail {

Decision Decider::operator()(const PullRequestReopened&) {
  if (t().phase != Phase::cancelled || t().pr_number == 0) return std::move(d_);
  t().phase = Phase::pr_open;
  t().pull.fixing = FixKind::none;
  t().pull.checks.clear();
  t().notes.push_back("The pull request was reopened; it is watched again.");
  act(SyncStatus{});
  return std::move(d_);
}

// A review or a comment mentioning the App. Nothing from a bot nobody
// trusted, nor from someone without the command permission, reaches an
// agent; neither gets an answer (a review is no command).
Decision Decider::operator()(const FeedbackArrived& e) {
  if (e.items.empty()) return std::move(d_);
  if (e.actor.is_bot ? !e.trusted_bot : e.actor.permission < t().command_permission)
    return std::move(d_);
  if (!watching_pull()) return std::move(d_);
  react(e.comment_id, github::Reaction::eyes);
  return gather(e.items, e.actor.login);
}

Decision Decider::operator()(const ChecksCompleted& e) {
  auto& p = t().pull;
  if (!watching_pull() || e.head_sha.empty()) return std::move(d_);
  if (e.head_sha != p.head_sha) {
    p.head_sha = e.head_sha;  // a push we had not heard of yet
    p.failing.clear();
  }
  const std::vector<std::string> passed_before = p.passed_checks;
  for (const auto& name : e.passed)
    if (std::find(p.passed_checks.begin(), p.passed_checks.end(), name) == p.passed_checks.end())
      p.passed_checks.push_back(name);
  if (e.failing.empty()) {
    if (p.checks == "passing") return std::move(d_);
    p.checks = "passing";
    p.failing.clear();
    act(SyncStatus{});
    return std::move(d_);
  }
  // The failures that were re-run, reported again (another suite's event):
  // their re-runs' results are still to come.
  if (p.rerun_head == e.head_sha &&
      std::all_of(e.failing.begin(), e.failing.end(), [&](const FailedCheck& f) {
        return std::find(p.rerun_checks.begin(), p.rerun_checks.end(), f.check_run_id) !=
               p.rerun_checks.end();
      }))
    return std::move(d_);
  p.checks = "failing";
  p.failing = e.failing;
  // Fixing: the fix's push brings new checks. Blocked: shown, nothing spent.
  if (t().phase != Phase::pr_open || p.ci_spent_head == e.head_sha) {
    act(SyncStatus{});
    return std::move(d_);
  }
  // Flaky first: a check that passed on an earlier head of this PR is
  // re-run once on this head before a fix turn is spent on it.
  if (p.rerun_head != e.head_sha) {
    std::vector<int64_t> runs, rerun;
    std::string names;
    for (const auto& f : e.failing) {
      const bool passed =
          std::find(passed_before.begin(), passed_before.end(), f.name) != passed_before.end();
      if (!passed || f.workflow_run_id == 0) continue;
      if (std::find(runs.begin(), runs.end(), f.workflow_run_id) == runs.end())
        runs.push_back(f.workflow_run_id);
      rerun.push_back(f.check_run_id);
      names += (names.empty() ? "`" : ", `") + f.name + "`";
    }
    if (!runs.empty()) {
      p.rerun_head = e.head_sha;
      p.rerun_checks = std::move(rerun);
      p.checks = "pending";
      for (int64_t run : runs) act(RerunFailedJobs{run});
      t().notes.push_back("Re-ran " + names + " (possibly flaky).");
      act(SyncStatus{});
      return std::move(d_);
    }
  }
  p.ci_spent_head = e.head_sha;
  if (p.ci_fixes >= p.max_ci_fixes) {
    p.fixing = FixKind::ci;
    return block(BlockCause::ci_cap, "The CI fix cap was reached",
                 "`" + e.failing.front().name + "` still fails after " +
                     std::to_string(p.ci_fixes) + " fix turn(s) (`limits.max_ci_fixes` is " +
                     std::to_string(p.max_ci_fixes) + "); `/retry` grants one more",
                 "", Phase::fixing);
  }
  p.ci_fixes += 1;
  return start_fix(FixKind::ci);
}

Decision Decider::operator()(const PullHeadMoved& e) {
  auto& p = t().pull;
  if (!watching_pull() || e.head_sha.empty() || e.head_sha == p.head_sha) return std::move(d_);
  p.head_sha = e.head_sha;
  p.checks = "pending";
  p.failing.clear();
  act(SyncStatus{});
  return std::move(d_);
}

Decision Decider::operator()(const MergeabilityKnown& e) {
  auto& p = t().pull;
  if (t().phase != Phase::pr_open) return std::move(d_);
  if (e.mergeable) return std::move(d_);
  if (!e.workflow_change.empty()) {
    const std::string note =
        "The base branch changed a GitHub Actions workflow (`" + e.workflow_change +
        "`), which the App may not push (it has no `workflows` permission), so the pull request "
        "was not brought up to date: press \"Update branch\" on it, or merge the base branch in "
        "yourself.";
    if (t().notes.empty() || t().notes.back() != note) {
      t().notes.push_back(note);
      act(SyncStatus{});
    }
    return std::move(d_);
  }
  if (!e.rebase_fallback.empty())
    t().notes.push_back("Not rebased onto the base branch: " + e.rebase_fallback +
                        "; the base branch is merged in instead.");
  if (e.merged_cleanly) {
    if (!e.pushed_sha.empty()) {
      p.head_sha = e.pushed_sha;
      p.checks = "pending";
      t().notes.push_back(e.rebased
                              ? "Rebased the pull request onto the base branch (no conflicts)."
                              : "Merged the base branch into the pull request (no conflicts).");
    }
    if (!e.pushed_sha.empty() || !e.rebase_fallback.empty()) act(SyncStatus{});
    return std::move(d_);
  }
  p.base_sha = e.base_sha;
  p.conflicted_files = e.conflicted_files;
  if (p.conflict_fixes >= p.max_conflict_fixes) {
    p.fixing = FixKind::conflicts;
    return block(BlockCause::conflict_cap, "The conflict resolution cap was reached",
                 "the pull request conflicts with its base again after " +
                     std::to_string(p.conflict_fixes) +
                     " resolution(s) (`limits.max_conflict_fixes`); `/retry` grants one more",
                 "", Phase::fixing);
  }
  p.conflict_fixes += 1;
  return start_fix(FixKind::conflicts);
}

Decision Decider::start_fix(FixKind kind) {
  t().pull.fixing = kind;
  clear_failure();
  start_turn(Phase::fixing, Role::fix);
  act(SyncStatus{});
  return std::move(d_);
}

void Decider::start_review_fix() {
  auto& p = t().pull;
  p.addressing = std::move(p.pending);
  p.pending.clear();
  t().pull.fixing = FixKind::review;
  clear_failure();
  start_turn(Phase::fixing, Role::fix);
}

// Feedback is gathered: it starts a turn on an idle PR and waits for the
// next turn otherwise (never two turns on one branch).
Decision Decider::gather(const std::vector<Feedback>& items, const std::string& who) {
  auto& p = t().pull;
  p.pending.insert(p.pending.end(), items.begin(), items.end());
  p.reviewer = who;
  if (t().phase == Phase::pr_open) {
    start_review_fix();
  } else {
    t().notes.push_back("Feedback from @" + who + " is kept for the next turn.");
  }
  act(SyncStatus{});
  return std::move(d_);
}

Decision Decider::fix(const CommandEvent& e) {
  if (!watching_pull())
    return refuse(e, "works on the task's open pull request; this task is " +
                         std::string(to_string(t().phase)) + ".");
  const std::string request = trim(e.args);
  if (request.empty()) return refuse(e, "needs a request: `/fix <what to change>`.");
  accept(e);
  Feedback f;
  f.author = e.actor.login;
  f.comment_id = e.comment_id;
  f.body = request;
  return gather({f}, e.actor.login);
}

Decision Decider::fixed(const TurnFinished& e) {
  auto& p = t().pull;
  if (!p.review_fixes) return fix_done(e);
  if (!e.committed_sha.empty()) p.unpushed_sha = e.committed_sha;
  if (!e.answers.empty()) p.answers = e.answers;
  if (p.unpushed_sha.empty()) return fix_done(e);  // nothing changed: nothing to check
  p.fix_reviews += 1;
  if (over_budget()) return block_budget(Phase::fixing);
  start_turn(Phase::fixing, Role::review);
  act(SyncStatus{});
  return std::move(d_);
}

Decision Decider::fix_reviewed(const TurnFinished& e) {
  auto& p = t().pull;
  const std::string kind(to_string(p.fixing));
  if (e.signal == Signal::ready) {
    p.unpushed_sha.clear();
    p.fix_reviews = 0;
    p.fix_findings.clear();
    TurnFinished pushed = e;
    pushed.answers = std::move(p.answers);
    p.answers.clear();
    return fix_done(pushed);
  }
  const std::string reason =
      e.signal_reason.empty()
          ? (e.signal == Signal::none ? "the reviewer did not signal ready" : "no reason given")
          : e.signal_reason;
  if (p.fix_reviews >= t().max_iterations)
    return block(BlockCause::iteration_cap, "The review of the " + kind + " fix did not pass",
                 "the reviewer sent the fix back " + std::to_string(p.fix_reviews) +
                     " time(s) (`limits.max_iterations` is " + std::to_string(t().max_iterations) +
                     "): " + reason + "; `/retry` grants one more try, or push a fix yourself",
                 "", Phase::fixing);
  p.fix_findings = reason;
  t().notes.push_back("The review sent the " + kind + " fix back to the fix agent: " + reason);
  if (over_budget()) return block_budget(Phase::fixing);
  start_turn(Phase::fixing, Role::fix);
  act(SyncStatus{});
  return std::move(d_);
}

Decision Decider::fix_done(const TurnFinished& e) {
  auto& p = t().pull;
  const FixKind kind = p.fixing;
  if (e.person_pushed)
    t().notes.push_back(
        "A person pushed to the branch while the fix turn ran; their commits were kept and "
        "merged with the fix.");
  const std::string sha = e.pushed_sha.substr(0, 7);
  if (kind == FixKind::review) {
    std::vector<std::string> asked;  // conversation feedback: one reply names them
    for (const auto& f : p.addressing) {
      if (!f.inline_comment || f.comment_id == 0) {
        if (std::find(asked.begin(), asked.end(), f.author) == asked.end())
          asked.push_back(f.author);
        continue;
      }
      std::string text;
      for (const auto& [id, answer] : e.answers)
        if (id == f.comment_id) text = answer;
      if (text.empty())
        text = sha.empty() ? "Looked at this; the agent made no change for it."
                           : "Addressed in " + sha + ".";
      else if (!sha.empty())
        text += "\n\n(" + sha + ")";
      act(ReplyInThread{f.comment_id, e.turn, text});
    }
    if (!asked.empty()) {
      std::string who;
      for (const auto& a : asked) who += "@" + a + " ";
      act(Reply{who + (sha.empty() ? "the agent looked at your request and changed nothing."
                                   : "addressed in " + e.pushed_sha + "."),
                true});
    }
    p.addressing.clear();
  }
  if (!e.pushed_sha.empty()) {
    p.head_sha = e.pushed_sha;
    p.checks = "pending";
    p.failing.clear();
  }
  if (kind == FixKind::conflicts) p.conflicted_files.clear();
  p.fixing = FixKind::none;
  if (over_budget()) return block_budget(Phase::pr_open);
  if (!p.pending.empty()) {
    start_review_fix();
    act(SyncStatus{});
    return std::move(d_);
  }
  back_to_pull();
  act(SyncStatus{});
  return std::move(d_);
}

void Decider::back_to_pull() {
  t().phase = Phase::pr_open;
  if (!t().pull.update_owed) return;
  t().pull.update_owed = false;
  act(UpdatePull{});
}

Decision Decider::operator()(const BaseMoved&) {
  if (!watching_pull() || t().phase == Phase::pr_open) return std::move(d_);
  if (t().pull.update_owed) return std::move(d_);
  t().pull.update_owed = true;
  t().notes.push_back(
      "The base branch moved; the pull request is brought up to date when this work ends.");
  act(SyncStatus{});
  return std::move(d_);
}

}  // namespace bottega::workflow::detail
