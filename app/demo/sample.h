// What the offline demo plays with: the sample repository (a tiny shell
// program with tests), the issue a person files against it, and the
// scripted agent's turns (fake-agent scenarios plus the shell scripts they
// run, which make real edits to the worktree and run the real tests).
// Thread-safety: pure functions returning owned values.
#pragma once

#include <map>
#include <string>

namespace bottega::demo {

inline constexpr const char* kOwner = "acme";
inline constexpr const char* kRepo = "greeter";
inline constexpr const char* kReporter = "octocat";       // files the issue
inline constexpr const char* kMaintainer = "maintainer";  // labels, approves, merges (admin)

// path → content of the repository's first commit.
std::map<std::string, std::string> sample_repository();

struct SampleIssue {
  std::string title;
  std::string body;
};
SampleIssue sample_issue();

// The fake agent's scenarios by file name (plan, implement-1, review-1,
// implement-2, review-2, fix), each step paced by `pause_ms` sleeps (0: none).
// They run the scripts of agent_scripts() from $DEMO_AGENT.
std::map<std::string, std::string> agent_scenarios(int pause_ms);
// file name → shell script.
std::map<std::string, std::string> agent_scripts();

}  // namespace bottega::demo
