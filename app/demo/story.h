// The demo's story, played as the people on GitHub would: octocat files the
// issue, the maintainer labels it `bottega`, reads the plan, answers
// /approve and waits for the pull request; the stand-in CI checks each of
// its heads (the first fails, the app fixes it); the maintainer requests a
// change in an inline comment, waits for the fix and the reply in its
// thread, merges, and the task ends done with its worktree removed. Every
// step waits for what the app shows on GitHub, printing the threads
// meanwhile.
// Thread-safety: the demo's main thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>

#include "app/demo/demo_setup.h"
#include "app/demo/thread_printer.h"

namespace bottega::demo {

// Polls `done` while printing, until it holds (true), or the deadline, a
// signal or the server's end (false).
using Waiter =
    std::function<bool(ThreadPrinter&, const std::function<bool()>&, std::chrono::seconds, pid_t)>;

struct StoryOutcome {
  bool complete = false;
  std::string summary;  // what the end looks like, or where it stopped
  int64_t task_id = 0;
};

StoryOutcome play_story(fake_github::FakeGitHub& github, const DemoOptions& o, pid_t server,
                        const std::string& app_url, const std::string& demo_dir,
                        const Waiter& wait);

// The task id in a status comment's marker ("<!-- bottega:status task=7 -->"), or 0.
int64_t task_id_in(const std::string& comment_body);

}  // namespace bottega::demo
