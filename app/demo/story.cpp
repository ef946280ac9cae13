#include "app/demo/story.h"

#include <algorithm>
#include <iostream>
#include <thread>

#include "app/demo/sample.h"

namespace bottega::demo {
namespace {

bool has_label(fake_github::FakeGitHub& github, int issue, const std::string& label) {
  auto labels = github.issue_labels(kOwner, kRepo, issue);
  return std::find(labels.begin(), labels.end(), label) != labels.end();
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
                        const std::string& app_url, const Waiter& wait) {
  StoryOutcome outcome;
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

  say("4. " + std::string(kMaintainer) + " merges the pull request: the task is done");
  auto merged = github.merge_pull(kOwner, kRepo, printer.pull(), kMaintainer);
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
  printer.poll();
  outcome.complete = true;
  outcome.summary = "issue #" + std::to_string(issue) + " → pull request #" +
                    std::to_string(printer.pull()) + ", merged; the issue is labelled bottega:done";
  return outcome;
}

}  // namespace bottega::demo
