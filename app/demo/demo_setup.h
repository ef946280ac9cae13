// The offline demo's set-up: its directory (keys, scenarios, the server's
// data and log), the fake GitHub's options and contents, bottega's
// configuration, and starting `bottega serve`.
// Thread-safety: free functions for the demo's main thread.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "config/base/result.h"
#include "tests/support/fake_github/fake_github.h"

namespace bottega::demo {

struct DemoOptions {
  std::string dir = "var/demo";  // made afresh each run (only a demo's own dir is removed)
  int port = 0;                  // bottega's; 0: a free one
  bool fast = false;             // no pauses in the agent's turns or the story
  bool exit_when_done = false;   // stop once the story ends (tests)
  std::string harness;           // "": the scripted agent
  std::string model;
  std::string bottega;     // the binary; "": the one built beside the demo
  std::string fake_agent;  // likewise
};

// A problem with the options (a harness without a model, ...), or nullopt.
std::optional<std::string> check_options(DemoOptions& o);

struct Prepared {
  std::string dir;  // absolute
  int port = 0;
  std::string key_file;
  std::string public_key_pem;
  std::string scenarios;
  std::string webhook_secret;
};

// Makes the directory afresh: the App's key, the fake agent's scenarios
// and scripts, the name under which the fake agent runs.
[[nodiscard]] Result<Prepared> prepare_demo(const DemoOptions& o);

inline constexpr const char* kClientId = "Iv1.demo0000000000";
inline constexpr const char* kClientSecret = "demo-client-secret";

fake_github::FakeGitHubOptions fake_options(const DemoOptions& o, const Prepared& p);
// The installation of acme, the sample repository, the people's
// permissions. Returns the installation's id.
[[nodiscard]] Result<int64_t> seed_github(fake_github::FakeGitHub& github);
// <dir>/bottega.yml for the fake GitHub at `github_url`.
[[nodiscard]] Result<void> write_config(const DemoOptions& o, const Prepared& p,
                                        const std::string& github_url);
// `bottega serve --config <dir>/bottega.yml` in a session of its own,
// output to <dir>/serve.log.
[[nodiscard]] Result<pid_t> start_server(const DemoOptions& o, const Prepared& p);

}  // namespace bottega::demo
