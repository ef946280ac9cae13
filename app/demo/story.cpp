#include "app/demo/story.h"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <thread>

#include "app/demo/sample.h"
#include "app/demo/stand_in_ci.h"

namespace bottega::demo {
namespace {

namespace fs = std::filesystem;

bool has_label(fake_github::FakeGitHub& github, int issue, const std::string& label) {
  auto labels = github.issue_labels(kOwner, kRepo, issue);
  return std::find(labels.begin(), labels.end(), label) != labels.end();
}

// Whether the issue's status comment (the app's, with its marker) says `text`.
bool status_says(fake_github::FakeGitHub& github, int issue, const std::string& text) {
  for (const auto& c : github.comments(kOwner, kRepo, issue))
    if (c.body.find("<!-- bottega:status") != std::string::npos &&
        c.body.find(text) != std::string::npos)
      return true;
  return false;
}

void say(const std::string& text) { std::cout << "\n── " << text << "\n" << std::flush; }

}  // namespace

int64_t task_id_in(const std::string& body) {
  const std::string marker = "<!-- bottega:status task=";
  auto at = body.find(marker);
  if (at == std::string::npos) return 0;
  int64_t id = 0;
  for (auto i = at + marker.size(); i < body.size() && body[i] >= '0' && body[i] <= '9'; ++i)
    id = id * 10 + (body[i] - '0');
  return id;
}

StoryOutcome play_story(fake_github::FakeGitHub& github, const DemoOptions& o, pid_t server,
                        const std::string& app_url, const std::string& demo_dir,
                        const Waiter& wait) {
  StoryOutcome outcome;
  // GitHub Actions' part: a check on each new head of the pull request.
  StandInCi ci(github, kOwner, kRepo, demo_dir + "/ci");
  // A real agent takes minutes per turn; the scripted one seconds.
  const auto turn_limit =
      o.harness.empty() ? std::chrono::seconds(300) : std::chrono::seconds(3600);
  auto pause = [&] {
    if (!o.fast) std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  };
  const auto issue_text = sample_issue();
  say("1. " + std::string(kReporter) + " files an issue on " + kOwner + "/" + kRepo);
  const int issue =
      github.create_issue(kOwner, kRepo, kReporter, issue_text.title, issue_text.body);
  ThreadPrinter printer(github, kOwner, kRepo, issue, std::cout);
  // Each wait also lets CI see the pull request's new heads.
  auto step = [&](std::function<bool()> done) {
    return [&ci, &printer, done] {
      ci.poll(printer.pull());
      return done();
    };
  };
  printer.poll();
  std::cout << "[issue #" << issue << "] " << issue_text.title << "\n"
            << terminal_body(issue_text.body, 20);
  pause();

  say("2. " + std::string(kMaintainer) + " adds the `bottega` label: the app plans the work");
  github.add_label_by(kOwner, kRepo, issue, kMaintainer, "bottega");
  // A blocked task ends the story (the status comment says why).
  bool blocked = false;
  auto or_blocked = [&](bool reached) {
    blocked = !reached && has_label(github, issue, "bottega:blocked");
    return reached || blocked;
  };
  auto find_task = [&] {
    if (outcome.task_id) return;
    for (const auto& c : github.comments(kOwner, kRepo, issue))
      if (auto id = task_id_in(c.body)) {
        outcome.task_id = id;
        std::cout << "        (watch it live: " << app_url << "/tasks/" << id << ")\n";
      }
  };
  if (!wait(
          printer,
          [&] {
            find_task();
            return or_blocked(has_label(github, issue, "bottega:awaiting-approval"));
          },
          turn_limit, server) ||
      blocked) {
    outcome.summary = blocked ? "the task is blocked (the status comment above says why)"
                              : "no plan came (the issue is not awaiting approval)";
    return outcome;
  }
  pause();

  say("3. " + std::string(kMaintainer) + " approves the plan: implement, review, until ready");
  github.add_comment(kOwner, kRepo, issue, kMaintainer, "/approve");
  if (!wait(
          printer,
          [&] {
            find_task();
            return or_blocked(printer.pull() != 0 && has_label(github, issue, "bottega:pr-open"));
          },
          3 * turn_limit, server) ||
      blocked) {
    outcome.summary = blocked ? "the task is blocked (the status comment above says why)"
                              : "no pull request came";
    return outcome;
  }
  pause();

  const int pull = printer.pull();
  auto head = [&] {
    auto p = github.pull(kOwner, kRepo, pull);
    return p ? p->head_sha : std::string();
  };
  // The PR is idle again: labelled pr-open, no turn running, the checks on
  // its current head passing (CI's, and the app says so in its status).
  auto settled = [&] {
    const std::string sha = head();
    return ci.conclusion(sha) == "success" && has_label(github, issue, "bottega:pr-open") &&
           !has_label(github, issue, "bottega:working") &&
           status_says(github, issue, "checks passing");
  };

  std::string sha = head();
  say("4. The stand-in CI runs `sh ci.sh` on the pull request's head (" + sha.substr(0, 7) +
      "): the check `" + kCheckName + "`");
  if (!wait(printer, step([&] { return !ci.conclusion(sha).empty(); }), std::chrono::seconds(60),
            server)) {
    outcome.summary = "the stand-in CI did not run";
    return outcome;
  }
  printer.poll();  // the check's result before what follows from it
  if (ci.conclusion(sha) != "success") {
    say("5. `" + std::string(kCheckName) +
        "` failed: the app gives the failure to a fix-ci turn, pushes its fix, CI runs again");
  } else {
    say("5. `" + std::string(kCheckName) + "` passed: nothing for the app to fix");
  }
  if (!wait(printer, step([&] { return or_blocked(settled()); }), 2 * turn_limit, server) ||
      blocked) {
    outcome.summary = blocked ? "the task is blocked (the status comment above says why)"
                              : "the checks did not pass on the pull request";
    return outcome;
  }
  pause();

  sha = head();
  say("6. " + std::string(kMaintainer) +
      " reviews the pull request: changes requested, with an inline comment on greet.sh");
  const int64_t review = github.submit_review(
      kOwner, kRepo, pull, kMaintainer, "CHANGES_REQUESTED",
      "Works for me, one request before I merge.",
      {{"greet.sh", 5, "Could `-s` work too, as a short form? `--shout` is long to type."}});
  int64_t inline_comment = 0;
  for (const auto& c : github.review_comments(kOwner, kRepo, pull))
    if (c.review_id == review && c.in_reply_to == 0) inline_comment = c.id;
  auto replied = [&] {
    for (const auto& c : github.review_comments(kOwner, kRepo, pull))
      if (c.in_reply_to == inline_comment && c.user != kMaintainer) return true;
    return false;
  };
  if (!wait(printer, step([&] { return or_blocked(head() != sha && replied() && settled()); }),
            2 * turn_limit, server) ||
      blocked) {
    outcome.summary = blocked ? "the task is blocked (the status comment above says why)"
                              : "the review was not addressed (no push, reply and passing checks)";
    return outcome;
  }
  pause();

  say("7. " + std::string(kMaintainer) + " merges the pull request: the task is done");
  auto merged = github.merge_pull(kOwner, kRepo, pull, kMaintainer);
  if (!merged) {
    outcome.summary = "the pull request could not be merged: " + merged.error().message;
    return outcome;
  }
  if (!wait(
          printer, [&] { return has_label(github, issue, "bottega:done"); },
          std::chrono::seconds(120), server)) {
    outcome.summary = "the task did not end after the merge";
    return outcome;
  }
  // Done means cleaned up: the app removes the task's worktree.
  const fs::path worktrees = fs::path(demo_dir) / "data" / "workspaces" / "worktrees";
  auto no_worktree = [&] {
    std::error_code ec;
    return !fs::exists(worktrees, ec) || fs::is_empty(worktrees, ec);
  };
  if (!wait(printer, no_worktree, std::chrono::seconds(60), server)) {
    outcome.summary = "the task is done but its worktree is still in " + worktrees.string();
    return outcome;
  }
  std::cout << "        (the app removed the task's worktree: " << worktrees.string()
            << " is empty)\n";
  printer.poll();
  outcome.complete = true;
  outcome.summary = "issue #" + std::to_string(issue) + " → pull request #" + std::to_string(pull) +
                    ": a failing check fixed, a review addressed, merged; the issue is labelled "
                    "bottega:done and the worktree is gone";
  return outcome;
}

}  // namespace bottega::demo
