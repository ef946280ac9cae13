#include "engine/worker/repo_tests.h"

#include <deque>

namespace bottega {
namespace {

using agents::Event;

constexpr std::size_t kTailLines = 30;

// Every output line is an event; the run ends with the shell.
class LineDecoder final : public agents::StreamDecoder {
 public:
  void decode(std::string_view line, std::vector<Event>& out) override {
    if (line.empty()) return;
    Event e;
    e.kind = agents::EventKind::assistant;
    e.text = std::string(line);
    out.push_back(std::move(e));
    ++state_.events;
  }
  const agents::StreamState& state() const override { return state_; }

 private:
  agents::StreamState state_;
};

// A "harness" that is no agent: `sh -e -c <the commands>` in the worktree.
class TestCommands final : public agents::Harness {
 public:
  explicit TestCommands(std::string script) : script_(std::move(script)) {}
  std::string_view name() const override { return "tests"; }
  agents::Capabilities capabilities() const override { return {}; }
  Result<agents::LaunchPlan> plan(const agents::TurnRequest& turn,
                                  const agents::HarnessSettings&) const override {
    agents::LaunchPlan p;
    p.argv = {"/bin/sh", "-e", "-c", script_};
    p.cwd = turn.worktree;
    return p;
  }
  std::unique_ptr<agents::StreamDecoder> decoder(const agents::TurnRequest&,
                                                 const agents::HarnessSettings&) const override {
    return std::make_unique<LineDecoder>();
  }

 private:
  std::string script_;
};

class TailSink final : public agents::EventSink {
 public:
  void on_event(const Event& event) override {
    lines_.push_back(event.text.substr(0, 500));
    if (lines_.size() > kTailLines) lines_.pop_front();
  }
  std::string tail() const {
    std::string out;
    for (const auto& l : lines_) out += l + "\n";
    return out;
  }

 private:
  std::deque<std::string> lines_;
};

}  // namespace

Result<RepoTestRun> run_repo_tests(agents::AgentRunner& runner,
                                   const std::vector<std::string>& commands,
                                   const std::string& worktree, const std::string& run_dir,
                                   const std::vector<std::string>& readable,
                                   const std::vector<std::string>& writable,
                                   const agents::AgentRunner::ProcessObserver& on_process) {
  RepoTestRun run;
  std::string script = "exec 2>&1\n";  // one stream: the output's tail shows the failure
  for (const auto& c : commands) script += c + "\n";
  TestCommands harness(script);
  agents::AgentRunner::Turn turn;
  turn.harness = &harness;
  turn.request.model = "tests";
  turn.request.worktree = worktree;
  turn.request.run_dir = run_dir;
  turn.sandbox_readable = readable;
  turn.sandbox_writable = writable;
  TailSink sink;
  auto outcome = runner.run(turn, sink, on_process);
  if (!outcome) return outcome.error();
  run.passed = outcome->kind == agents::OutcomeKind::succeeded;
  if (run.passed) {
    run.summary = "passed";
  } else {
    run.summary =
        outcome->message.empty() ? std::string(agents::to_string(outcome->kind)) : outcome->message;
    if (auto tail = sink.tail(); !tail.empty()) run.summary += "; the output ended:\n" + tail;
  }
  return run;
}

}  // namespace bottega
