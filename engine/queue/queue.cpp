#include "engine/queue/queue.h"

#include <unistd.h>

#include <pqxx/pqxx>

#include "config/base/log.h"

namespace bottega {
namespace {

// Serializes claims across every process, so caps are exact.
constexpr long long kClaimLockKey = 0x626f7474656762;

std::optional<std::string> opt(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<std::string>();
}

Job job_from(const pqxx::row& r) {
  Job j;
  j.id = r["id"].as<int64_t>();
  j.kind = r["kind"].as<std::string>();
  j.task_key = opt(r["task_key"]);
  j.installation_id = r["installation_id"].as<int64_t>();
  j.payload = r["payload"].as<std::string>();
  j.delivery_id = r["delivery_id"].is_null() ? "" : r["delivery_id"].as<std::string>();
  j.attempts = r["attempts"].as<int>();
  j.max_attempts = r["max_attempts"].as<int>();
  j.last_error = r["last_error"].as<std::string>();
  return j;
}

std::string id_array(const std::vector<int64_t>& ids) {
  std::string out = "{";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(ids[i]);
  }
  return out + "}";
}

}  // namespace

std::chrono::milliseconds retry_delay(int attempt, const QueueLimits& limits,
                                      std::mt19937_64& rng) {
  double base = static_cast<double>(limits.backoff_base.count());
  double cap = static_cast<double>(limits.backoff_cap.count());
  double delay = base;
  for (int i = 1; i < attempt && delay < cap; ++i) delay *= 2;
  delay = std::min(delay, cap);
  std::uniform_real_distribution<double> jitter(0.75, 1.25);
  return std::chrono::milliseconds(static_cast<int64_t>(delay * jitter(rng)));
}

void JobQueue::enqueue(pqxx::transaction_base& tx, const JobSpec& job) {
  tx.exec_params(
      "INSERT INTO jobs (kind, task_key, installation_id, payload, delivery_id, max_attempts, "
      "run_at,"
      " host) VALUES ($1, $2, $3, $4, NULLIF($5, ''), $6, now() + $7 * interval '1 millisecond',"
      " NULLIF($8, ''))",
      job.kind, job.task_key ? job.task_key->c_str() : nullptr, job.installation_id, job.payload,
      job.delivery_id, job.max_attempts, static_cast<int64_t>(job.delay.count()), job.host);
  tx.exec_params("SELECT pg_notify($1, '')", kJobsChannel);
}

std::string local_host_name() {
  char host[256] = {0};
  ::gethostname(host, sizeof host - 1);
  return host;
}

Result<void> JobQueue::heartbeat(pqxx::connection& conn, const std::string& host) {
  try {
    pqxx::work tx(conn);
    tx.exec_params(
        "INSERT INTO worker_hosts (host, seen_at) VALUES ($1, now())"
        " ON CONFLICT (host) DO UPDATE SET seen_at = excluded.seen_at",
        host);
    tx.commit();
    return {};
  } catch (const std::exception& e) {
    return make_error(std::string("cannot record this host as alive: ") + e.what());
  }
}

Result<std::optional<Job>> JobQueue::claim(pqxx::connection& conn, const std::string& owner,
                                           const std::string& host) {
  try {
    pqxx::work tx(conn);
    tx.exec_params("SELECT pg_advisory_xact_lock($1)", kClaimLockKey);
    tx.exec(
        "UPDATE jobs SET "
        " state = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'queued' END,"
        " last_error = 'lease expired: worker ' || coalesce(lease_owner, '?') || ' stopped "
        "renewing',"
        " finished_at = CASE WHEN attempts >= max_attempts THEN now() END,"
        " lease_owner = NULL, lease_expires_at = NULL "
        "WHERE state = 'running' AND lease_expires_at < now()");
    auto running = tx.exec1("SELECT count(*) FROM jobs WHERE state = 'running'")[0].as<int>();
    if (running >= limits_.global_running) {
      tx.commit();
      return std::optional<Job>{};
    }
    auto installations = tx.exec_params(
        "SELECT q.installation_id FROM"
        " (SELECT DISTINCT installation_id FROM jobs WHERE state = 'queued' AND run_at <= now()) q"
        " LEFT JOIN (SELECT installation_id, count(*) AS n FROM jobs WHERE state = 'running'"
        "            GROUP BY installation_id) r USING (installation_id)"
        " LEFT JOIN queue_turns t USING (installation_id)"
        " WHERE coalesce(r.n, 0) < $1"
        " ORDER BY coalesce(r.n, 0), t.last_claimed_at NULLS FIRST, q.installation_id",
        limits_.per_installation_running);
    // Kinds at their own cap (agent turns) wait; the others go on.
    std::string full_kinds = "{";
    for (const auto& [kind, cap] : limits_.kind_running) {
      auto n = tx.exec_params1("SELECT count(*) FROM jobs WHERE state = 'running' AND kind = $1",
                               kind)[0]
                   .as<int>();
      if (n >= cap)
        full_kinds += (full_kinds.size() > 1 ? ",\"" : "\"") + kind +
                      "\"";  // our own kind names: no quoting needed
    }
    full_kinds += "}";
    for (const auto& inst : installations) {
      const auto installation_id = inst[0].as<int64_t>();
      auto picked = tx.exec_params(
          "SELECT id FROM jobs j WHERE state = 'queued' AND run_at <= now() AND installation_id = "
          "$1"
          " AND kind <> ALL($2::text[])"
          " AND (j.host IS NULL OR j.host = $3 OR NOT EXISTS"
          "      (SELECT 1 FROM worker_hosts h WHERE h.host = j.host"
          "       AND h.seen_at > now() - 2 * $4 * interval '1 millisecond'))"
          " AND (task_key IS NULL OR NOT EXISTS"
          "      (SELECT 1 FROM jobs r WHERE r.state = 'running' AND r.task_key = j.task_key))"
          " ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED",
          installation_id, full_kinds, host, static_cast<int64_t>(limits_.lease.count()));
      if (picked.empty()) continue;
      auto row = tx.exec_params1(
          "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = $2,"
          " lease_expires_at = now() + $3 * interval '1 millisecond', started_at = now() "
          "WHERE id = $1 RETURNING *,"
          " greatest(extract(epoch FROM clock_timestamp() - run_at), 0)::float8 AS waited_seconds",
          picked[0][0].as<int64_t>(), owner, static_cast<int64_t>(limits_.lease.count()));
      tx.exec_params(
          "INSERT INTO queue_turns (installation_id, last_claimed_at) VALUES ($1, "
          "clock_timestamp())"
          " ON CONFLICT (installation_id) DO UPDATE SET last_claimed_at = excluded.last_claimed_at",
          installation_id);
      Job job = job_from(row);
      job.waited_seconds = row["waited_seconds"].as<double>();
      tx.commit();
      return std::optional<Job>(std::move(job));
    }
    tx.commit();
    return std::optional<Job>{};
  } catch (const std::exception& e) {
    return make_error(std::string("cannot claim a job: ") + e.what());
  }
}

Result<int> JobQueue::renew(pqxx::connection& conn, const std::string& owner,
                            const std::vector<int64_t>& job_ids) {
  if (job_ids.empty()) return 0;
  try {
    pqxx::work tx(conn);
    auto r = tx.exec_params(
        "UPDATE jobs SET lease_expires_at = now() + $3 * interval '1 millisecond' "
        "WHERE id = ANY($1::bigint[]) AND lease_owner = $2 AND state = 'running'",
        id_array(job_ids), owner, static_cast<int64_t>(limits_.lease.count()));
    tx.commit();
    return static_cast<int>(r.affected_rows());
  } catch (const std::exception& e) {
    return make_error(std::string("cannot renew leases: ") + e.what());
  }
}

Result<void> JobQueue::complete(pqxx::connection& conn, const Job& job) {
  try {
    pqxx::work tx(conn);
    auto r = tx.exec_params(
        "UPDATE jobs SET state = 'done', finished_at = now(), lease_owner = NULL,"
        " lease_expires_at = NULL WHERE id = $1 AND state = 'running'",
        job.id);
    // A freed slot or task key may let another job run.
    tx.exec_params("SELECT pg_notify($1, '')", kJobsChannel);
    tx.commit();
    if (r.affected_rows() == 0)
      component_log("queue").warn("job {} was no longer running when it completed", job.id);
    return {};
  } catch (const std::exception& e) {
    return make_error("cannot complete job " + std::to_string(job.id) + ": " + e.what());
  }
}

Result<bool> JobQueue::fail(pqxx::connection& conn, const Job& job, const std::string& error) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const bool dead = job.attempts >= job.max_attempts;
  const auto delay = dead ? std::chrono::milliseconds(0) : retry_delay(job.attempts, limits_, rng);
  try {
    pqxx::work tx(conn);
    tx.exec_params(
        "UPDATE jobs SET state = $2, last_error = $3, lease_owner = NULL, lease_expires_at = NULL,"
        " run_at = now() + $4 * interval '1 millisecond',"
        " finished_at = CASE WHEN $2 = 'dead' THEN now() END "
        "WHERE id = $1 AND state = 'running'",
        job.id, dead ? "dead" : "queued", error, static_cast<int64_t>(delay.count()));
    tx.exec_params("SELECT pg_notify($1, '')", kJobsChannel);
    tx.commit();
    if (dead)
      component_log("queue").error("job {} ({}) dead after {} attempts: {}", job.id, job.kind,
                                   job.attempts, error);
    return dead;
  } catch (const std::exception& e) {
    return make_error("cannot record the failure of job " + std::to_string(job.id) + ": " +
                      e.what());
  }
}

}  // namespace bottega
