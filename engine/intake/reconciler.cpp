#include "engine/intake/reconciler.h"

#include <map>
#include <pqxx/pqxx>

#include "config/base/log.h"
#include "engine/queue/queue.h"

namespace bottega {

std::vector<HookDelivery> choose_redeliveries(const std::vector<HookDelivery>& recent,
                                              const std::set<std::string>& stored,
                                              const std::set<std::string>& requested,
                                              std::size_t limit) {
  std::set<std::string> answered;
  for (const auto& d : recent)
    if (d.status_code >= 200 && d.status_code < 300) answered.insert(d.guid);
  std::vector<HookDelivery> chosen;
  std::set<std::string> taken;
  for (const auto& d : recent) {  // newest first: the first attempt seen per guid is the newest
    if (chosen.size() >= limit) break;
    if (d.guid.empty() || stored.count(d.guid) || requested.count(d.guid) ||
        answered.count(d.guid) || !taken.insert(d.guid).second)
      continue;
    chosen.push_back(d);
  }
  return chosen;
}

Result<ReconcileReport> reconcile_deliveries(pqxx::connection& conn, HookDeliveryApi& api,
                                             std::size_t list_limit, std::size_t redeliver_limit) {
  auto& log = component_log("reconciler");
  auto recent = api.recent_deliveries(list_limit);
  if (!recent) return make_error("cannot list the App's deliveries: " + recent.error().message);
  ReconcileReport report;
  report.listed = recent->size();
  if (recent->empty()) return report;

  std::set<std::string> stored, requested;
  try {
    std::string guids = "{";
    for (std::size_t i = 0; i < recent->size(); ++i) {
      const auto& g = (*recent)[i].guid;
      if (g.find_first_of("{},\"\\ ") != std::string::npos) continue;  // not a GitHub guid
      guids += (guids.size() > 1 ? "," : "") + g;
    }
    guids += "}";
    pqxx::nontransaction tx(conn);
    for (const auto& row : tx.exec_params(
             "SELECT delivery_id FROM deliveries WHERE delivery_id = ANY($1::text[])", guids))
      stored.insert(row[0].as<std::string>());
    for (const auto& row :
         tx.exec_params("SELECT guid FROM redelivery_requests WHERE guid = ANY($1::text[])", guids))
      requested.insert(row[0].as<std::string>());
  } catch (const std::exception& e) {
    return make_error(std::string("cannot read stored deliveries: ") + e.what());
  }

  for (const auto& d : choose_redeliveries(*recent, stored, requested, redeliver_limit)) {
    if (auto r = api.redeliver(d.id); !r) {
      log.warn("redelivery of {} ({}) failed: {}", d.guid, d.event, r.error().message);
      continue;
    }
    try {
      pqxx::work tx(conn);
      tx.exec_params(
          "INSERT INTO redelivery_requests (guid, github_id) VALUES ($1, $2) ON CONFLICT DO "
          "NOTHING",
          d.guid, d.id);
      tx.commit();
    } catch (const std::exception& e) {
      return make_error(std::string("cannot record a redelivery request: ") + e.what());
    }
    ++report.requested;
    log.info("asked GitHub to redeliver {} ({}, answered {})", d.guid, d.event, d.status_code);
  }
  return report;
}

Result<void> schedule_reconcile(pqxx::connection& conn) {
  try {
    pqxx::work tx(conn);
    auto r = tx.exec_params(
        "INSERT INTO jobs (kind, task_key, max_attempts) SELECT $1, $1, 3 "
        "WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE kind = $1 AND state IN ('queued', 'running'))",
        kReconcileJob);
    if (r.affected_rows() > 0) tx.exec_params("SELECT pg_notify($1, '')", kJobsChannel);
    tx.commit();
    return {};
  } catch (const std::exception& e) {
    return make_error(std::string("cannot schedule the reconciler: ") + e.what());
  }
}

}  // namespace bottega
