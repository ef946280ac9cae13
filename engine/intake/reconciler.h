// The delivery reconciler. GitHub does not retry a delivery that failed
// (our server down, a timeout, a 5xx); it keeps a log of recent deliveries
// and redelivers one on request. A periodic job lists that log and asks
// for each failed delivery that is not stored here, once per delivery.
// Thread-safety: reconcile_deliveries() uses the connection and API it is
// given; choose_redeliveries() is pure.
#pragma once

#include <cstdint>
#include <pqxx/connection>
#include <set>
#include <string>
#include <vector>

#include "config/base/result.h"
#include "engine/queue/job_kinds.h"

namespace bottega {

// One attempt in GitHub's delivery log (GET /app/hook/deliveries).
struct HookDelivery {
  int64_t id = 0;    // this attempt
  std::string guid;  // the X-GitHub-Delivery value, shared by redeliveries
  std::string event;
  std::string action;
  int status_code = 0;  // what our server answered (0: no answer)
  bool redelivery = false;
};

// The App's delivery log, as the GitHub client offers it.
class HookDeliveryApi {
 public:
  virtual ~HookDeliveryApi() = default;
  // The most recent attempts, newest first, at most `limit`.
  virtual Result<std::vector<HookDelivery>> recent_deliveries(std::size_t limit) = 0;
  // Asks GitHub to deliver attempt `id` again.
  virtual Result<void> redeliver(int64_t id) = 0;
};

// The attempts to redeliver: for each guid not stored, not already asked
// for, and never answered 2xx, its newest attempt; at most `limit`.
std::vector<HookDelivery> choose_redeliveries(const std::vector<HookDelivery>& recent,
                                              const std::set<std::string>& stored,
                                              const std::set<std::string>& requested,
                                              std::size_t limit);

struct ReconcileReport {
  std::size_t listed = 0;
  std::size_t requested = 0;
};

// Lists, chooses, asks for redelivery and records each request.
Result<ReconcileReport> reconcile_deliveries(pqxx::connection& conn, HookDeliveryApi& api,
                                             std::size_t list_limit = 500,
                                             std::size_t redeliver_limit = 50);

// Enqueues a reconcile job unless one is queued or running already.
Result<void> schedule_reconcile(pqxx::connection& conn);

}  // namespace bottega
