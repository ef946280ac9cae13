// ThreadPrinter: prints an issue's and its pull request's threads in the
// terminal as they change on the fake GitHub, in order: comments (new and
// edited; the app's markers and folded details left out), reactions,
// labels added and removed, the pull request opened, pushed to (each
// commit's subject), reviewed (with inline comments and the replies in
// their threads), its check runs' results, merged.
// Each poll() compares what the fake holds with what was printed.
// Thread-safety: one thread calls poll(). Ownership: borrows the fake.
#pragma once

#include <cstdint>
#include <map>
#include <ostream>
#include <set>
#include <string>

#include "tests/support/fake_github/fake_github.h"

namespace bottega::demo {

class ThreadPrinter {
 public:
  ThreadPrinter(fake_github::FakeGitHub& github, std::string owner, std::string repo, int issue,
                std::ostream& out);

  // Prints what changed since the last call.
  void poll();

  // The pull request the app opened for the issue (0 until there is one).
  int pull() const { return pull_; }

 private:
  void thread(int number, const char* what);
  void pull_request();
  void reviews();
  void checks(const std::string& sha);
  void line(const std::string& who, const std::string& text);

  fake_github::FakeGitHub& github_;
  std::string owner_, repo_;
  int issue_ = 0;
  int pull_ = 0;
  std::ostream& out_;
  std::map<int64_t, std::string> comments_;  // id → body printed
  std::set<std::string> reactions_;          // "id user content"
  std::map<int, std::size_t> labels_seen_;   // number → label events printed
  std::string pull_state_, pull_sha_;
  std::set<int64_t> reviews_seen_, review_comments_seen_;
  std::map<std::string, std::string> checks_seen_;  // "sha name" → state printed
};

// A comment body made for a terminal: HTML comments and <details> blocks
// dropped, at most `max_lines` lines, each indented.
std::string terminal_body(const std::string& body, std::size_t max_lines);

}  // namespace bottega::demo
