// `bottega agent`: one turn of a harness, the way the workflow runs it,
// printing the unified events as JSON lines and the outcome last.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>

#include "app/commands.h"
#include "app/runtime.h"
#include "config/base/log.h"
#include "engine/agents/agent_config.h"
#include "engine/agents/harness.h"
#include "engine/agents/model_rules.h"
#include "engine/agents/runner.h"
#include "engine/agents/turn_network.h"

namespace bottega {
namespace {

namespace fs = std::filesystem;

class PrintingSink final : public agents::EventSink {
 public:
  void on_event(const agents::Event& event) override {
    line_.clear();
    agents::append_json(event, line_);
    line_ += '\n';
    std::cout << line_ << std::flush;
  }

 private:
  std::string line_;
};

std::string absolute(const std::string& path) {
  std::error_code ec;
  auto p = fs::absolute(path, ec);
  return (ec ? fs::path(path) : p).lexically_normal().string();
}

// Codex reports usage cumulated over the thread; the total after each turn
// is kept beside the run so a resumed turn can store its own delta.
std::string thread_usage_file(const std::string& run_dir, const std::string& session) {
  return run_dir + "/threads/" + session + ".usage";
}

agents::Usage read_thread_usage(const std::string& run_dir, const std::string& session) {
  agents::Usage u;
  std::ifstream f(thread_usage_file(run_dir, session));
  f >> u.input_tokens >> u.cached_input_tokens >> u.cache_write_tokens >> u.output_tokens >>
      u.reasoning_tokens;
  if (!f) return {};
  return u;
}

void write_thread_usage(const std::string& run_dir, const std::string& session,
                        const agents::Usage& u) {
  if (session.empty() || session.find('/') != std::string::npos) return;
  std::error_code ec;
  fs::create_directories(run_dir + "/threads", ec);
  std::ofstream(thread_usage_file(run_dir, session))
      << u.input_tokens << ' ' << u.cached_input_tokens << ' ' << u.cache_write_tokens << ' '
      << u.output_tokens << ' ' << u.reasoning_tokens << '\n';
}

}  // namespace

int run_agent(const ParsedCommand& command) {
  for (const char* required : {"harness", "model", "cwd"})
    if (!command.has(required)) {
      std::cerr << "bottega agent: --" << required << " is required (see bottega agent --help)\n";
      return kExitUsage;
    }
  const std::string name = command.get("harness");
  const agents::Harness* harness = agents::find_harness(name);
  if (!harness) {
    std::cerr << "bottega agent: unknown harness '" << name
              << "' (expected claude, codex or opencode)\n";
    return kExitUsage;
  }
  agents::TurnRequest turn;
  turn.model = command.get("model");
  turn.effort = command.get("effort");
  turn.prompt = command.positionals.at(0);
  turn.resume_session = command.get("resume");
  turn.forbid_subagents = command.has("no-subagents");
  if (auto e = agents::check_model(name, turn.model)) {
    std::cerr << "bottega agent: " << *e << "\n";
    return kExitUsage;
  }
  if (auto e = agents::check_effort(name, turn.effort)) {
    std::cerr << "bottega agent: " << *e << "\n";
    return kExitUsage;
  }
  std::error_code ec;
  turn.worktree = absolute(command.get("cwd"));
  if (!fs::is_directory(turn.worktree, ec)) {
    std::cerr << "bottega agent: --cwd " << turn.worktree << " is not a directory\n";
    return kExitUsage;
  }
  std::optional<double> budget;
  if (const std::string b = command.get("budget-usd"); !b.empty()) {
    char* end = nullptr;
    double v = std::strtod(b.c_str(), &end);
    if (end != b.c_str() + b.size() || !(v >= 0) || v > 1e6) {
      std::cerr << "bottega agent: --budget-usd takes US dollars (0 to 1000000), not '" << b
                << "'\n";
      return kExitUsage;
    }
    budget = v;
  }
  const std::string sandbox_flag = command.get("sandbox");
  if (!sandbox_flag.empty() && sandbox_flag != "on" && sandbox_flag != "off") {
    std::cerr << "bottega agent: --sandbox takes on or off, not '" << sandbox_flag << "'\n";
    return kExitUsage;
  }

  auto config = load_config(command);
  if (!config) {
    std::cerr << "bottega agent: " << config.error().message << "\n";
    return kExitConfig;
  }
  auto settings = agents::harness_settings(*config, name);
  if (!settings) {  // load_server_config checked the lists already
    std::cerr << "bottega agent: " << settings.error().message << "\n";
    return kExitConfig;
  }
  if (!settings->api_key.empty()) register_secret(settings->api_key);

  // The run directory holds the private HOME: a resumed turn must use the
  // same one, so the default depends only on the harness and the worktree.
  std::string run_dir = command.get("run-dir");
  if (run_dir.empty()) {
    std::size_t h = std::hash<std::string>{}(turn.worktree);
    run_dir = config->data_dir + "/agent-runs/" + name + "-" +
              fs::path(turn.worktree).filename().string() + "-" + std::to_string(h % 1000000007);
  }
  turn.run_dir = absolute(run_dir);
  fs::create_directories(turn.run_dir, ec);
  if (ec) {
    std::cerr << "bottega agent: cannot create " << turn.run_dir << ": " << ec.message() << "\n";
    return kExitFailure;
  }
  fs::remove(turn.run_dir + "/signal.json", ec);
  if (!turn.resume_session.empty())
    turn.prior_thread_usage = read_thread_usage(turn.run_dir, turn.resume_session);

  auto self = fs::read_symlink("/proc/self/exe", ec);
  agents::RunnerOptions options =
      agents::runner_options(*config, ec ? std::string() : self.parent_path().string());
  if (!sandbox_flag.empty()) options.sandbox = sandbox_flag == "on";

  install_stop_signals();
  std::mutex mutex;
  agents::AgentProcess* running = nullptr;
  bool stop = false;
  std::thread([&] {
    wait_for_stop_signal();
    std::lock_guard lock(mutex);
    stop = true;
    if (running) running->cancel();
  }).detach();

  agents::ProcessAgentRunner runner(options);
  PrintingSink sink;
  agents::AgentRunner::Turn t{harness, turn, *settings, {}, {}, {}};

  // The same ways out as a workflow turn: the model gateway and the egress proxy.
  agents::TurnNetworkOptions net;
  net.sandboxed = options.sandbox;
  net.harness = name;
  net.model = turn.model;
  net.egress_allow = config->agent_egress_allow;
  net.egress_allow_private = config->agent_egress_allow_private;
  net.budget_usd = budget;
  net.on_budget_spent = [&] {
    std::lock_guard lock(mutex);
    stop = true;
    if (running) running->cancel();
  };
  net.label = "bottega agent";
  auto network = agents::TurnNetwork::start(t, std::move(net));
  if (!network) {
    std::cerr << "bottega agent: " << network.error().message << "\n";
    return kExitConfig;
  }
  (*network)->apply(t);

  auto outcome = runner.run(t, sink, [&](agents::AgentProcess* p) {
    std::lock_guard lock(mutex);
    running = p;  // nullptr once the turn is over, before the process goes away
    if (p && stop) p->cancel();
  });
  if (!outcome) {
    std::cerr << "bottega agent: " << outcome.error().message << "\n";
    return kExitUsage;
  }
  agents::account_network(**network, *outcome);
  if (name == "codex" && outcome->thread_usage.total_tokens() > 0)
    write_thread_usage(turn.run_dir, outcome->session_id, outcome->thread_usage);
  std::cout << agents::to_json(*outcome) << "\n" << std::flush;
  return outcome->kind == agents::OutcomeKind::succeeded ? 0 : kExitFailure;
}

}  // namespace bottega
