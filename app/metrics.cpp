#include "app/metrics.h"

#include <pqxx/pqxx>
#include <set>

#include "config/base/log.h"
#include "config/base/metrics.h"
#include "engine/db/database.h"
#include "engine/intake/routing.h"
#include "engine/worker/task_engine.h"
#include "engine/workflow/workflow.h"

namespace bottega {

void declare_metrics() {
  using metrics::Type;
  auto& r = metrics::Registry::global();
  const auto seconds = metrics::duration_buckets();
  // Webhook intake (app/routes.cpp).
  r.declare("bottega_webhook_deliveries_total", Type::counter,
            "Webhook deliveries with a valid signature, by event and intake outcome.",
            {"event", "outcome"});
  r.declare("bottega_webhook_signature_failures_total", Type::counter,
            "Webhook deliveries refused for a missing or wrong signature.");
  r.declare("bottega_webhook_intake_duration_seconds", Type::histogram,
            "From a signed delivery's arrival to its answer (stored with its jobs, or refused).",
            {}, seconds);
  r.declare("bottega_http_request_duration_seconds", Type::histogram,
            "HTTP requests from their arrival to their answer, by route and status code.",
            {"route", "code"}, seconds);
  // The queue (engine/queue, and the database gauges below).
  r.declare("bottega_queue_depth", Type::gauge, "Jobs waiting in the queue, by kind.", {"kind"});
  r.declare("bottega_queue_claim_latency_seconds", Type::histogram,
            "From a job being ready to run to a worker claiming it, by kind.", {"kind"}, seconds);
  r.declare("bottega_jobs_total", Type::counter,
            "Jobs this process ran, by kind and outcome (done, retried, dead).",
            {"kind", "outcome"});
  r.declare("bottega_queue_dead_letters", Type::gauge,
            "Jobs that used all their attempts and were set aside (dead), in the database.");
  // Agents (engine/agents/transcript_store.cpp).
  r.declare("bottega_agent_runs_total", Type::counter,
            "Agent turns ended, by role, harness, model and outcome.",
            {"role", "harness", "model", "outcome"});
  r.declare("bottega_agent_turn_duration_seconds", Type::histogram,
            "Agent turns' wall-clock durations, by role and harness.", {"role", "harness"},
            seconds);
  r.declare("bottega_agent_tokens_total", Type::counter,
            "Tokens agent turns used, by harness, model and kind (input, cached_input, "
            "cache_write, output).",
            {"harness", "model", "kind"});
  r.declare("bottega_agent_cost_usd_total", Type::counter,
            "What agent turns cost in US dollars, as the CLI or the price table says.",
            {"harness", "model"});
  // Tasks (the database).
  r.declare("bottega_tasks", Type::gauge, "Tasks by workflow phase, in the database.", {"phase"});
  // GitHub (github/client.cpp).
  r.declare("bottega_github_requests_total", Type::counter,
            "Requests to GitHub's REST API, by method, route template and status (none: no "
            "answer).",
            {"method", "route", "code"});
  r.declare("bottega_github_rate_limit_remaining", Type::gauge,
            "GitHub's x-ratelimit-remaining at the last answer, per installation (app: the "
            "App's own JWT requests).",
            {"installation"});
}

struct DatabaseGauges::Impl {
  std::string connection_string;
  std::unique_ptr<pqxx::connection> conn;  // the collector's own, opened on first use
  std::set<std::string> kinds_seen{kGitHubEventJob, kAgentTurnJob, kTaskEffectsJob, kOpenPullJob,
                                   kCleanupJob};
  int collector = 0;

  void collect(metrics::Registry& r) {
    try {
      if (!conn || !conn->is_open()) {
        conn = std::make_unique<pqxx::connection>(connection_string);
        // A scrape must never wait on a lock held elsewhere.
        pqxx::nontransaction(*conn).exec("SET statement_timeout = 2000");
      }
      pqxx::read_transaction tx(*conn);
      auto depth = tx.exec("SELECT kind, count(*) FROM jobs WHERE state = 'queued' GROUP BY kind");
      auto dead = tx.exec1("SELECT count(*) FROM jobs WHERE state = 'dead'");
      auto phases = tx.exec("SELECT phase, count(*) FROM tasks GROUP BY phase");
      tx.commit();
      std::map<std::string, double> by_kind;
      for (const auto& k : kinds_seen) by_kind[k] = 0;
      for (const auto& row : depth) {
        kinds_seen.insert(row[0].as<std::string>());
        by_kind[row[0].as<std::string>()] = row[1].as<double>();
      }
      r.clear("bottega_queue_depth");
      for (const auto& [kind, n] : by_kind) r.set("bottega_queue_depth", {kind}, n);
      r.set("bottega_queue_dead_letters", {}, dead[0].as<double>());
      std::map<std::string, double> by_phase;
      for (auto phase :
           {workflow::Phase::idle, workflow::Phase::planning, workflow::Phase::awaiting_approval,
            workflow::Phase::implementing, workflow::Phase::reviewing, workflow::Phase::opening_pr,
            workflow::Phase::pr_open, workflow::Phase::blocked, workflow::Phase::cancelled,
            workflow::Phase::done})
        by_phase[std::string(workflow::to_string(phase))] = 0;
      for (const auto& row : phases) by_phase[row[0].as<std::string>()] = row[1].as<double>();
      r.clear("bottega_tasks");
      for (const auto& [phase, n] : by_phase) r.set("bottega_tasks", {phase}, n);
    } catch (const std::exception& e) {
      conn.reset();
      component_log("metrics").warn("cannot read the database's gauges: {}",
                                    redact_database_error(e.what(), connection_string));
    }
  }
};

DatabaseGauges::DatabaseGauges(std::string connection_string) : impl_(std::make_unique<Impl>()) {
  impl_->connection_string = std::move(connection_string);
  impl_->collector = metrics::Registry::global().add_collector(
      [impl = impl_.get()](metrics::Registry& r) { impl->collect(r); });
}

DatabaseGauges::~DatabaseGauges() {
  metrics::Registry::global().remove_collector(impl_->collector);
}

}  // namespace bottega
