// The app's Prometheus metrics: every family declared in one place (so
// GET /metrics lists each one even before it has samples), and the gauges
// read from the database at each scrape (queue depth, dead letters, tasks
// by phase). The families are listed in spec/running.md#metrics.
// Thread-safety: declare_metrics() is idempotent and thread-safe; a
// DatabaseGauges is used by the registry's collector only.
#pragma once

#include <memory>
#include <string>

namespace bottega {

// Declares every family on the global registry (config/base/metrics.h).
void declare_metrics();

// Reads the database's gauges at every render of the global registry while
// it lives. A failed read leaves the gauges out of that scrape (and logs).
class DatabaseGauges {
 public:
  explicit DatabaseGauges(std::string connection_string);
  ~DatabaseGauges();
  DatabaseGauges(const DatabaseGauges&) = delete;
  DatabaseGauges& operator=(const DatabaseGauges&) = delete;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bottega
