#include "engine/worker/task_engine.h"

#include <filesystem>
#include <pqxx/pqxx>

#include "config/base/log.h"
#include "engine/agents/agent_config.h"
#include "engine/agents/transcript_store.h"
#include "engine/db/database.h"
#include "engine/worker/app_access.h"
#include "engine/worker/event_translator.h"
#include "engine/worker/github_port.h"
#include "engine/worker/job_payloads.h"
#include "engine/worker/outbox.h"
#include "engine/worker/pull_events.h"
#include "engine/worker/pull_opener.h"
#include "engine/worker/pull_updater.h"
#include "engine/worker/repo_lookups.h"
#include "engine/worker/task_applier.h"
#include "engine/worker/task_store.h"
#include "engine/worker/turn_runner.h"
#include "engine/workspace/workspace.h"
#include "github/webhook/events.h"

namespace bottega {

using workflow::Phase;
using workflow::Task;

struct TaskEngine::Impl {
  TaskEngineOptions options;
  Database& db;
  GitHubPort& gh;
  Workspace& workspace;
  const Clock& clock;
  spdlog::logger& log = component_log("workflow");
  agents::TranscriptStore transcripts{db, clock};
  RepoLookups lookups;
  Outbox outbox;
  TaskApplier applier{db, lookups, outbox};
  EventTranslator translator{lookups, clock, [this](const std::string& repo, int64_t number) {
                               return issue_of_pull(repo, number);
                             }};
  TurnRunner turns;
  PullOpener pulls{gh, workspace, lookups, turns};
  AppAccess access{db, gh, applier};
  PullUpdater updater{db, gh, workspace, turns, applier};

  Impl(TaskEngineOptions o, Database& d, GitHubPort& g, Workspace& w, agents::AgentRunner& r,
       const Clock& k)
      : options(std::move(o)),
        db(d),
        gh(g),
        workspace(w),
        clock(k),
        lookups(g, clock, options.repo_defaults, options.permission_ttl),
        outbox(d, g, lookups, clock, options.github_web_url, options.public_url),
        turns(options, d, g, w, r, lookups, transcripts) {
    translator.set_awaits_answers([this](const std::string& repo, int64_t issue) {
      return task_store::on_own_connection(
          db, "finding whether a task awaits answers",
          [&](pqxx::nontransaction& tx) { return task_store::awaits_answers(tx, repo, issue); });
    });
  }

  int64_t now() const {
    return std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count();
  }

  template <class F>
  auto read(const std::string& what, F f) {
    return task_store::on_own_connection(db, what, std::move(f));
  }

  Result<std::optional<int64_t>> issue_of_pull(const std::string& repo, int64_t number) {
    return read("finding the task of a pull request", [&](pqxx::nontransaction& tx) {
      return task_store::issue_of_pull(tx, repo, number);
    });
  }

  // An event for the task `row`, from the engine's own jobs.
  static Incoming incoming(const TaskRow& row, workflow::Event event) {
    Incoming in;
    in.installation_id = row.installation_id;
    in.repo = row.task.repo;
    in.issue = row.task.issue;
    in.event = std::move(event);
    return in;
  }

  // The task a job names (nullopt: it is gone).
  Result<std::optional<TaskRow>> job_task(const Job& job) {
    auto payload = decode_task_job(job.payload);
    if (!payload) return payload.error();
    return task_store::load(db, payload->task_id);
  }

  // --- webhooks → events ---------------------------------------------------------------
  Result<void> handle_event(const Job& job) {
    if (job.delivery_id.empty()) return {};
    auto stored = read("loading delivery", [&](pqxx::nontransaction& tx) {
      std::optional<std::pair<std::string, std::string>> out;
      auto r = tx.exec_params("SELECT event, body FROM deliveries WHERE delivery_id = $1",
                              job.delivery_id);
      if (r.empty()) return out;
      pqxx::binarystring b(r[0][1]);
      out.emplace(r[0][0].as<std::string>(),
                  std::string(reinterpret_cast<const char*>(b.data()), b.size()));
      return out;
    });
    if (!stored) return stored.error();
    if (!*stored) return {};
    const auto& [event_name, body] = **stored;
    auto decoded = decode_event(event_name, body);
    if (!decoded) return {};  // intake already checked it; nothing to act on
    const WebhookEvent& ev = *decoded;
    if (event_name == "installation" || event_name == "installation_repositories")
      return access.handle(ev);
    if (!ev.repository) return {};
    if (ev.sender && ev.sender->is_bot() && !PullEvents::bots_may_act(ev)) return {};
    auto suspended = access.suspended(ev.installation_id);
    if (!suspended) return suspended.error();
    if (*suspended) return {};  // GitHub should not send these; nothing may start if it does
    // The base branch moved: each of the repository's task PRs may conflict now.
    if (auto* push = std::get_if<PushEvent>(&ev.detail);
        push && !push->deleted && push->ref == "refs/heads/" + ev.repository->default_branch)
      return updater.base_moved(ev.installation_id, ev.repository->full_name);
    auto in = translator.translate(ev);
    if (!in) return in.error();
    if (!*in) return {};
    return applier.apply(**in, job.delivery_id);
  }

  // --- task_effects jobs: the outbox a webhook's event left ---------------------------
  Result<void> handle_effects(const Job& job) {
    auto payload = decode_task_job(job.payload);
    if (!payload) return payload.error();
    return outbox.flush(payload->task_id);
  }

  // --- agent turns --------------------------------------------------------------------------
  Result<void> handle_turn(const Job& job) {
    auto payload = decode_task_job(job.payload);
    if (!payload) return payload.error();
    auto loaded = task_store::load(db, payload->task_id);
    if (!loaded) return loaded.error();
    if (!*loaded) return {};
    const TaskRow& row = **loaded;
    const Task& t = row.task;
    if (t.turn != payload->turn ||
        (t.phase != Phase::planning && t.phase != Phase::implementing &&
         t.phase != Phase::reviewing && t.phase != Phase::refining && t.phase != Phase::fixing))
      return {};  // superseded (cancelled, retried) before it started

    auto ran = turns.run(row, job);
    if (turns.stopping()) return make_error("the server stopped during the turn; it runs again");
    // Trouble that is nobody's fault (GitHub or git unreachable) is retried
    // by the queue; on the last attempt the task is blocked with it.
    if (!ran && job.attempts < job.max_attempts) return ran.error();
    workflow::TurnFinished finished = ran ? std::move(*ran) : setup_failed(ran.error().message);
    finished.turn = payload->turn;
    finished.role = t.turn_role;
    finished.now = now();
    return applier.apply(incoming(row, finished), "", t.id);
  }

  // --- the pull request -------------------------------------------------------------------
  Result<void> handle_open_pull(const Job& job) {
    auto loaded = job_task(job);
    if (!loaded) return loaded.error();
    if (!*loaded || (*loaded)->task.phase != Phase::opening_pr) return {};
    const TaskRow& row = **loaded;
    auto opened = pulls.open(row);
    workflow::Event event;
    if (opened) {
      std::visit([&event](auto& e) { event = std::move(e); }, *opened);
    } else {
      // Transient trouble is retried by the queue; the last attempt blocks the task.
      if (job.attempts < job.max_attempts) return opened.error();
      event = workflow::PullRequestFailed{opened.error().message};
    }
    return applier.apply(incoming(row, std::move(event)), "", row.task.id);
  }

  // --- cleanup ------------------------------------------------------------------------------
  Result<void> handle_cleanup(const Job& job) {
    auto loaded = job_task(job);
    if (!loaded) return loaded.error();
    if (!*loaded) return {};
    const Task& t = (*loaded)->task;
    // Triggered again since: the worktree is in use.
    if (t.phase != Phase::done && t.phase != Phase::cancelled) return {};
    if (auto r = workspace.remove_worktree(t.repo, task_dir(t)); !r) return r.error();
    std::error_code ec;
    std::filesystem::remove_all(options.runs_dir + "/" + std::to_string(t.id), ec);
    if (ec)
      return make_error("removing the run directories of task " + std::to_string(t.id) + ": " +
                        ec.message());
    log.info("task {}: {} — worktree and run directories removed", task_key(t.repo, t.issue),
             workflow::to_string(t.phase));
    return {};
  }

  // --- lost jobs ----------------------------------------------------------------------------
  Result<int> block_lost_tasks() {
    auto lost = read("looking for lost tasks",
                     [](pqxx::nontransaction& tx) { return task_store::lost_tasks(tx); });
    if (!lost) return lost.error();
    int blocked = 0;
    for (const auto& [task_id, why] : *lost) {
      auto loaded = task_store::load(db, task_id);
      if (!loaded) return loaded.error();
      if (!*loaded) continue;
      const Task& t = (*loaded)->task;
      workflow::Event event;
      if (t.phase == Phase::opening_pr) {
        event = workflow::PullRequestFailed{"opening the pull request was given up: " + why};
      } else {
        workflow::TurnFinished f = setup_failed("the turn was given up: " + why);
        f.turn = t.turn;
        f.role = t.turn_role;
        f.now = now();
        event = f;
      }
      log.warn("task {}: {}", task_key(t.repo, t.issue), why);
      if (auto applied = applier.apply(incoming(**loaded, std::move(event)), "", task_id); !applied)
        return applied.error();
      ++blocked;
    }
    return blocked;
  }
};

TaskEngineOptions engine_options(const ServerConfig& config) {
  TaskEngineOptions o;
  o.github_web_url = config.github_web_url;
  o.public_url = config.public_url;
  o.repo_defaults = repo_defaults(config);
  o.agent_sandbox = config.agent_sandbox;
  o.egress_allow = config.agent_egress_allow;
  o.egress_allow_private = config.agent_egress_allow_private;
  o.task_port_range_start = config.task_port_range_start;
  o.task_ports_per_task = config.task_ports_per_task;
  o.harness_settings = [config](const std::string& harness) {
    return agents::harness_settings(config, harness);
  };
  return o;
}

TaskEngine::TaskEngine(TaskEngineOptions options, Database& db, GitHubPort& github,
                       Workspace& workspace, agents::AgentRunner& runner, const Clock& clock)
    : impl_(std::make_unique<Impl>(std::move(options), db, github, workspace, runner, clock)) {}

TaskEngine::~TaskEngine() = default;

Result<void> TaskEngine::handle_event(const Job& job) { return impl_->handle_event(job); }
Result<void> TaskEngine::handle_turn(const Job& job) { return impl_->handle_turn(job); }
Result<void> TaskEngine::handle_effects(const Job& job) { return impl_->handle_effects(job); }
Result<void> TaskEngine::handle_open_pull(const Job& job) { return impl_->handle_open_pull(job); }
Result<void> TaskEngine::handle_cleanup(const Job& job) { return impl_->handle_cleanup(job); }
Result<void> TaskEngine::handle_update_pull(const Job& job) { return impl_->updater.update(job); }
Result<int> TaskEngine::block_lost_tasks() { return impl_->block_lost_tasks(); }
void TaskEngine::stop() { impl_->turns.stop(); }

}  // namespace bottega
