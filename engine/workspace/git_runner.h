// GitRunner: runs git for one Workspace: the clean environment, the
// options every call gets, and for network calls the token and the
// credential helper; and the clone URL's check. Internal to the workspace
// module.
//
// Thread-safety: a GitRunner only reads its options; calls may run at once.
#pragma once

#include <string>
#include <vector>

#include "config/base/result.h"
#include "engine/workspace/git_command.h"
#include "engine/workspace/workspace.h"

namespace bottega::workspace_detail {

// What the credential helper matches against: git's protocol and host (with
// the port, when the URL has one) of the clone URL.
struct UrlParts {
  std::string protocol, host;
};

Result<UrlParts> check_remote(const GitRemote& remote);

// Trailing newlines and spaces, and leading ones, removed.
std::string trim(std::string s);
// The first line of `text`, trimmed.
std::string first_line(const std::string& text);
bool contains(const std::string& text, const char* what);

// Runs git for one Workspace: the clean environment, the options every
// call gets, and for network calls the token and the credential helper.
class GitRunner {
 public:
  GitRunner(const WorkspaceOptions& options, const std::string& exe)
      : options_(options), exe_(exe) {}

  struct Call {
    Call() = default;
    Call(std::vector<std::string> a, std::string c = {}, std::vector<std::string> e = {},
         const GitRemote* r = nullptr, const UrlParts* u = nullptr)
        : args(std::move(a)), cwd(std::move(c)), env(std::move(e)), remote(r), url(u) {}
    std::vector<std::string> args;
    std::string cwd;
    std::vector<std::string> env;       // besides the base environment
    const GitRemote* remote = nullptr;  // set: a network call (token, helper, CA, network_timeout)
    const UrlParts* url = nullptr;
  };

  Result<GitOutput> run(const Call& call) const;

  // Runs and requires exit 0; returns stdout. `what` names the operation
  // for the error ("git fetch of acme/widgets").
  Result<std::string> check(const Call& call, const std::string& what) const;

  Error failure(const GitOutput& out, const Call& call, const std::string& what) const;

  std::string scrub(const std::string& text, const GitRemote* remote) const;

 private:
  std::vector<std::string> base_env() const;

  const WorkspaceOptions& options_;
  const std::string& exe_;
};

}  // namespace bottega::workspace_detail
