// Metrics: the process's Prometheus metrics (counters, gauges, histograms
// with labels) and their text exposition (format 0.0.4), served at
// GET /metrics by `serve` and `worker`.
//
// A family is declared once (name, type, help, label names, and buckets for
// a histogram) by the module that owns it; samples are added from anywhere.
// Names follow Prometheus conventions: `bottega_` prefix, base units
// (`_seconds`, `_usd`), counters ending `_total`. Label values must come
// from bounded sets (event names, job kinds, route templates), never from
// issue numbers or free text.
//
// Collectors run just before each rendering, for values that are read
// rather than counted (queue depth from the database).
//
// Thread-safety: every method may be called from any thread. Ownership:
// the registry owns its families; collectors must stay valid until removed.
#pragma once

#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace bottega::metrics {

enum class Type { counter, gauge, histogram };

// Label values in the order of the family's label names.
using LabelValues = std::vector<std::string>;

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // The process's registry.
  static Registry& global();

  // Declares a family (again: no effect). Histogram buckets are upper
  // bounds in ascending order (+Inf is added).
  void declare(std::string name, Type type, std::string help, std::vector<std::string> labels = {},
               std::vector<double> buckets = {});

  // A sample on a declared family; wrong label counts or undeclared names
  // are programming errors and are ignored (a metric must never stop work).
  void add(std::string_view name, const LabelValues& labels, double value = 1);
  void set(std::string_view name, const LabelValues& labels, double value);
  void observe(std::string_view name, const LabelValues& labels, double value);
  // Drops a gauge family's samples (before a collector sets them afresh).
  void clear(std::string_view name);

  // Runs before each render(); returns an id for remove_collector().
  int add_collector(std::function<void(Registry&)> collector);
  void remove_collector(int id);

  // Runs the collectors, then renders every family (declared ones without
  // samples as their HELP and TYPE lines).
  std::string render();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Buckets for durations: 1 ms to 1 h.
std::vector<double> duration_buckets();

// Shorthands on the global registry.
inline void add(std::string_view name, const LabelValues& labels, double value = 1) {
  Registry::global().add(name, labels, value);
}
inline void set(std::string_view name, const LabelValues& labels, double value) {
  Registry::global().set(name, labels, value);
}
inline void observe(std::string_view name, const LabelValues& labels, double value) {
  Registry::global().observe(name, labels, value);
}

}  // namespace bottega::metrics
