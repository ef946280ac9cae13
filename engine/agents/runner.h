// Running one agent turn as a subprocess: the process, its environment,
// limits and cancellation, streaming its decoded events to a sink.
//
// The process runs with stdin from /dev/null, in its own session (so a
// cancel reaches every process it started), with a private HOME (and
// CODEX_HOME, XDG_*) under the run directory, and an environment built
// from an allow-list plus the harness's own variables and credentials:
// nothing else of ours (no database URL, App key or webhook secret) leaks.
// Optionally inside the bubblewrap sandbox (sandbox.h), whose only way out
// is the unix sockets its forwards name (bridge.h).
//
// Thread-safety: AgentProcess::run() is called once, from one thread; it
// blocks until the turn ends. cancel() may be called from any thread, at
// any time (before, during or after run()). Ownership: AgentProcess owns
// the process and its pipes; the sink is borrowed for the call.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/base/result.h"
#include "engine/agents/bridge.h"
#include "engine/agents/harness.h"
#include "engine/agents/sandbox.h"

namespace bottega::agents {

struct RunLimits {
  std::chrono::milliseconds wall{std::chrono::hours(1)};      // whole turn
  std::chrono::milliseconds idle{std::chrono::minutes(10)};   // no output at all
  std::chrono::milliseconds grace{std::chrono::seconds(10)};  // SIGTERM → SIGKILL
  std::size_t stderr_tail_bytes = 16 * 1024;
  std::size_t max_line_bytes = 32 * 1024 * 1024;  // longer lines are dropped (malformed)
};

// Receives each event as it is decoded, on the thread that called run().
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void on_event(const Event& event) = 0;
};

struct RunSpec {
  LaunchPlan plan;                               // from Harness::plan()
  std::string run_dir;                           // created if missing; HOME is <run_dir>/home
  std::map<std::string, std::string> extra_env;  // the operator's harnesses.<name>.extra_env
  // Directories put first on PATH (the one holding `bottega`, so the agent
  // can run `bottega signal`).
  std::vector<std::string> path_prepend;
  std::optional<SandboxSpec> sandbox;  // nullopt: no sandbox
  // Loopback ports forwarded to unix sockets on the host (the egress proxy,
  // the model-API gateway). Not empty: the agent runs under `<bottega>
  // sandbox-exec --forward …` (bridge.h), which needs `bottega_binary`;
  // without the sandbox its ports are on the host's loopback.
  std::vector<Forward> forwards;
  std::string bottega_binary;  // absolute path of `bottega`
  RunLimits limits;
};

// The variables every agent may see when the server has them (locale,
// time zone, CA bundles, PATH); everything else is dropped. Proxies are not
// among them: the app gives each turn its own (the plan's env, extra_env).
const std::vector<std::string>& environment_allow_list();

// The child's whole environment: allowed parent variables, the private
// HOME/CODEX_HOME/XDG_*/TMPDIR, BOTTEGA_RUN_DIR, the plan's variables, then
// the operator's extra_env. In the sandbox USER and LOGNAME name the
// sandbox user. `parent` looks a variable up (tests inject one).
std::map<std::string, std::string> build_environment(
    const RunSpec& spec,
    const std::function<std::optional<std::string>(const std::string&)>& parent);

class AgentProcess {
 public:
  AgentProcess(RunSpec spec, std::unique_ptr<StreamDecoder> decoder, Capabilities caps);
  ~AgentProcess();
  AgentProcess(const AgentProcess&) = delete;
  AgentProcess& operator=(const AgentProcess&) = delete;

  // Starts the process and streams its events into `sink` until it ends;
  // always returns an outcome: a process that cannot start is `crashed`
  // with the reason as its message.
  Outcome run(EventSink& sink);

  // Asks the run to stop: SIGTERM to its process group, SIGKILL after the
  // grace period. The outcome is then `cancelled`.
  void cancel();

  // The process group id while running (0 before the start): for tests
  // that check nothing is left behind.
  int process_group() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// Runs one turn of `harness` end to end: plan, decoder, process, outcome.
// The runner the workflow uses, behind an interface so its tests use fakes.
class AgentRunner {
 public:
  virtual ~AgentRunner() = default;
  struct Turn {
    const Harness* harness = nullptr;
    TurnRequest request;
    HarnessSettings settings;
    // More paths for the sandbox: read-only (a worktree's repository) and
    // writable (its git metadata), so git works inside it.
    std::vector<std::string> sandbox_readable;
    std::vector<std::string> sandbox_writable;
    // The turn's ways out of the sandbox (see RunSpec::forwards).
    std::vector<Forward> forwards;
  };
  // Fails only when the turn cannot be planned (a bad model, no binary);
  // everything that happens to the process is in the Outcome.
  // `on_process`, when given, is called with the process before it starts
  // (to cancel it from another thread) and with nullptr once it has ended,
  // before it is destroyed: after that call the pointer must not be used.
  using ProcessObserver = std::function<void(AgentProcess*)>;
  [[nodiscard]] virtual Result<Outcome> run(const Turn& turn, EventSink& sink,
                                            const ProcessObserver& on_process = {}) = 0;
};

struct RunnerOptions {
  RunLimits limits;
  bool sandbox = true;
  std::string bwrap = "bwrap";
  // Read-only in every sandbox, besides the system view (toolchains).
  std::vector<std::string> readable;
  // First on the agent's PATH, and readable in the sandbox (the directory
  // of `bottega`, for `bottega signal`).
  std::vector<std::string> path_prepend;
  // The absolute path of `bottega`, which runs the bridge (sandbox-exec).
  std::string bottega_binary;
};

class ProcessAgentRunner final : public AgentRunner {
 public:
  explicit ProcessAgentRunner(RunnerOptions options) : options_(std::move(options)) {}
  Result<Outcome> run(const Turn& turn, EventSink& sink,
                      const ProcessObserver& on_process = {}) override;

 private:
  RunnerOptions options_;
};

}  // namespace bottega::agents
