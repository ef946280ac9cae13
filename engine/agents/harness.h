// The harness contract: what the runtime needs from each coding-agent CLI
// (claude, codex, opencode). A Harness builds the command line of one turn,
// makes a decoder for the CLI's JSON-lines stream, and says what the CLI can
// do. The adapters are pure: no I/O, no clock; the runner does the rest.
// Thread-safety: Harness objects are immutable singletons, safe from any
// thread; a StreamDecoder belongs to one run and one thread.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/base/result.h"
#include "engine/agents/event.h"
#include "engine/agents/settings.h"

namespace bottega::agents {

// One harness's settings from the server configuration.
struct HarnessSettings {
  std::string binary;    // the CLI's executable (absolute path or a name on PATH)
  std::string base_url;  // model API endpoint; empty: the CLI's default
  std::string api_key;   // the key itself (already resolved); empty: none given
  std::map<std::string, std::string> extra_env;
  PriceTable prices;
};

// One turn, as the workflow (or `bottega agent`) asks for it.
struct TurnRequest {
  std::string model;   // required: never defaulted
  std::string effort;  // empty: the CLI's default
  std::string prompt;
  std::string system_prompt;  // appended to the CLI's own system prompt
  std::vector<std::string> disallowed_tools;
  // No sub-agents: they would work outside the plan and the review. Each
  // CLI has its own switch for them; the adapter knows it.
  bool forbid_subagents = false;
  std::string resume_session;  // empty: a new session
  std::string worktree;        // the agent's working directory
  std::string run_dir;         // private HOME, signal files, instructions
  // Codex reports usage cumulated over the thread: its total at the end of
  // the previous turn of the resumed session, to turn it into a delta.
  Usage prior_thread_usage;
};

// What the runner executes: argv[0] is the program.
struct LaunchPlan {
  std::vector<std::string> argv;
  std::string cwd;
  std::map<std::string, std::string> env;  // this harness's variables and credentials
  std::vector<std::pair<std::string, std::string>> files;  // path → content, written first
};

struct Capabilities {
  bool disallowed_tools = false;  // can deny tools by name
  bool system_prompt = false;     // can append to the system prompt
  bool reports_cost = false;      // false: cost comes from the price table
  bool final_event = false;       // the stream ends with a result event
};

// What a decoder has learned so far; read at the end to classify the run.
struct StreamState {
  std::string session_id;
  bool completed = false;                  // the CLI's own "turn finished" event arrived
  std::optional<std::string> agent_error;  // a reported failure, with its message
  Usage usage;                             // this turn's usage (deltas for Codex)
  Usage thread_usage;                      // Codex: the cumulative thread total last reported
  std::size_t events = 0;
  std::size_t malformed_lines = 0;
};

class StreamDecoder {
 public:
  virtual ~StreamDecoder() = default;
  // Decodes one stdout line (no newline) and appends the events it holds
  // (usually one, sometimes several, none for a blank line). Never fails:
  // invalid JSON becomes a `system` event with subtype "malformed", an
  // unknown type a `system` event with subtype "unknown".
  virtual void decode(std::string_view line, std::vector<Event>& out) = 0;
  // Called once when the stream ends (EOF): a CLI with no final event
  // (OpenCode 1.18) gets its `result` event here, with the summed usage.
  virtual void finish(std::vector<Event>& out) { (void)out; }
  virtual const StreamState& state() const = 0;
};

// budget_reached: the turn's model gateway stopped it when the task's
// budget was spent (set by the caller that owns the gateway, never by
// classify()).
enum class OutcomeKind { succeeded, agent_error, timed_out, cancelled, crashed, budget_reached };
std::string_view to_string(OutcomeKind kind);

// How the process ended, as the runner saw it.
struct ProcessEnd {
  std::optional<int> exit_code;  // nullopt: killed by a signal
  int signal = 0;
  bool timed_out = false;       // the wall-clock limit
  bool idle_timed_out = false;  // no output for too long
  bool cancelled = false;
  std::string stderr_tail;
};

struct Outcome {
  OutcomeKind kind = OutcomeKind::crashed;
  std::string message;  // agent error text, or what ended the run
  std::optional<int> exit_code;
  std::string stderr_tail;
  std::string session_id;
  Usage usage;
  Usage thread_usage;
};

// The unified outcome of a turn: cancelled and timed out first (whatever the
// stream said), then a reported agent error, then a signal or non-zero exit
// (crashed), then a missing final event where the CLI has one (crashed).
Outcome classify(const Capabilities& caps, const StreamState& state, const ProcessEnd& end);

// The outcome as one JSON line: {"outcome":"succeeded",...}.
std::string to_json(const Outcome& outcome);

class Harness {
 public:
  virtual ~Harness() = default;
  virtual std::string_view name() const = 0;
  virtual Capabilities capabilities() const = 0;
  // The command line, environment and files of one turn. Fails on a model
  // or effort the harness cannot take, or a missing binary setting.
  [[nodiscard]] virtual Result<LaunchPlan> plan(const TurnRequest& turn,
                                                const HarnessSettings& settings) const = 0;
  virtual std::unique_ptr<StreamDecoder> decoder(const TurnRequest& turn,
                                                 const HarnessSettings& settings) const = 0;
};

// The adapter for "claude", "codex" or "opencode"; null for another name.
const Harness* find_harness(std::string_view name);

}  // namespace bottega::agents
