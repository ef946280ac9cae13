#include "config/base/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <mutex>

namespace bottega::metrics {
namespace {

struct Series {
  double value = 0;               // counter, gauge; histogram: the sum
  std::vector<uint64_t> buckets;  // histogram: per bucket (not cumulative)
  uint64_t count = 0;             // histogram
};

struct Family {
  Type type = Type::counter;
  std::string help;
  std::vector<std::string> labels;
  std::vector<double> bounds;
  std::map<LabelValues, Series> series;
};

std::string format_number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  // The shortest text that reads back as the same double.
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : std::string("NaN");
}

// Label values and HELP texts escape backslash and newline (and the quote,
// in label values), as the exposition format asks.
std::string escape(std::string_view text, bool quote) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (c == '"' && quote)
      out += "\\\"";
    else
      out += c;
  }
  return out;
}

std::string label_text(const std::vector<std::string>& names, const LabelValues& values,
                       const std::string& extra = "") {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < values.size(); ++i) {
    out += out.empty() ? "" : ",";
    out += names[i] + "=\"" + escape(values[i], true) + "\"";
  }
  if (!extra.empty()) out += (out.empty() ? "" : ",") + extra;
  return out.empty() ? "" : "{" + out + "}";
}

const char* type_name(Type t) {
  switch (t) {
    case Type::counter:
      return "counter";
    case Type::gauge:
      return "gauge";
    case Type::histogram:
      return "histogram";
  }
  return "untyped";
}

}  // namespace

struct Registry::Impl {
  std::mutex mutex;
  std::map<std::string, Family, std::less<>> families;
  std::mutex collectors_mutex;  // held while collectors run; never with `mutex`
  std::map<int, std::function<void(Registry&)>> collectors;
  int next_collector = 1;

  // The series of a family of this type, or null. Caller holds mutex.
  Series* series(std::string_view name, Type type, const LabelValues& labels) {
    auto it = families.find(name);
    if (it == families.end() || it->second.type != type ||
        labels.size() != it->second.labels.size())
      return nullptr;
    Series& s = it->second.series[labels];
    if (type == Type::histogram && s.buckets.empty()) s.buckets.assign(it->second.bounds.size(), 0);
    return &s;
  }
};

Registry::Registry() : impl_(std::make_unique<Impl>()) {}
Registry::~Registry() = default;

Registry& Registry::global() {
  static Registry registry;
  return registry;
}

void Registry::declare(std::string name, Type type, std::string help,
                       std::vector<std::string> labels, std::vector<double> buckets) {
  std::lock_guard lock(impl_->mutex);
  if (impl_->families.count(name)) return;
  Family f;
  f.type = type;
  f.help = std::move(help);
  f.labels = std::move(labels);
  f.bounds = std::move(buckets);
  std::sort(f.bounds.begin(), f.bounds.end());
  impl_->families.emplace(std::move(name), std::move(f));
}

void Registry::add(std::string_view name, const LabelValues& labels, double value) {
  if (!(value >= 0)) return;  // a counter never goes down (NaN neither)
  std::lock_guard lock(impl_->mutex);
  if (auto* s = impl_->series(name, Type::counter, labels)) s->value += value;
}

void Registry::set(std::string_view name, const LabelValues& labels, double value) {
  std::lock_guard lock(impl_->mutex);
  if (auto* s = impl_->series(name, Type::gauge, labels)) s->value = value;
}

void Registry::observe(std::string_view name, const LabelValues& labels, double value) {
  std::lock_guard lock(impl_->mutex);
  auto it = impl_->families.find(name);
  if (it == impl_->families.end()) return;
  auto* s = impl_->series(name, Type::histogram, labels);
  if (!s) return;
  const auto& bounds = it->second.bounds;
  auto b = std::lower_bound(bounds.begin(), bounds.end(), value);
  if (b != bounds.end()) ++s->buckets[static_cast<std::size_t>(b - bounds.begin())];
  s->value += value;
  ++s->count;
}

void Registry::clear(std::string_view name) {
  std::lock_guard lock(impl_->mutex);
  if (auto it = impl_->families.find(name); it != impl_->families.end()) it->second.series.clear();
}

int Registry::add_collector(std::function<void(Registry&)> collector) {
  std::lock_guard lock(impl_->collectors_mutex);
  int id = impl_->next_collector++;
  impl_->collectors.emplace(id, std::move(collector));
  return id;
}

void Registry::remove_collector(int id) {
  std::lock_guard lock(impl_->collectors_mutex);
  impl_->collectors.erase(id);
}

std::string Registry::render() {
  {
    std::lock_guard lock(impl_->collectors_mutex);
    for (auto& [id, collect] : impl_->collectors) collect(*this);
  }
  std::lock_guard lock(impl_->mutex);
  std::string out;
  for (const auto& [name, f] : impl_->families) {
    out += "# HELP " + name + " " + escape(f.help, false) + "\n";
    out += "# TYPE " + name + " " + type_name(f.type) + "\n";
    for (const auto& [labels, s] : f.series) {
      if (f.type != Type::histogram) {
        out += name + label_text(f.labels, labels) + " " + format_number(s.value) + "\n";
        continue;
      }
      uint64_t cumulative = 0;
      for (std::size_t i = 0; i < f.bounds.size(); ++i) {
        cumulative += s.buckets[i];
        out += name + "_bucket" +
               label_text(f.labels, labels, "le=\"" + format_number(f.bounds[i]) + "\"") + " " +
               std::to_string(cumulative) + "\n";
      }
      out += name + "_bucket" + label_text(f.labels, labels, "le=\"+Inf\"") + " " +
             std::to_string(s.count) + "\n";
      out += name + "_sum" + label_text(f.labels, labels) + " " + format_number(s.value) + "\n";
      out += name + "_count" + label_text(f.labels, labels) + " " + std::to_string(s.count) + "\n";
    }
  }
  return out;
}

std::vector<double> duration_buckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,  1,
          2.5,   5,      10,    30,   60,    120,  300, 600,  1800, 3600};
}

}  // namespace bottega::metrics
