#include "engine/worker/task_engine.h"

#include <simdjson.h>

#include <algorithm>
#include <boost/algorithm/string/predicate.hpp>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <mutex>
#include <pqxx/pqxx>
#include <sstream>
#include <thread>
#include <variant>

#include "config/base/log.h"
#include "config/base/redactor.h"
#include "config/base/safe_file.h"
#include "config/repo_config.h"
#include "engine/agents/agent_config.h"
#include "engine/agents/event.h"
#include "engine/agents/runner.h"
#include "engine/agents/signal_file.h"
#include "engine/agents/transcript_store.h"
#include "engine/agents/turn_network.h"
#include "engine/db/database.h"
#include "engine/prompts/prompts.h"
#include "engine/prompts/template.h"
#include "engine/report/comments.h"
#include "engine/report/task_document.h"
#include "engine/worker/secret_scan.h"
#include "engine/worker/task_codec.h"
#include "engine/workflow/workflow.h"
#include "engine/workspace/workspace.h"
#include "github/client.h"
#include "github/commands.h"
#include "github/webhook/events.h"

namespace bottega {
namespace {

namespace fs = std::filesystem;
using workflow::Phase;
using workflow::Role;
using workflow::Task;

// The advisory lock class of "one flusher per task" (the task id is the
// other key); two-key locks never meet the queue's one-key claim lock.
constexpr int kFlushLockClass = 0x626f74;  // "bot"

// The task document an agent leaves is taken up to this size.
constexpr std::size_t kMaxDocumentBytes = 4 * 1024 * 1024;

Result<void> write_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) return make_error("cannot write " + path);
  return {};
}

github::Repo repo_of(int64_t installation_id, const std::string& full_name) {
  github::Repo r;
  r.installation_id = installation_id;
  auto slash = full_name.find('/');
  r.owner = full_name.substr(0, slash);
  r.name = slash == std::string::npos ? "" : full_name.substr(slash + 1);
  return r;
}

// "2026-11-21T10:44:57Z" → unix seconds (0 when unreadable).
int64_t parse_time(const std::string& iso) {
  std::tm tm{};
  std::istringstream in(iso);
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
  if (in.fail()) return 0;
  return static_cast<int64_t>(timegm(&tm));
}

std::string task_key(const std::string& repo, int64_t issue) {
  return repo + "#" + std::to_string(issue);
}

// One task row: the workflow's state plus what the executor keeps.
struct TaskRow {
  int64_t installation_id = 0;
  std::string base_branch;
  Task task;
  int64_t plan_comment_id = 0;
  int64_t status_comment_id = 0;
  std::string applied_label;
  std::string outbox = "[]";
  std::string worktree_host;  // where the worktree is; "" = nowhere yet
};

const char* kTaskColumns =
    "id, installation_id, repo, issue, base_branch, state::text, coalesce(plan_comment_id, 0),"
    " coalesce(status_comment_id, 0), applied_label, outbox::text, coalesce(worktree_host, '')";

Result<TaskRow> row_from(const pqxx::row& r) {
  TaskRow row;
  row.installation_id = r[1].as<int64_t>();
  row.base_branch = r[4].as<std::string>();
  auto task = task_from_json(r[5].as<std::string>());
  if (!task) return make_error("task " + r[0].as<std::string>() + ": " + task.error().message);
  row.task = std::move(*task);
  row.task.id = r[0].as<int64_t>();
  row.plan_comment_id = r[6].as<int64_t>();
  row.status_comment_id = r[7].as<int64_t>();
  row.applied_label = r[8].as<std::string>();
  row.outbox = r[9].as<std::string>();
  row.worktree_host = r[10].as<std::string>();
  return row;
}

// What the webhook is about, once translated into a workflow event.
struct Incoming {
  int64_t installation_id = 0;
  std::string repo;
  int64_t issue = 0;
  std::string title;
  std::string body;
  std::string base_branch;
  bool create = false;  // make the task if the issue has none
  workflow::Event event;
  std::optional<RepoConfig> config;  // the repository's, when it was read
  int64_t plan_comment_id = 0;       // PlanEdited: the comment edited
};

// Text from GitHub as PostgreSQL can store it: a NUL (valid JSON, "\u0000")
// is refused by text and jsonb alike (agents::clean_text makes it U+FFFD).
std::string storable(std::string_view text) { return agents::clean_text(text); }

// The comment a command event came from; 0 for other events.
int64_t command_comment(const workflow::Event& event) {
  if (auto* c = std::get_if<workflow::CommandEvent>(&event)) return c->comment_id;
  if (auto* m = std::get_if<workflow::MistypedCommand>(&event)) return m->comment_id;
  return 0;
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

struct TaskEngine::Impl {
  const ServerConfig& config;
  TaskEngineOptions options;
  Database& db;
  github::GitHubClient& gh;
  Workspace& workspace;
  agents::AgentRunner& runner;
  const Clock& clock = SystemClock::instance();
  agents::TranscriptStore transcripts{db, clock};
  RepoConfig defaults = repo_defaults(config);
  spdlog::logger& log = component_log("workflow");

  std::mutex mutex;  // guards the caches below
  std::map<std::string, std::pair<Permission, std::chrono::steady_clock::time_point>>
      permissions;
  std::string bot_login;
  std::atomic<bool> stopping{false};
  std::set<agents::AgentProcess*> processes;  // running turns, under `mutex`

  Impl(const ServerConfig& c, TaskEngineOptions o, Database& d, github::GitHubClient& g,
       Workspace& w, agents::AgentRunner& r)
      : config(c), options(std::move(o)), db(d), gh(g), workspace(w), runner(r) {}

  // --- GitHub lookups -----------------------------------------------------------
  std::string bot() {
    {
      std::lock_guard lock(mutex);
      if (!bot_login.empty()) return bot_login;
    }
    // Asked outside the lock (the permission cache shares it); two threads
    // asking at once get the same answer.
    std::string slug = config.app_slug;
    if (slug.empty()) {
      auto app = gh.request("GET", "/app", {}, 0);
      simdjson::dom::parser parser;
      std::string_view s;
      if (app && !parser.parse(app->body).get_object()["slug"].get(s)) slug = std::string(s);
    }
    if (slug.empty()) return "";
    std::lock_guard lock(mutex);
    bot_login = slug + "[bot]";
    return bot_login;
  }

  Permission permission(const github::Repo& repo, const std::string& login) {
    const auto key = repo.full_name() + " " + login;
    const auto now = std::chrono::steady_clock::now();
    {
      std::lock_guard lock(mutex);
      auto it = permissions.find(key);
      if (it != permissions.end() && now - it->second.second < options.permission_ttl)
        return it->second.first;
    }
    auto p = gh.collaborator_permission(repo, login);
    if (!p) {
      log.warn("permission of {} on {}: {}", login, repo.full_name(), p.error().describe());
      return Permission::none;  // unknown: the command is refused, never allowed
    }
    auto level = effective_permission(p->permission, p->role_name);
    std::lock_guard lock(mutex);
    permissions[key] = {level, now};
    return level;
  }

  // The repository's config on `ref`, with `error` saying why the file is
  // invalid; fails when GitHub could not be asked (not the repository's
  // fault: the job is retried).
  struct LoadedConfig {
    RepoConfig config;
    std::string error;
  };
  Result<LoadedConfig> repo_config(const github::Repo& repo, const std::string& ref) {
    auto file = gh.get_file_contents(repo, std::string(kRepoConfigPath), ref);
    if (!file) {
      if (file.error().is_not_found()) return LoadedConfig{defaults, ""};
      return make_error("cannot read " + std::string(kRepoConfigPath) + ": " + file.error().describe());
    }
    auto parsed = parse_repo_config(file->content, defaults);
    if (!parsed) return LoadedConfig{defaults, parsed.error().describe()};
    return LoadedConfig{*parsed, ""};
  }

  std::optional<std::string> repo_file(const github::Repo& repo, const std::string& path,
                                       const std::string& ref) {
    auto file = gh.get_file_contents(repo, path, ref);
    if (!file) return std::nullopt;
    return file->content;
  }

  // The repository's plan template (.github/bottega/prompts/plan-template.md), else ours.
  std::string plan_template(const github::Repo& repo, const std::string& ref) {
    if (auto text = repo_file(repo, prompts::override_path("plan-template"), ref)) return *text;
    return std::string(prompts::default_prompt("plan-template").value_or(""));
  }

  // --- applying events ----------------------------------------------------------------
  Result<std::optional<TaskRow>> lock_task(pqxx::work& tx, const std::string& repo, int64_t issue) {
    auto r = tx.exec_params(std::string("SELECT ") + kTaskColumns +
                                " FROM tasks WHERE repo = $1 AND issue = $2 FOR UPDATE",
                            repo, issue);
    if (r.empty()) return std::optional<TaskRow>{};
    auto row = row_from(r[0]);
    if (!row) return row.error();
    return std::optional<TaskRow>(std::move(*row));
  }

  Result<std::optional<TaskRow>> lock_task(pqxx::work& tx, int64_t id) {
    return select_task(tx, id, /*for_update=*/true);
  }

  Result<std::optional<TaskRow>> select_task(pqxx::work& tx, int64_t id, bool for_update) {
    auto r = tx.exec_params(std::string("SELECT ") + kTaskColumns + " FROM tasks WHERE id = $1" +
                                (for_update ? " FOR UPDATE" : ""),
                            id);
    if (r.empty()) return std::optional<TaskRow>{};
    auto row = row_from(r[0]);
    if (!row) return row.error();
    return std::optional<TaskRow>(std::move(*row));
  }

  TaskRow new_task(pqxx::transaction_base& tx, const Incoming& in) {
    const auto repo = repo_of(in.installation_id, in.repo);
    Task t;
    t.repo = in.repo;
    t.issue = in.issue;
    t.title = in.title;
    t.document = report::make_task_document(in.title, in.issue, in.body, plan_template(repo, in.base_branch));
    t.branch = report::branch_name(in.issue, in.title);
    TaskRow row;
    row.installation_id = in.installation_id;
    row.base_branch = in.base_branch.empty() ? "main" : in.base_branch;
    row.task = std::move(t);
    auto r = tx.exec_params1(
        "INSERT INTO tasks (installation_id, repo, issue, base_branch, phase, state)"
        " VALUES ($1, $2, $3, $4, 'idle', $5::jsonb) RETURNING id",
        in.installation_id, in.repo, in.issue, row.base_branch, task_to_json(row.task));
    row.task.id = r[0].as<int64_t>();
    return row;
  }

  static void apply_policy(Task& t, const RepoConfig& c) {
    t.command_permission = c.command_permission;
    t.approve_permission = c.approve_permission;
    if (t.phase == Phase::idle || t.phase == Phase::cancelled) {
      t.max_iterations = c.max_iterations;
      t.max_cost_usd = c.max_cost_usd;
    }
  }

  // Runs decide() for `task_id` (or the issue's task) under its row lock;
  // commits the new state, its jobs and its GitHub effects; then performs
  // the effects. delivery_id: applied once (empty: not from a delivery).
  // A webhook's event performs only the acknowledgements (reactions) and
  // leaves the rest to a task_effects job: GitHub's write spacing would
  // otherwise hold the worker for seconds, and the next command's 👀 with it.
  Result<void> apply(const Incoming& in, const std::string& delivery_id, int64_t task_id = 0) {
    const bool acknowledge_only = !delivery_id.empty();
    int64_t id = 0;
    try {
      auto conn = db.acquire();
      if (!conn) return conn.error();
      pqxx::work tx(**conn);
      auto locked = task_id ? lock_task(tx, task_id) : lock_task(tx, in.repo, in.issue);
      if (!locked) return locked.error();
      if (!*locked && !in.create) return {};  // no task, and this event does not make one
      if (!*locked) {
        // Two deliveries may race to make the task: the unique key lets one win.
        try {
          pqxx::subtransaction create(tx, "create_task");
          locked->emplace(new_task(create, in));
          create.commit();
        } catch (const pqxx::unique_violation&) {
          auto again = lock_task(tx, in.repo, in.issue);
          if (!again || !*again) return make_error("task for " + task_key(in.repo, in.issue) + " vanished");
          *locked = std::move(*again);
        }
      }
      TaskRow& row = **locked;
      id = row.task.id;
      if (!delivery_id.empty()) {
        auto fresh = tx.exec_params(
            "INSERT INTO task_deliveries (delivery_id, task_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            delivery_id, id);
        if (fresh.affected_rows() == 0) {
          tx.commit();
          return flush(id, acknowledge_only);  // applied before a crash: only its effects may be left
        }
      }
      // The same comment delivered again under another delivery id (a
      // second hook on the repository, a proxy that retries) is applied
      // once: its comment id is the key.
      if (const int64_t comment = command_comment(in.event); comment != 0) {
        auto fresh = tx.exec_params(
            "INSERT INTO task_deliveries (delivery_id, task_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            "comment:" + std::to_string(comment), id);
        if (fresh.affected_rows() == 0) {
          tx.commit();
          log.info("task {}: the command of comment {} was applied already (delivery {})",
                   task_key(in.repo, in.issue), comment, delivery_id);
          return {};
        }
      }
      if (in.plan_comment_id != 0 && in.plan_comment_id != row.plan_comment_id) {
        tx.commit();
        return {};  // a marker in some other comment
      }
      if (in.config) apply_policy(row.task, *in.config);
      auto decision = workflow::decide(row.task, in.event);
      commit_decision(tx, row, decision);
      // An issue or repository that is gone takes no write: what waited to be sent is dropped.
      if (std::holds_alternative<workflow::IssueGone>(in.event) ||
          std::holds_alternative<workflow::AccessLost>(in.event))
        tx.exec_params("UPDATE tasks SET outbox = '[]' WHERE id = $1", id);
      if (acknowledge_only) enqueue_effects(tx, row.task.id, row.installation_id, in.repo, in.issue);
      tx.commit();
    } catch (const std::exception& e) {
      return make_error("task " + task_key(in.repo, in.issue) + ": " + e.what());
    }
    return flush(id, acknowledge_only);
  }

  // A task_effects job for what the outbox holds besides reactions, unless
  // one is already queued (under the task's row lock, so two events cannot
  // both miss it).
  static void enqueue_effects(pqxx::work& tx, int64_t task_id, int64_t installation_id,
                              const std::string& repo, int64_t issue) {
    const std::string key = task_key(repo, issue) + "/effects";
    auto waiting = tx.exec_params(
        "SELECT 1 FROM tasks t WHERE t.id = $1"
        " AND EXISTS (SELECT 1 FROM jsonb_array_elements(t.outbox) e WHERE e->>'kind' <> 'react')"
        " AND NOT EXISTS (SELECT 1 FROM jobs WHERE task_key = $2 AND state = 'queued')",
        task_id, key);
    if (waiting.empty()) return;
    JobSpec job;
    job.kind = kTaskEffectsJob;
    job.task_key = key;
    job.installation_id = installation_id;
    job.payload = "{\"task_id\":" + std::to_string(task_id) + "}";
    JobQueue::enqueue(tx, job);
  }

  void commit_decision(pqxx::work& tx, const TaskRow& row, const workflow::Decision& decision) {
    const Task& t = decision.task;
    std::vector<workflow::Action> effects;
    const std::string key = task_key(t.repo, t.issue) + "/agent";
    for (const auto& action : decision.actions) {
      if (is_github_effect(action)) {
        effects.push_back(action);
      } else if (auto* start = std::get_if<workflow::StartTurn>(&action)) {
        JobSpec job;
        job.kind = kAgentTurnJob;
        job.task_key = key;
        job.installation_id = row.installation_id;
        job.payload = "{\"task_id\":" + std::to_string(t.id) + ",\"turn\":" + std::to_string(start->turn) + "}";
        job.max_attempts = 5;  // restarts and crashed workers use attempts too
        job.host = row.worktree_host;
        JobQueue::enqueue(tx, job);
        log.info("task {}: turn {} ({}) queued", task_key(t.repo, t.issue), start->turn,
                 workflow::to_string(start->role));
      } else if (std::holds_alternative<workflow::OpenPullRequest>(action)) {
        JobSpec job;
        job.kind = kOpenPullJob;
        job.task_key = key;
        job.installation_id = row.installation_id;
        job.payload = "{\"task_id\":" + std::to_string(t.id) + "}";
        job.host = row.worktree_host;
        JobQueue::enqueue(tx, job);
      }
      // CancelTurn needs nothing here: the running turn watches its task and
      // stops when the task no longer waits for it.
    }
    const bool ended = t.phase == Phase::done || t.phase == Phase::cancelled;
    if (ended && t.phase != row.task.phase && !row.worktree_host.empty()) {
      JobSpec job;
      job.kind = kCleanupJob;
      job.task_key = key;  // after the cancelled turn has stopped
      job.installation_id = row.installation_id;
      job.payload = "{\"task_id\":" + std::to_string(t.id) + "}";
      job.host = row.worktree_host;
      JobQueue::enqueue(tx, job);
    }
    tx.exec_params(
        "UPDATE tasks SET state = $2::jsonb, phase = $3, pr_number = NULLIF($4, 0),"
        " outbox = outbox || $5::jsonb, updated_at = now() WHERE id = $1",
        t.id, task_to_json(t), std::string(workflow::to_string(t.phase)), t.pr_number,
        effects_to_json(effects));
    if (t.phase != row.task.phase)
      log.info("task {}: {} → {}", task_key(t.repo, t.issue), workflow::to_string(row.task.phase),
               workflow::to_string(t.phase));
  }

  // --- GitHub effects ---------------------------------------------------------------------
  // Performs the task's outbox; what is left after a failure stays for the
  // retry. The row is locked only to take out what was done, so events are
  // decided while effects wait out GitHub's spacing; one flusher of a task
  // at a time (an advisory lock) never posts an effect twice. An
  // acknowledging flush (acknowledgements_only: the reactions, nothing
  // else) takes no flusher lock: a reaction sent twice is one reaction.
  Result<void> flush(int64_t task_id, bool acknowledgements_only = false) {
    try {
      auto conn = db.acquire();
      if (!conn) return conn.error();
      pqxx::work tx(**conn);
      if (!acknowledgements_only)
        tx.exec_params("SELECT pg_advisory_xact_lock($1::int4, ($2::bigint % 2147483647)::int4)", kFlushLockClass,
                       task_id);
      auto loaded = select_task(tx, task_id, /*for_update=*/false);
      if (!loaded) return loaded.error();
      if (!*loaded) return {};
      TaskRow& row = **loaded;
      auto effects = effects_from_json(row.outbox);
      if (!effects) return effects.error();
      const auto repo = repo_of(row.installation_id, row.task.repo);

      // Reactions first (they acknowledge at once), then replies, then one
      // sync of each comment whatever the number of requests. Each step
      // names the outbox entries it stands for.
      std::vector<std::pair<workflow::Action, std::vector<std::string>>> steps;
      auto entry = [](const workflow::Action& a) { return effects_to_json({a}); };
      auto take_all = [&](auto is, workflow::Action step) {
        std::vector<std::string> entries;
        for (auto& a : *effects)
          if (is(a)) entries.push_back(entry(a));
        if (!entries.empty()) steps.emplace_back(std::move(step), std::move(entries));
      };
      for (auto& a : *effects)
        if (std::holds_alternative<workflow::React>(a)) steps.push_back({a, {entry(a)}});
      if (!acknowledgements_only) {
        for (auto& a : *effects)
          if (std::holds_alternative<workflow::Reply>(a)) steps.push_back({a, {entry(a)}});
        take_all([](auto& a) { return std::holds_alternative<workflow::SyncPlanComment>(a); },
                 workflow::SyncPlanComment{});
        take_all([](auto& a) { return std::holds_alternative<workflow::SyncStatus>(a); },
                 workflow::SyncStatus{});
      }
      if (steps.empty()) return {};

      std::string failure;
      std::vector<std::string> done;
      for (auto& [action, entries] : steps) {
        auto result = perform(row, repo, action);
        if (!result) {
          failure = result.error().message;
          break;
        }
        done.insert(done.end(), entries.begin(), entries.end());
      }

      // Events may have added effects meanwhile: take out only what was done.
      auto current = select_task(tx, task_id, /*for_update=*/true);
      if (!current) return current.error();
      if (!*current) return {};
      auto now_there = effects_from_json((*current)->outbox);
      if (!now_there) return now_there.error();
      std::vector<workflow::Action> left;
      for (auto& a : *now_there) {
        auto it = std::find(done.begin(), done.end(), entry(a));
        if (it != done.end()) {
          done.erase(it);
        } else {
          left.push_back(a);
        }
      }
      if (acknowledgements_only) {
        tx.exec_params("UPDATE tasks SET outbox = $2::jsonb WHERE id = $1", task_id,
                       effects_to_json(left));
      } else {
        tx.exec_params(
            "UPDATE tasks SET outbox = $2::jsonb, plan_comment_id = NULLIF($3, 0),"
            " status_comment_id = NULLIF($4, 0), applied_label = $5 WHERE id = $1",
            task_id, effects_to_json(left), row.plan_comment_id, row.status_comment_id,
            row.applied_label);
      }
      tx.commit();
      if (!failure.empty()) return make_error(failure);
    } catch (const std::exception& e) {
      return make_error("task " + std::to_string(task_id) + " effects: " + e.what());
    }
    return {};
  }

  Result<void> perform(TaskRow& row, const github::Repo& repo, const workflow::Action& action) {
    const Task& t = row.task;
    if (auto* react = std::get_if<workflow::React>(&action)) {
      auto r = gh.react_to_issue_comment(repo, react->comment_id,
                                         react->reaction == "eyes"       ? github::Reaction::eyes
                                         : react->reaction == "confused" ? github::Reaction::confused
                                                                         : github::Reaction::minus_one);
      if (!r && !r.error().is_not_found()) return make_error("reaction: " + r.error().describe());
      return {};
    }
    if (auto* reply = std::get_if<workflow::Reply>(&action)) {
      auto r = gh.create_issue_comment(repo, static_cast<int>(t.issue), reply->text);
      if (!r) return make_error("reply: " + r.error().describe());
      return {};
    }
    if (std::holds_alternative<workflow::SyncPlanComment>(action)) {
      if (t.plan_revision == 0) return {};
      auto body = report::render_plan_comment(t.id, t.plan_revision, report::plan_part(t.document),
                                              to_string(t.approve_permission));
      if (t.approved_revision == t.plan_revision && !t.approved_by.empty())
        body += "\n\n✅ Approved by @" + t.approved_by + ".";
      return upsert_comment(repo, t, body, row.plan_comment_id, [&](const std::string& b) {
        auto m = report::parse_plan_marker(b);
        return m && m->task_id == t.id;
      });
    }
    if (std::holds_alternative<workflow::SyncStatus>(action)) {
      auto body = report::render_status_comment(status_view(row));
      if (auto r = upsert_comment(repo, t, body, row.status_comment_id, [&](const std::string& b) {
            auto m = report::parse_status_marker(b);
            return m && *m == t.id;
          });
          !r)
        return r;
      return sync_label(row, repo);
    }
    return {};
  }

  template <class IsOurs>
  Result<void> upsert_comment(const github::Repo& repo, const Task& t, const std::string& body,
                              int64_t& comment_id, IsOurs is_ours) {
    if (comment_id == 0) {
      // After a crash between posting and recording it, the comment is found
      // again by its marker instead of being posted twice.
      auto comments = gh.list_issue_comments(repo, static_cast<int>(t.issue));
      if (!comments) return make_error("comments: " + comments.error().describe());
      const std::string me = bot();
      for (const auto& c : *comments)
        if ((me.empty() ? c.user.type == "Bot" : c.user.login == me) && is_ours(c.body)) comment_id = c.id;
    }
    if (comment_id != 0) {
      auto r = gh.update_issue_comment(repo, comment_id, body);
      if (r) return {};
      if (!r.error().is_not_found()) return make_error("comment update: " + r.error().describe());
      comment_id = 0;  // deleted by someone: post it again
    }
    auto r = gh.create_issue_comment(repo, static_cast<int>(t.issue), body);
    if (!r) return make_error("comment: " + r.error().describe());
    comment_id = r->id;
    return {};
  }

  // The issue carries exactly the phase's label. The issue's labels are read
  // first, so a label added just before a crash (or by hand) is removed too.
  Result<void> sync_label(TaskRow& row, const github::Repo& repo) {
    const std::string wanted(workflow::phase_label(row.task.phase));
    if (wanted == row.applied_label) return {};
    const int issue = static_cast<int>(row.task.issue);
    auto current = gh.list_issue_labels(repo, issue);
    if (!current) return make_error("labels: " + current.error().describe());
    const auto has = [&](const std::string& name) {
      return std::find(current->begin(), current->end(), name) != current->end();
    };
    if (!wanted.empty() && !has(wanted)) {
      github::Label label{wanted, row.task.phase == Phase::blocked ? "d73a4a" : "5319e7", ""};
      if (auto r = gh.ensure_label(repo, label); !r) return make_error("label: " + r.error().describe());
      if (auto r = gh.add_labels(repo, issue, {wanted}); !r) return make_error("label: " + r.error().describe());
    }
    for (auto phase_label : workflow::all_phase_labels()) {
      const std::string name(phase_label);
      if (name == wanted || !has(name)) continue;
      if (auto r = gh.remove_label(repo, issue, name); !r) return make_error("label: " + r.error().describe());
    }
    row.applied_label = wanted;
    return {};
  }

  report::StatusView status_view(const TaskRow& row) {
    const Task& t = row.task;
    report::StatusView v;
    v.task_id = t.id;
    v.phase = std::string(workflow::to_string(t.phase));
    std::replace(v.phase.begin(), v.phase.end(), '_', ' ');
    if (v.phase == "pr open") v.phase = "PR open";
    else if (v.phase == "opening pr") v.phase = "opening the PR";
    v.iteration = t.iteration;
    v.max_iterations = t.max_iterations;
    v.tokens_in = t.tokens_in;
    v.tokens_out = t.tokens_out;
    v.cost_usd = t.cost_usd;
    v.max_cost_usd = t.max_cost_usd;
    v.elapsed_seconds = t.started_at ? std::max<int64_t>(0, clock_now() - t.started_at) : 0;
    if (t.phase != Phase::idle && t.phase != Phase::planning && t.phase != Phase::awaiting_approval) {
      v.branch = t.branch;
      v.branch_url = config.github_web_url + "/" + t.repo + "/tree/" + t.branch;
    }
    v.pr_number = static_cast<int>(t.pr_number);
    v.pr_url = t.pr_url;
    v.plan_revision = t.plan_revision;
    v.approved_revision = t.approved_revision;
    v.todos = report::count_todos(t.document);
    v.failure_what = t.failure_what;
    v.failure_why = t.failure_why;
    v.stderr_tail = t.stderr_tail;
    v.notes = t.notes;
    switch (t.phase) {
      case Phase::awaiting_approval:
        v.next_step = "Read the plan, then comment `/approve` to start the work or `/revise <feedback>`.";
        break;
      case Phase::blocked: v.next_step = "Comment `/retry` to continue, or `/cancel`."; break;
      case Phase::pr_open: v.next_step = "Review the pull request; a person merges it."; break;
      case Phase::idle:
        if (!t.failure_what.empty()) v.next_step = "Fix the problem, then trigger the task again.";
        break;
      default: break;
    }
    return v;
  }

  // --- task_effects jobs: the outbox a webhook's event left ---------------------------
  Result<void> handle_effects(const Job& job) {
    auto ids = payload_ids(job.payload);
    if (!ids) return ids.error();
    return flush(ids->first);
  }

  // --- webhooks → events ---------------------------------------------------------------
  Result<void> handle_event(const Job& job) {
    if (job.delivery_id.empty()) return {};
    std::string event_name, body;
    try {
      auto conn = db.acquire();
      if (!conn) return conn.error();
      pqxx::nontransaction tx(**conn);
      auto r = tx.exec_params("SELECT event, body FROM deliveries WHERE delivery_id = $1", job.delivery_id);
      if (r.empty()) return {};
      event_name = r[0][0].as<std::string>();
      pqxx::binarystring b(r[0][1]);
      body.assign(reinterpret_cast<const char*>(b.data()), b.size());
    } catch (const std::exception& e) {
      return make_error(std::string("loading delivery: ") + e.what());
    }
    auto decoded = decode_event(event_name, body);
    if (!decoded) return {};  // intake already checked it; nothing to act on
    const WebhookEvent& ev = *decoded;
    if (event_name == "installation" || event_name == "installation_repositories")
      return handle_access(ev);
    if (!ev.repository || (ev.sender && ev.sender->is_bot())) return {};
    auto suspended = is_suspended(ev.installation_id);
    if (!suspended) return suspended.error();
    if (*suspended) return {};  // GitHub should not send these; nothing may start if it does
    auto in = translate(ev);
    if (!in) return in.error();
    if (!*in) return {};
    return apply(**in, job.delivery_id);
  }

  // --- the App's access to repositories ------------------------------------------------
  // Uninstalled, suspended, or repositories taken out of the installation:
  // their tasks end without another write (the token is gone, or soon will
  // be), and the installation's cached token is dropped. Applying the same
  // event again changes nothing, so it needs no applied-once record.
  Result<void> handle_access(const WebhookEvent& ev) {
    const int64_t installation = ev.installation_id;
    if (installation == 0) return {};
    std::optional<std::vector<std::string>> repos;  // none: every repository of the installation
    std::string why;
    if (std::holds_alternative<InstallationEvent>(ev.detail)) {
      if (ev.action == "unsuspend" || ev.action == "created") {
        log.info("installation {}: {}; its repositories are served", installation, ev.action);
        return set_suspended(installation, false);
      }
      if (ev.action == "suspend") {
        if (auto marked = set_suspended(installation, true); !marked) return marked;
        why = "The App's installation was suspended.";
      } else if (ev.action == "deleted") {
        why = "The App was uninstalled.";
      } else {
        return {};
      }
      gh.forget_installation_token(installation);
    } else if (auto* e = std::get_if<InstallationRepositoriesEvent>(&ev.detail)) {
      if (ev.action != "removed" || e->removed.empty()) return {};
      repos = e->removed;
      why = "The repository was removed from the App's installation.";
    }
    std::vector<std::pair<int64_t, std::string>> live;  // task id, repository
    try {
      auto conn = db.acquire();
      if (!conn) return conn.error();
      pqxx::nontransaction tx(**conn);
      auto r = tx.exec_params(
          "SELECT id, repo FROM tasks WHERE installation_id = $1"
          " AND phase NOT IN ('idle', 'cancelled', 'done') ORDER BY id",
          installation);
      for (const auto& row : r) {
        std::string repo = row[1].as<std::string>();
        auto named = [&repo](const std::string& n) { return boost::algorithm::iequals(n, repo); };
        if (!repos || std::any_of(repos->begin(), repos->end(), named))
          live.emplace_back(row[0].as<int64_t>(), std::move(repo));
      }
    } catch (const std::exception& e) {
      return make_error(std::string("looking for the installation's tasks: ") + e.what());
    }
    log.info("installation {}: {} ({} task(s) ended)", installation, ev.name + "." + ev.action, live.size());
    for (const auto& [task_id, repo] : live) {
      Incoming in;
      in.installation_id = installation;
      in.repo = repo;
      in.event = workflow::AccessLost{why};
      if (auto applied = apply(in, "", task_id); !applied) return applied.error();
    }
    return {};
  }

  Result<void> set_suspended(int64_t installation, bool suspended) {
    try {
      auto conn = db.acquire();
      if (!conn) return conn.error();
      pqxx::nontransaction tx(**conn);
      if (suspended)
        tx.exec_params("INSERT INTO suspended_installations (installation_id) VALUES ($1)"
                       " ON CONFLICT DO NOTHING",
                       installation);
      else
        tx.exec_params("DELETE FROM suspended_installations WHERE installation_id = $1", installation);
    } catch (const std::exception& e) {
      return make_error(std::string("recording the installation's suspension: ") + e.what());
    }
    return {};
  }

  Result<bool> is_suspended(int64_t installation) {
    try {
      auto conn = db.acquire();
      if (!conn) return conn.error();
      pqxx::nontransaction tx(**conn);
      return !tx.exec_params("SELECT 1 FROM suspended_installations WHERE installation_id = $1",
                             installation)
                  .empty();
    } catch (const std::exception& e) {
      return make_error(std::string("reading the installation's suspension: ") + e.what());
    }
  }

  workflow::Actor actor_of(const github::Repo& repo, const std::optional<Account>& sender) {
    workflow::Actor a;
    if (!sender) return a;
    a.login = sender->login;
    a.is_bot = sender->is_bot();
    if (!a.is_bot) a.permission = permission(repo, a.login);
    return a;
  }

  Result<std::optional<Incoming>> translate(const WebhookEvent& ev) {
    Incoming in;
    in.installation_id = ev.installation_id;
    in.repo = ev.repository->full_name;
    in.base_branch = ev.repository->default_branch;
    const auto repo = repo_of(ev.installation_id, in.repo);
    const int64_t now = clock_now();

    auto from_issue = [&](const Issue& issue) {
      in.issue = issue.number;
      in.title = storable(issue.title);
      in.body = storable(issue.body);
    };
    // A trigger: a `plan` command not written in a comment.
    auto trigger = [&](const LoadedConfig& loaded) {
      workflow::CommandEvent c;
      c.actor = actor_of(repo, ev.sender);
      c.name = github::CommandName::plan;
      c.config_error = loaded.error;
      c.now = now;
      in.create = true;
      in.config = loaded.config;
      in.event = c;
    };

    if (auto* e = std::get_if<IssuesEvent>(&ev.detail)) {
      if (e->issue.is_pull_request) return std::optional<Incoming>{};
      from_issue(e->issue);
      if (ev.action == "closed") {
        in.event = workflow::IssueClosed{};
        return std::optional<Incoming>(std::move(in));
      }
      if (ev.action == "transferred" || ev.action == "deleted") {
        in.event = workflow::IssueGone{ev.action == "deleted"
                                           ? "The issue was deleted."
                                           : "The issue was transferred to another repository."};
        return std::optional<Incoming>(std::move(in));
      }
      if (ev.action != "labeled" && ev.action != "assigned" && ev.action != "opened")
        return std::optional<Incoming>{};
      if (ev.action == "assigned" && (bot().empty() || e->assignee != bot()))
        return std::optional<Incoming>{};
      auto loaded = repo_config(repo, in.base_branch);
      if (!loaded) return loaded.error();
      if (ev.action == "labeled" && e->label != loaded->config.trigger_label) return std::optional<Incoming>{};
      if (ev.action == "opened" && loaded->config.trigger_mode != TriggerMode::on_open)
        return std::optional<Incoming>{};
      trigger(*loaded);
      return std::optional<Incoming>(std::move(in));
    }

    if (auto* e = std::get_if<IssueCommentEvent>(&ev.detail)) {
      if (e->issue.is_pull_request) return std::optional<Incoming>{};
      from_issue(e->issue);
      if (ev.action == "edited") {
        // Only our own plan comment (by the bot, the task's marker) is read back:
        // anyone can type a marker into a comment of theirs.
        auto marker = report::parse_plan_marker(e->comment.body);
        if (!marker || !e->comment.user || !e->comment.user->is_bot()) return std::optional<Incoming>{};
        in.plan_comment_id = e->comment.id;
        auto plan = report::extract_plan(e->comment.body);
        workflow::PlanEdited edit;
        edit.actor = actor_of(repo, ev.sender);
        // Without its markers the edit is not read back (the plan comment is put back).
        if (plan) edit.plan = storable(*plan);
        edit.now = now;
        in.event = edit;
        return std::optional<Incoming>(std::move(in));
      }
      if (ev.action != "created") return std::optional<Incoming>{};
      auto parsed = github::parse_comment(e->comment.body);
      if (parsed.kind == github::ParsedComment::Kind::none) return std::optional<Incoming>{};
      auto loaded = repo_config(repo, in.base_branch);
      if (!loaded) return loaded.error();
      in.config = loaded->config;
      if (parsed.kind == github::ParsedComment::Kind::mistyped) {
        workflow::MistypedCommand m;
        m.actor = actor_of(repo, ev.sender);
        m.typed = storable(parsed.typed);
        m.suggestion = parsed.suggestion;
        m.comment_id = e->comment.id;
        in.create = true;
        in.event = m;
        return std::optional<Incoming>(std::move(in));
      }
      workflow::CommandEvent c;
      c.actor = actor_of(repo, ev.sender);
      c.name = parsed.command.name;
      c.args = storable(parsed.command.args);
      c.comment_id = e->comment.id;
      c.written_at = parse_time(e->comment.created_at);
      if (c.name == github::CommandName::plan) c.config_error = loaded->error;
      c.now = now;
      in.create = true;
      in.event = c;
      return std::optional<Incoming>(std::move(in));
    }

    if (auto* e = std::get_if<PullRequestEvent>(&ev.detail)) {
      if (ev.action != "closed") return std::optional<Incoming>{};
      // The PR's task is found by its number.
      try {
        auto conn = db.acquire();
        if (!conn) return conn.error();
        pqxx::nontransaction tx(**conn);
        auto r = tx.exec_params("SELECT issue FROM tasks WHERE repo = $1 AND pr_number = $2", in.repo,
                                e->pull_request.number);
        if (r.empty()) return std::optional<Incoming>{};
        in.issue = r[0][0].as<int64_t>();
      } catch (const std::exception& ex) {
        return make_error(std::string("finding the task of a pull request: ") + ex.what());
      }
      in.event = workflow::PullRequestClosed{e->pull_request.merged};
      return std::optional<Incoming>(std::move(in));
    }
    return std::optional<Incoming>{};
  }

  int64_t clock_now() const {
    return std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count();
  }

  // --- agent turns --------------------------------------------------------------------------
  struct Loaded {
    TaskRow row;
  };
  Result<std::optional<TaskRow>> load(int64_t task_id) {
    try {
      auto conn = db.acquire();
      if (!conn) return conn.error();
      pqxx::nontransaction tx(**conn);
      auto r = tx.exec_params(std::string("SELECT ") + kTaskColumns + " FROM tasks WHERE id = $1", task_id);
      if (r.empty()) return std::optional<TaskRow>{};
      auto row = row_from(r[0]);
      if (!row) return row.error();
      return std::optional<TaskRow>(std::move(*row));
    } catch (const std::exception& e) {
      return make_error(std::string("loading task: ") + e.what());
    }
  }

  static Result<std::pair<int64_t, int>> payload_ids(const std::string& payload) {
    simdjson::dom::parser parser;
    simdjson::dom::object o;
    int64_t task = 0, turn = 0;
    if (parser.parse(payload).get(o) || o["task_id"].get(task))
      return make_error("job payload has no task_id: " + payload);
    if (o["turn"].get(turn)) turn = 0;  // open_pr jobs name no turn
    return std::make_pair(task, static_cast<int>(turn));
  }

  std::string port_range(const Task& t) const {
    const int first = config.task_port_range_start +
                      static_cast<int>(t.id % 1000) * config.task_ports_per_task;
    return std::to_string(first) + "-" + std::to_string(first + config.task_ports_per_task - 1);
  }

  Result<void> handle_turn(const Job& job) {
    auto ids = payload_ids(job.payload);
    if (!ids) return ids.error();
    auto [task_id, turn] = *ids;
    auto loaded = load(task_id);
    if (!loaded) return loaded.error();
    if (!*loaded) return {};
    TaskRow row = std::move(**loaded);
    const Task& t = row.task;
    if (t.turn != turn || (t.phase != Phase::planning && t.phase != Phase::implementing &&
                           t.phase != Phase::reviewing))
      return {};  // superseded (cancelled, retried) before it started

    auto ran = run_turn(row, job);
    if (stopping) return make_error("the server stopped during the turn; it runs again");
    // Trouble that is nobody's fault (GitHub or git unreachable) is retried
    // by the queue; on the last attempt the task is blocked with it.
    if (!ran && job.attempts < job.max_attempts) return ran.error();
    workflow::TurnFinished finished = ran ? std::move(*ran) : setup_failed(ran.error().message);
    finished.turn = turn;
    finished.role = t.turn_role;
    finished.now = clock_now();
    Incoming in;
    in.installation_id = row.installation_id;
    in.repo = t.repo;
    in.issue = t.issue;
    in.event = finished;
    return apply(in, "", task_id);
  }

  workflow::TurnFinished setup_failed(std::string why) {
    workflow::TurnFinished f;
    f.outcome = workflow::TurnOutcome::setup_failed;
    f.message = std::move(why);
    return f;
  }

  // Runs the task's current turn. Fails on trouble worth retrying; what the
  // task itself got wrong (a bad config, a crashed agent) is in the result.
  Result<workflow::TurnFinished> run_turn(const TaskRow& row, const Job& job) {
    const Task& t = row.task;
    const std::string role(workflow::to_string(t.turn_role));
    const auto repo = repo_of(row.installation_id, t.repo);

    auto loaded = repo_config(repo, row.base_branch);
    if (!loaded) return loaded.error();
    const LoadedConfig& cfg = *loaded;
    if (!cfg.error.empty()) return setup_failed(cfg.error);
    auto role_cfg = cfg.config.roles.find(role);
    if (role_cfg == cfg.config.roles.end() || role_cfg->second.harness.empty())
      return setup_failed("no agent is configured for the " + role +
                          " role: set roles." + role + ".harness and .model in the server config or " +
                          std::string(kRepoConfigPath));
    const agents::Harness* harness = agents::find_harness(role_cfg->second.harness);
    if (!harness) return setup_failed("unknown harness " + role_cfg->second.harness);
    auto settings = agents::harness_settings(config, role_cfg->second.harness);
    if (!settings) return setup_failed(settings.error().message);

    auto checkout = check_out(row);
    if (!checkout) return checkout.error();
    const GitRemote& remote = checkout->remote;
    const std::string& worktree = checkout->worktree;

    const std::string run_dir = options.runs_dir + "/" + std::to_string(t.id) + "/turn-" +
                                std::to_string(t.turn) + "-" + std::to_string(job.attempts);
    std::error_code ec;
    fs::remove_all(run_dir, ec);
    fs::create_directories(run_dir, ec);
    if (ec) return setup_failed("cannot create " + run_dir + ": " + ec.message());
    const std::string task_file = run_dir + "/task.md";
    if (auto w = write_file(task_file, t.document); !w) return setup_failed(w.error().message);

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
        {"port_range", port_range(t)},
        {"setup_commands", prompts::command_list(cfg.config.setup_commands)},
        {"test_commands", prompts::command_list(cfg.config.test_commands)},
        {"guidance", t.guidance},
        {"plan_template", plan_template(repo, row.base_branch)},
    };
    auto override_text = repo_file(repo, prompts::override_path(role), row.base_branch);
    auto prompt = prompts::render_prompt(role, override_text, vars);
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
             {"BOTTEGA_PORT_RANGE", port_range(t)}})
      turn.settings.extra_env[k] = v;
    turn.request.model = role_cfg->second.model;
    turn.request.effort = role_cfg->second.effort;
    turn.request.prompt = *prompt;
    turn.request.worktree = worktree;
    turn.request.run_dir = run_dir;
    // The agent's git works on a throwaway view in its run directory (the
    // object store shown read-only); the app's own git never reads it.
    auto view = workspace.prepare_agent_view(worktree, run_dir + "/git");
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
    net.sandboxed = config.agent_sandbox;
    net.harness = std::string(harness->name());
    net.model = turn.request.model;
    net.egress_allow = config.agent_egress_allow;
    net.egress_allow.insert(net.egress_allow.end(), cfg.config.egress_allow.begin(),
                            cfg.config.egress_allow.end());
    net.egress_allow_private = config.agent_egress_allow_private;
    if (t.max_cost_usd > 0) net.budget_usd = std::max(0.0, t.max_cost_usd - t.cost_usd);
    net.on_budget_spent = cancel_turn;
    net.label = task_key(t.repo, t.issue) + " turn " + std::to_string(t.turn);
    auto network = agents::TurnNetwork::start(turn, std::move(net));
    if (!network) return setup_failed(network.error().message);
    (*network)->apply(turn);

    agents::RunStart start{t.id, role, std::string(harness->name()), turn.request.model,
                           turn.request.effort};
    auto run_id = transcripts.begin_run(start);
    if (!run_id) return setup_failed("transcript: " + run_id.error().message);

    // Watches the task: a /cancel or a newer turn stops this one within a poll.
    Stopper stopper;
    std::thread watcher([&] {
      while (!stopper.wait_for(options.cancel_poll)) {
        auto now = load(t.id);
        if (!now || !*now) continue;
        const Task& current = (*now)->task;
        if (current.turn == t.turn && current.phase == t.phase) continue;
        cancel_turn();
      }
    });

    agents::TranscriptWriter writer(transcripts, *run_id);
    auto outcome = runner.run(turn, writer, [&](agents::AgentProcess* p) {
      std::lock_guard lock(process_mutex);
      {
        std::lock_guard all(mutex);
        if (p) processes.insert(p);
        else processes.erase(process);
        if (p && stopping) p->cancel();
      }
      process = p;
      if (p && cancel_requested) p->cancel();
    });
    (void)writer.close();
    stopper.stop();
    watcher.join();
    if (!outcome) {
      agents::Outcome failed;
      failed.message = outcome.error().message;
      (void)transcripts.finish_run(*run_id, failed);
      return setup_failed(outcome.error().message);
    }
    agents::account_network(**network, *outcome);
    (void)transcripts.finish_run(*run_id, *outcome);

    workflow::TurnFinished f;
    switch (outcome->kind) {
      case agents::OutcomeKind::succeeded: f.outcome = workflow::TurnOutcome::succeeded; break;
      case agents::OutcomeKind::agent_error: f.outcome = workflow::TurnOutcome::agent_error; break;
      case agents::OutcomeKind::timed_out: f.outcome = workflow::TurnOutcome::timed_out; break;
      case agents::OutcomeKind::cancelled: f.outcome = workflow::TurnOutcome::cancelled; break;
      case agents::OutcomeKind::crashed: f.outcome = workflow::TurnOutcome::crashed; break;
      case agents::OutcomeKind::budget_reached: f.outcome = workflow::TurnOutcome::budget_reached; break;
    }
    f.message = outcome->message;
    f.stderr_tail = outcome->stderr_tail;
    f.tokens_in = outcome->usage.input_tokens + outcome->usage.cached_input_tokens +
                  outcome->usage.cache_write_tokens;
    f.tokens_out = outcome->usage.output_tokens;
    f.cost_usd = outcome->usage.cost_usd.value_or(0);
    // The agent could have made the file a link to anything the server can read.
    auto document = read_regular_file(task_file, kMaxDocumentBytes);
    if (document) f.document = redact(*document);
    else f.message += (f.message.empty() ? "" : "; ") + std::string("the task document: ") + document.error().message;
    if (auto signal = agents::read_signal(run_dir); signal && *signal) {
      f.signal = (*signal)->kind;
      f.signal_reason = (*signal)->reason;
    } else if (!signal) {
      f.message += (f.message.empty() ? "" : "; ") + signal.error().message;
    }

    if (t.turn_role == Role::implement) {
      if (f.outcome == workflow::TurnOutcome::succeeded) {
        // Work holding a secret the app knows is not committed (so never pushed).
        auto leak = secret_in_changes(worktree);
        if (!leak) return leak.error();
        if (*leak) {
          f.outcome = workflow::TurnOutcome::refused;
          f.message = "`" + **leak + "`: the app does not commit or push a secret it holds; "
                      "remove it from the file and `/retry`";
          return f;
        }
        auto sha = workspace.commit_all(worktree, redact("bottega: " + t.title + " (#" + std::to_string(t.issue) +
                                                       "), iteration " + std::to_string(t.iteration)));
        if (!sha) return with_usage(setup_failed("commit: " + sha.error().message), f);
        // Pushed after every implementation turn: another host can rebuild
        // the worktree from the branch.
        if (*sha) {
          if (auto p = workspace.push(worktree, remote, t.branch); !p)
            return with_usage(setup_failed("push: " + p.error().message), f);
        }
      }
    } else {
      auto discarded = workspace.discard_changes(worktree);
      if (discarded) f.discarded_files = std::move(*discarded);
    }
    log.info("task {}: turn {} ({}) ended: {} signal={}", task_key(t.repo, t.issue), t.turn, role,
             workflow::to_string(f.outcome), f.signal.empty() ? "none" : f.signal);
    return f;
  }

  // The first file changed in the worktree that holds a secret the app
  // knows, named (never the secret); nullopt when there is none.
  Result<std::optional<std::string>> secret_in_changes(const std::string& worktree) {
    auto changed = workspace.changed_files(worktree);
    if (!changed) return changed.error();
    return find_secret_in_files(worktree, *changed);
  }

  // The task's worktree, synced with GitHub and held by this host, and the
  // remote to push to. Fails on trouble worth retrying (GitHub, git).
  struct Checkout {
    GitRemote remote;
    std::string worktree;
  };
  Result<Checkout> check_out(const TaskRow& row) {
    const Task& t = row.task;
    auto token = gh.installation_token(row.installation_id);
    if (!token) return make_error("no installation token: " + token.error().describe());
    Checkout c{GitRemote{config.github_web_url + "/" + t.repo + ".git", *token}, ""};
    // prepare_worktree fetches the repository first (under the cache lock).
    auto worktree = workspace.prepare_worktree(t.repo, c.remote, task_dir(t), t.branch, row.base_branch);
    if (!worktree) return worktree.error();
    if (auto h = hold_worktree(row); !h) return h.error();
    c.worktree = std::move(*worktree);
    return c;
  }

  // The task's worktree directory name: "owner-repo-N".
  static std::string task_dir(const Task& t) {
    std::string dir = t.repo;
    std::replace(dir.begin(), dir.end(), '/', '-');
    return dir + "-" + std::to_string(t.issue);
  }

  // The task a job names (nullopt: it is gone).
  Result<std::optional<TaskRow>> job_task(const Job& job) {
    auto ids = payload_ids(job.payload);
    if (!ids) return ids.error();
    return load(ids->first);
  }

  // This host holds the task's worktree now: the task's next jobs come here.
  Result<void> hold_worktree(const TaskRow& row) {
    if (row.worktree_host == options.host) return {};
    try {
      auto conn = db.acquire();
      if (!conn) return conn.error();
      pqxx::work tx(**conn);
      tx.exec_params("UPDATE tasks SET worktree_host = $2 WHERE id = $1", row.task.id, options.host);
      tx.commit();
      return {};
    } catch (const std::exception& e) {
      return make_error(std::string("recording the worktree's host: ") + e.what());
    }
  }

  static workflow::TurnFinished with_usage(workflow::TurnFinished failed, const workflow::TurnFinished& f) {
    failed.tokens_in = f.tokens_in;
    failed.tokens_out = f.tokens_out;
    failed.cost_usd = f.cost_usd;
    return failed;
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
    fs::remove_all(options.runs_dir + "/" + std::to_string(t.id), ec);
    if (ec) return make_error("removing the run directories of task " + std::to_string(t.id) + ": " + ec.message());
    log.info("task {}: {} — worktree and run directories removed", task_key(t.repo, t.issue),
             workflow::to_string(t.phase));
    return {};
  }

  // --- lost jobs ----------------------------------------------------------------------------
  Result<int> block_lost_tasks() {
    std::vector<std::pair<int64_t, std::string>> lost;
    try {
      auto conn = db.acquire();
      if (!conn) return conn.error();
      pqxx::nontransaction tx(**conn);
      // A task waits for its /agent job; when the newest such job is dead
      // and none is queued or running, nothing will ever move the task.
      auto r = tx.exec(
          "SELECT t.id, d.attempts, d.last_error FROM tasks t"
          " JOIN LATERAL (SELECT id, state, attempts, last_error FROM jobs j"
          "   WHERE j.task_key = t.repo || '#' || t.issue || '/agent'"
          "   ORDER BY j.id DESC LIMIT 1) d ON d.state = 'dead'"
          " WHERE t.phase IN ('planning', 'implementing', 'reviewing', 'opening_pr')");
      for (const auto& row : r)
        lost.emplace_back(row[0].as<int64_t>(), "its job failed " + row[1].as<std::string>() +
                                                     " times; the last error: " + row[2].as<std::string>());
    } catch (const std::exception& e) {
      return make_error(std::string("looking for lost tasks: ") + e.what());
    }
    int blocked = 0;
    for (const auto& [task_id, why] : lost) {
      auto loaded = load(task_id);
      if (!loaded) return loaded.error();
      if (!*loaded) continue;
      const Task& t = (*loaded)->task;
      Incoming in;
      in.installation_id = (*loaded)->installation_id;
      in.repo = t.repo;
      in.issue = t.issue;
      if (t.phase == Phase::opening_pr) {
        in.event = workflow::PullRequestFailed{"opening the pull request was given up: " + why};
      } else {
        workflow::TurnFinished f = setup_failed("the turn was given up: " + why);
        f.turn = t.turn;
        f.role = t.turn_role;
        f.now = clock_now();
        in.event = f;
      }
      log.warn("task {}: {}", task_key(t.repo, t.issue), why);
      if (auto applied = apply(in, "", task_id); !applied) return applied.error();
      ++blocked;
    }
    return blocked;
  }

  // --- the pull request -------------------------------------------------------------------
  Result<void> handle_open_pull(const Job& job) {
    auto loaded = job_task(job);
    if (!loaded) return loaded.error();
    if (!*loaded || (*loaded)->task.phase != Phase::opening_pr) return {};
    TaskRow row = std::move(**loaded);
    const Task& t = row.task;
    const auto repo = repo_of(row.installation_id, t.repo);

    Incoming in;
    in.installation_id = row.installation_id;
    in.repo = t.repo;
    in.issue = t.issue;
    auto opened = open_pull(row, repo);
    if (opened) {
      std::visit([&in](auto& e) { in.event = std::move(e); }, *opened);
    } else {
      // Transient trouble is retried by the queue; the last attempt blocks the task.
      if (job.attempts < job.max_attempts) return opened.error();
      in.event = workflow::PullRequestFailed{opened.error().message};
    }
    return apply(in, "", t.id);
  }

  // Commits what is left, pushes and opens the pull request: Opened, or
  // Failed for what retrying cannot mend (work the app refuses to send);
  // an error for trouble worth retrying.
  using PullResult = std::variant<workflow::PullRequestOpened, workflow::PullRequestFailed>;
  Result<PullResult> open_pull(const TaskRow& row, const github::Repo& repo) {
    const Task& t = row.task;
    auto checkout = check_out(row);
    if (!checkout) return checkout.error();
    const GitRemote& remote = checkout->remote;
    const std::string& worktree = checkout->worktree;
    auto cfg = repo_config(repo, row.base_branch);
    if (!cfg) return cfg.error();
    if (!cfg->error.empty()) return make_error(cfg->error);
    if (!cfg->config.plan_commit_path.empty()) {
      std::string path = cfg->config.plan_commit_path;
      if (auto at = path.find("{issue}"); at != std::string::npos)
        path.replace(at, 7, std::to_string(t.issue));
      // Never through a link the agent left in the worktree.
      if (auto w = write_file_beneath(worktree, path, t.document); !w)
        return PullResult(workflow::PullRequestFailed{"plan.commit_path: " + w.error().message});
    }
    auto leak = secret_in_changes(worktree);
    if (!leak) return leak.error();
    if (*leak)
      return PullResult(workflow::PullRequestFailed{
          "`" + **leak + "`: the app does not commit or push a secret it holds"});
    auto sha = workspace.commit_all(worktree, redact("bottega: " + t.title + " (#" + std::to_string(t.issue) + ")"));
    if (!sha) return sha.error();
    if (auto p = workspace.push(worktree, remote, t.branch); !p) return p.error();

    auto existing = gh.find_pull_by_head(repo, t.branch);
    if (!existing) return make_error("finding the pull request: " + existing.error().describe());
    if (*existing && (*existing)->state == "open")
      return PullResult(workflow::PullRequestOpened{(*existing)->number, (*existing)->html_url, t.branch});
    github::NewPullRequest pull;
    pull.title = report::pr_title(t.title);
    pull.head = t.branch;
    pull.base = row.base_branch;
    pull.body = report::render_pr_body(t.issue, report::plan_summary(t.document),
                                       report::todo_section(t.document), "");
    auto created = gh.create_pull(repo, pull);
    if (!created) return make_error("opening the pull request: " + created.error().describe());
    return PullResult(workflow::PullRequestOpened{created->number, created->html_url, t.branch});
  }
};

TaskEngine::TaskEngine(const ServerConfig& config, TaskEngineOptions options, Database& db,
                       github::GitHubClient& github, Workspace& workspace, agents::AgentRunner& runner)
    : impl_(std::make_unique<Impl>(config, std::move(options), db, github, workspace, runner)) {}

TaskEngine::~TaskEngine() = default;

Result<void> TaskEngine::handle_event(const Job& job) { return impl_->handle_event(job); }
Result<void> TaskEngine::handle_turn(const Job& job) { return impl_->handle_turn(job); }
Result<void> TaskEngine::handle_effects(const Job& job) { return impl_->handle_effects(job); }
Result<void> TaskEngine::handle_open_pull(const Job& job) { return impl_->handle_open_pull(job); }

Result<void> TaskEngine::handle_cleanup(const Job& job) { return impl_->handle_cleanup(job); }
Result<int> TaskEngine::block_lost_tasks() { return impl_->block_lost_tasks(); }

void TaskEngine::stop() {
  impl_->stopping = true;
  std::lock_guard lock(impl_->mutex);
  for (auto* p : impl_->processes) p->cancel();
}

}  // namespace bottega
