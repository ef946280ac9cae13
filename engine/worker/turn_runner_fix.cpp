// The fix turns' part of the turn runner (spec/shepherd.md): their answers,
// their commit's trailer, and a fix turn run again after a crash.
#include <filesystem>
#include <sstream>

#include "config/base/log.h"
#include "config/base/safe_file.h"
#include "engine/worker/fix_context.h"
#include "engine/worker/turn_runner.h"

namespace bottega {

namespace fs = std::filesystem;

void TurnRunner::take_answers(const workflow::Task& t, const std::string& run_dir,
                              workflow::TurnFinished& f) {
  std::vector<int64_t> wanted;
  for (const auto& item : t.pull.addressing)
    if (item.inline_comment) wanted.push_back(item.comment_id);
  std::string problem;
  f.answers = read_fix_answers(run_dir, wanted, problem);
  if (!problem.empty()) f.message += (f.message.empty() ? "" : "; ") + problem;
}

std::string TurnRunner::fix_trailer(const workflow::Task& t) {
  return "Bottega-Turn: " + std::to_string(t.id) + ":" + std::to_string(t.turn);
}

Result<std::optional<workflow::TurnFinished>> TurnRunner::pushed_before(const TaskRow& row,
                                                                        const std::string& worktree,
                                                                        const GitRemote& remote) {
  const workflow::Task& t = row.task;
  auto message = workspace_.head_message(worktree);
  if (!message) return message.error();
  if (message->find(fix_trailer(t)) == std::string::npos)
    return std::optional<workflow::TurnFinished>();
  auto sha = workspace_.head_sha(worktree);
  if (!sha) return sha.error();
  workflow::TurnFinished f;
  f.outcome = workflow::TurnOutcome::succeeded;
  f.signal = workflow::Signal::ready;
  f.document = t.document;
  if (t.pull.review_fixes) {
    f.committed_sha = *sha;  // its review pushes it
  } else {
    if (auto pushed = push_fix(t, Checkout{remote, worktree}, f); !pushed) return pushed.error();
    if (f.pushed_sha.empty()) f.pushed_sha = *sha;
  }
  // The answers the agent wrote in the attempt that committed.
  const std::string prefix = "turn-" + std::to_string(t.turn) + "-";
  std::error_code ec;
  for (fs::directory_iterator it(options_.runs_dir + "/" + std::to_string(t.id), ec), end;
       !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(prefix, 0) != 0 || !fs::exists(it->path() / "replies.json")) continue;
    take_answers(t, it->path().string(), f);
  }
  component_log("workflow")
      .info("task {}: turn {} had committed {} before it stopped; reported, not run again",
            task_key(t.repo, t.issue), t.turn, sha->substr(0, 12));
  return std::optional<workflow::TurnFinished>(std::move(f));
}

Result<std::optional<workflow::TurnFinished>> TurnRunner::merge_for_resolve(
    const TaskRow& row, const std::string& worktree, const GitRemote& remote,
    std::vector<std::string>& conflicts) {
  const workflow::Task& t = row.task;
  auto merged = workspace_.merge_base(
      worktree, row.base_branch,
      "Merge branch '" + row.base_branch + "' into " + t.branch + "\n\n" + fix_trailer(t));
  if (!merged) return merged.error();
  if (!merged->clean) {
    conflicts = merged->conflicts;
    return std::optional<workflow::TurnFinished>();
  }
  workflow::TurnFinished f;
  f.outcome = workflow::TurnOutcome::succeeded;
  f.signal = workflow::Signal::ready;
  f.document = t.document;
  if (merged->sha) {
    if (auto pushed = workspace_.push(worktree, remote, t.branch); !pushed) return pushed.error();
    f.pushed_sha = *merged->sha;
  }
  return std::optional<workflow::TurnFinished>(std::move(f));
}

Result<void> TurnRunner::push_fix(const workflow::Task& t, const Checkout& checkout,
                                  workflow::TurnFinished& f) {
  // A person may push again while their last push is merged: a few rounds.
  for (int round = 0;; ++round) {
    // Their commits first. The lease alone cannot see a push fetched since
    // the fix began (a later turn's checkout fetches): the branch as last
    // fetched is merged in (nothing to merge when the fix is on top of it).
    auto merged = workspace_.merge_base(
        checkout.worktree, t.branch,
        "Merge a person's push to " + t.branch + " with the fix\n\n" + fix_trailer(t));
    if (!merged) return merged.error();
    if (!merged->clean) {
      if (auto aborted = workspace_.abort_merge(checkout.worktree); !aborted)
        return aborted.error();
      return make_error("a person pushed to " + t.branch +
                        " while the fix turn ran, and their commits conflict with the fix (`" +
                        (merged->conflicts.empty() ? std::string("?") : merged->conflicts[0]) +
                        "`); the fix was not pushed: `/retry` runs it again");
    }
    if (merged->sha) {
      f.person_pushed = true;
      component_log("workflow")
          .info("task {}: a person pushed to {} during the fix turn; merged with the fix",
                task_key(t.repo, t.issue), t.branch);
    }
    auto pushed = workspace_.push(checkout.worktree, checkout.remote, t.branch);
    if (pushed) break;
    const bool lease_broken =
        pushed.error().message.find("the remote branch changed") != std::string::npos;
    if (!lease_broken || round == 3) return pushed.error();
    if (auto synced = workspace_.sync(t.repo, checkout.remote); !synced) return synced.error();
  }
  auto head = workspace_.head_sha(checkout.worktree);
  if (!head) return head.error();
  if (*head != t.pull.head_sha) f.pushed_sha = *head;
  return {};
}

Result<void> TurnRunner::push_reviewed_fix(const workflow::Task& t, const Checkout& checkout,
                                           workflow::TurnFinished& f) {
  if (f.outcome != workflow::TurnOutcome::succeeded || f.signal != workflow::Signal::ready)
    return {};
  if (auto pushed = push_fix(t, checkout, f); !pushed) return pushed.error();
  component_log("workflow")
      .info("task {}: the review passed the {} fix; pushed {}", task_key(t.repo, t.issue),
            workflow::to_string(t.pull.fixing), f.pushed_sha.substr(0, 12));
  return {};
}

std::optional<std::string> TurnRunner::marker_left(const std::string& worktree,
                                                   const std::vector<std::string>& files) {
  for (const auto& file : files) {
    // A link or a directory the agent made there is no resolution either.
    auto text = read_regular_file(worktree + "/" + file, 64 * 1024 * 1024);
    if (!text) {
      std::error_code ec;
      if (!fs::exists(fs::symlink_status(worktree + "/" + file, ec))) continue;  // deleted
      return file;
    }
    std::istringstream in(*text);
    for (std::string line; std::getline(in, line);)
      if (line.rfind("<<<<<<< ", 0) == 0 || line.rfind(">>>>>>> ", 0) == 0 || line == "=======")
        return file;
  }
  return std::nullopt;
}

}  // namespace bottega
