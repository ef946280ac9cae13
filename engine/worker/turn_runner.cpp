#include "engine/worker/turn_runner.h"

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "config/base/log.h"
#include "config/base/redactor.h"
#include "config/base/safe_file.h"
#include "config/repo_config.h"
#include "engine/agents/agent_config.h"
#include "engine/agents/runner.h"
#include "engine/agents/signal_file.h"
#include "engine/agents/transcript_store.h"
#include "engine/agents/turn_network.h"
#include "engine/prompts/prompts.h"
#include "engine/prompts/template.h"
#include "engine/worker/evidence_store.h"
#include "engine/worker/fix_context.h"
#include "engine/worker/github_port.h"
#include "engine/worker/repo_lookups.h"
#include "engine/worker/task_store.h"

namespace bottega {
namespace {

namespace fs = std::filesystem;
using workflow::Phase;
using workflow::Role;
using workflow::Task;

// The task document an agent leaves is taken up to this size.
constexpr std::size_t kMaxDocumentBytes = 4 * 1024 * 1024;

Result<void> write_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) return make_error("cannot write " + path);
  return {};
}

std::string port_range(const TaskEngineOptions& options, const Task& t) {
  const int first =
      options.task_port_range_start + static_cast<int>(t.id % 1000) * options.task_ports_per_task;
  return std::to_string(first) + "-" + std::to_string(first + options.task_ports_per_task - 1);
}

workflow::TurnFinished with_usage(workflow::TurnFinished failed, const workflow::TurnFinished& f) {
  failed.tokens_in = f.tokens_in;
  failed.tokens_out = f.tokens_out;
  failed.cost_usd = f.cost_usd;
  return failed;
}

// Wakes a sleeping watcher at once when the turn ends.
class Stopper {
 public:
  bool wait_for(std::chrono::milliseconds d) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, d, [&] { return stopped_; });
  }
  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopped_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopped_ = false;
};

}  // namespace

workflow::TurnFinished setup_failed(std::string why) {
  workflow::TurnFinished f;
  f.outcome = workflow::TurnOutcome::setup_failed;
  f.message = std::move(why);
  return f;
}

TurnRunner::TurnRunner(const TaskEngineOptions& options, Database& db, GitHubPort& gh,
                       Workspace& workspace, agents::AgentRunner& runner, RepoLookups& lookups,
                       agents::TranscriptStore& transcripts)
    : options_(options),
      db_(db),
      gh_(gh),
      workspace_(workspace),
      runner_(runner),
      lookups_(lookups),
      transcripts_(transcripts) {}

Result<workflow::TurnFinished> TurnRunner::run(const TaskRow& row, const Job& job) {
  const Task& t = row.task;
  const std::string role(workflow::to_string(t.turn_role));
  const bool fixing = t.turn_role == Role::fix;
  // A fix checked before its push (shepherd.review_fixes): role review.
  const bool reviewing_fix = t.turn_role == Role::review && t.phase == Phase::fixing;
  // A fix turn's prompt is its kind's ("fix-ci", ...); a product-flow
  // planner's is plan-product.
  const std::string prompt_name = fixing ? std::string(to_string(t.pull.fixing))
                                  : reviewing_fix
                                      ? std::string("review-fix")
                                      : prompts::prompt_for(role, !t.product_reason.empty());
  const auto repo = repo_of(row.installation_id, t.repo);

  // Every file of the turn from one commit of the base branch.
  auto base = lookups_.head(repo, row.base_branch);
  if (!base) return base.error();
  auto loaded = lookups_.repo_config(repo, *base);
  if (!loaded) return loaded.error();
  const LoadedConfig& cfg = *loaded;
  if (!cfg.error.empty()) return setup_failed(cfg.error);
  auto role_cfg = cfg.config.roles.find(role);
  // The solo agent, and a fix turn where the repository set no fix role,
  // run as the implementer is configured (roles.implement).
  if ((t.turn_role == Role::solo || fixing) &&
      (role_cfg == cfg.config.roles.end() || role_cfg->second.harness.empty()))
    role_cfg = cfg.config.roles.find("implement");
  if (role_cfg == cfg.config.roles.end() || role_cfg->second.harness.empty())
    return setup_failed("no agent is configured for the " + role + " role: set roles." + role +
                        ".harness and .model in the server config or " +
                        std::string(kRepoConfigPath));
  const agents::Harness* harness = agents::find_harness(role_cfg->second.harness);
  if (!harness) return setup_failed("unknown harness " + role_cfg->second.harness);
  auto settings = options_.harness_settings(role_cfg->second.harness);
  if (!settings) return setup_failed(settings.error().message);

  auto checkout = check_out(row);
  if (!checkout) return checkout.error();
  const GitRemote& remote = checkout->remote;
  const std::string& worktree = checkout->worktree;
  std::vector<std::string> conflicts;  // a resolve turn's, left for its agent
  // A person who pushed to the branch is respected: the fix starts from their commits.
  if (fixing) {
    if (auto caught = workspace_.catch_up(worktree, t.branch); !caught) return caught.error();
    // Run again after a crash that came after its commit: pushed once, not redone.
    auto before = pushed_before(row, worktree, remote);
    if (!before) return before.error();
    if (*before) return std::move(**before);
    if (t.pull.fixing == workflow::FixKind::conflicts) {
      auto merged = merge_for_resolve(row, worktree, remote, conflicts);
      if (!merged) return merged.error();
      if (*merged) return std::move(**merged);
    }
  }

  const std::string run_dir = options_.runs_dir + "/" + std::to_string(t.id) + "/turn-" +
                              std::to_string(t.turn) + "-" + std::to_string(job.attempts);
  std::error_code ec;
  fs::remove_all(run_dir, ec);
  fs::create_directories(run_dir, ec);
  if (ec) return setup_failed("cannot create " + run_dir + ": " + ec.message());
  const std::string task_file = run_dir + "/task.md";
  if (auto w = write_file(task_file, t.document); !w) return setup_failed(w.error().message);
  std::string fix_context;
  if (fixing || reviewing_fix) {
    std::string merging;
    if (!conflicts.empty()) {
      merging = "\nThe merge of `" + row.base_branch +
                "` is in progress in the worktree; its "
                "conflicts now:\n\n";
      for (const auto& c : conflicts) merging += "- `" + c + "`\n";
    }
    auto written = write_fix_context(gh_, repo, t, run_dir, merging);
    if (!written) return written.error();
    fix_context = *written;
  }

  prompts::TemplateVars vars = {
      {"task", task_key(t.repo, t.issue)},
      {"repository", t.repo},
      {"issue", std::to_string(t.issue)},
      {"title", t.title},
      {"task_file", task_file},
      {"worktree", worktree},
      {"branch", t.branch},
      {"iteration", std::to_string(t.iteration)},
      {"max_iterations", std::to_string(t.max_iterations)},
      {"port_range", port_range(options_, t)},
      {"setup_commands", prompts::command_list(cfg.config.setup_commands)},
      {"test_commands", prompts::command_list(cfg.config.test_commands)},
      {"guidance", t.guidance},
      {"plan_template", lookups_.plan_template(repo, *base)},
      {"pull_request", std::to_string(t.pr_number)},
      {"fix_context", fix_context},
      {"pull_head", t.pull.head_sha},
  };
  // The questions' cap, told where the planner reads the people's word.
  if (t.turn_role == Role::plan && t.question_rounds >= t.max_question_rounds)
    vars["guidance"] +=
        std::string(vars["guidance"].empty() ? "" : "\n\n") +
        "No more questions: every round of questions this task allows was used. Decide what is "
        "still open yourself and state it as an assumption in the Overview.";
  auto override_text = lookups_.repo_file(repo, prompts::override_path(prompt_name), *base);
  auto prompt = prompts::render_prompt(prompt_name, override_text, vars);
  if (!prompt) return setup_failed(prompt.error().message);

  agents::AgentRunner::Turn turn;
  turn.harness = harness;
  turn.settings = std::move(*settings);
  for (auto& [k, v] : std::map<std::string, std::string>{
           {"BOTTEGA_ROLE", role},
           {"BOTTEGA_TASK", task_key(t.repo, t.issue)},
           {"BOTTEGA_ISSUE", std::to_string(t.issue)},
           {"BOTTEGA_TURN", std::to_string(t.turn)},
           {"BOTTEGA_ITERATION", std::to_string(t.turn_role == Role::plan ? 0 : t.iteration)},
           {"BOTTEGA_TASK_FILE", task_file},
           {"BOTTEGA_PORT_RANGE", port_range(options_, t)}})
    turn.settings.extra_env[k] = v;
  turn.request.model = role_cfg->second.model;
  turn.request.effort = role_cfg->second.effort;
  turn.request.prompt = *prompt;
  turn.request.worktree = worktree;
  turn.request.run_dir = run_dir;
  // The agent's git works on a throwaway view in its run directory (the
  // object store shown read-only); the app's own git never reads it.
  auto view = workspace_.prepare_agent_view(worktree, run_dir + "/git");
  if (!view) return view.error();
  turn.sandbox_readable = view->readable;
  turn.request.forbid_subagents = true;

  std::mutex process_mutex;
  agents::AgentProcess* process = nullptr;
  bool cancel_requested = false;
  auto cancel_turn = [&] {
    std::lock_guard lock(process_mutex);
    cancel_requested = true;
    if (process) process->cancel();
  };

  // The turn's only ways out: the model gateway (the key stays here) and
  // the egress proxy. Kept until the turn's output has been checked: its
  // token is a secret the redactor knows while it lives.
  agents::TurnNetworkOptions net;
  net.sandboxed = options_.agent_sandbox;
  net.harness = std::string(harness->name());
  net.model = turn.request.model;
  net.egress_allow = options_.egress_allow;
  net.egress_allow.insert(net.egress_allow.end(), cfg.config.egress_allow.begin(),
                          cfg.config.egress_allow.end());
  net.egress_allow_private = options_.egress_allow_private;
  if (t.max_cost_usd > 0) net.budget_usd = std::max(0.0, t.max_cost_usd - t.cost_usd);
  net.on_budget_spent = cancel_turn;
  net.label = task_key(t.repo, t.issue) + " turn " + std::to_string(t.turn);
  auto network = agents::TurnNetwork::start(turn, std::move(net));
  if (!network) return setup_failed(network.error().message);
  (*network)->apply(turn);

  agents::RunStart start{t.id, role, std::string(harness->name()), turn.request.model,
                         turn.request.effort};
  auto run_id = transcripts_.begin_run(start);
  if (!run_id) return setup_failed("transcript: " + run_id.error().message);

  // Watches the task: a /cancel or a newer turn stops this one within a poll.
  Stopper stopper;
  std::thread watcher([&] {
    while (!stopper.wait_for(options_.cancel_poll)) {
      auto now = task_store::load(db_, t.id);
      if (!now || !*now) continue;
      const Task& current = (*now)->task;
      if (current.turn == t.turn && current.phase == t.phase) continue;
      cancel_turn();
    }
  });

  agents::TranscriptWriter writer(transcripts_, *run_id);
  auto outcome = runner_.run(turn, writer, [&](agents::AgentProcess* p) {
    std::lock_guard lock(process_mutex);
    {
      std::lock_guard all(mutex_);
      if (p)
        processes_.insert(p);
      else
        processes_.erase(process);
      if (p && stopping_) p->cancel();
    }
    process = p;
    if (p && cancel_requested) p->cancel();
  });
  // The transcript is the record, not the turn: a failure to store it is
  // logged and the turn's outcome stands.
  auto& log = component_log("workflow");
  if (auto closed = writer.close(); !closed)
    log.warn("task {}: the transcript of turn {}: {}", task_key(t.repo, t.issue), t.turn,
             closed.error().message);
  stopper.stop();
  watcher.join();
  if (!outcome) {
    agents::Outcome failed;
    failed.message = outcome.error().message;
    if (auto r = transcripts_.finish_run(*run_id, failed); !r)
      log.warn("task {}: recording the end of run {}: {}", task_key(t.repo, t.issue), *run_id,
               r.error().message);
    return setup_failed(outcome.error().message);
  }
  agents::account_network(**network, *outcome);
  if (auto r = transcripts_.finish_run(*run_id, *outcome); !r)
    log.warn("task {}: recording the end of run {}: {}", task_key(t.repo, t.issue), *run_id,
             r.error().message);

  workflow::TurnFinished f = turn_finished_from(*outcome);
  // The agent could have made the file a link to anything the server can read.
  auto document = read_regular_file(task_file, kMaxDocumentBytes);
  if (document)
    f.document = redact(*document);
  else
    f.message += (f.message.empty() ? "" : "; ") + std::string("the task document: ") +
                 document.error().message;
  if (auto signal = agents::read_signal(run_dir); signal && *signal) {
    // check_signal let only the four names into the file.
    f.signal = workflow::parse_signal((*signal)->kind).value_or(workflow::Signal::none);
    f.signal_reason = (*signal)->reason;
  } else if (!signal) {
    f.message += (f.message.empty() ? "" : "; ") + signal.error().message;
  }

  if (t.turn_role == Role::refine) {
    auto settled = settle_refinement(t, f, *checkout, run_dir, cfg.config.test_commands,
                                     turn.sandbox_readable);
    if (!settled) return with_usage(setup_failed(settled.error().message), f);
    f.refine_reverted = std::move(*settled);
  } else if (t.turn_role == Role::implement || t.turn_role == Role::solo || fixing) {
    auto kept = keep_work(t, f, *checkout, run_dir, conflicts, cfg.config.test_commands,
                          turn.sandbox_readable);
    if (!kept) return kept.error();
    if (*kept) return f;
  } else {
    auto discarded = workspace_.discard_changes(worktree);
    if (discarded) f.discarded_files = std::move(*discarded);
    if (reviewing_fix)
      if (auto pushed = push_reviewed_fix(t, *checkout, f); !pushed)
        return with_usage(setup_failed("push: " + pushed.error().message), f);
  }
  if (t.turn_role == Role::review || t.turn_role == Role::solo) {
    // Evidence is the record, not the turn: trouble keeping it is logged.
    auto kept = keep_evidence(db_, *run_id, run_dir);
    if (!kept) {
      log.warn("task {}: {}", task_key(t.repo, t.issue), kept.error().message);
    } else {
      for (const auto& name : kept->names)
        f.evidence.push_back(evidence_line(options_.public_url, t.id, *run_id, name));
      for (const auto& why : kept->skipped) f.evidence.push_back("not kept: `" + why + "`");
    }
  }
  log.info("task {}: turn {} ({}) ended: {} signal={}", task_key(t.repo, t.issue), t.turn, role,
           workflow::to_string(f.outcome),
           f.signal == workflow::Signal::none ? "none" : workflow::to_string(f.signal));
  return f;
}

void TurnRunner::stop() {
  stopping_ = true;
  std::lock_guard lock(mutex_);
  for (auto* p : processes_) p->cancel();
}

}  // namespace bottega
