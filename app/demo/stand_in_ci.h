// The demo's stand-in CI: what GitHub Actions would do on a push to the
// pull request. For each new head of the pull it exports that commit from
// the stand-in GitHub's repository with real git, runs the repository's
// `sh ci.sh` there, and reports the result as a completed check run named
// `tests` by GitHub Actions, with the job's log and an annotation for each
// `FILE:LINE: MESSAGE` line of the output (spec/demo.md).
// Thread-safety: the demo's main thread. Ownership: borrows the fake.
#pragma once

#include <set>
#include <string>

#include "tests/support/fake_github/fake_github.h"

namespace bottega::demo {

inline constexpr const char* kCheckName = "tests";

class StandInCi {
 public:
  // `work_dir`: where each head is exported (made as needed).
  StandInCi(fake_github::FakeGitHub& github, std::string owner, std::string repo,
            std::string work_dir);

  // Runs the check on the pull's head unless it ran there already.
  void poll(int pull);

  // The conclusion of the check on `sha` ("success", "failure"), "" before it ran.
  std::string conclusion(const std::string& sha) const;

 private:
  fake_github::FakeGitHub& github_;
  std::string owner_, repo_, work_dir_;
  std::set<std::string> checked_;
};

}  // namespace bottega::demo
