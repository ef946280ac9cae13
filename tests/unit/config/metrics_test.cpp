#include "config/base/metrics.h"

#include <gtest/gtest.h>

namespace bottega::metrics {
namespace {

TEST(Metrics, RendersCountersAndGaugesWithEscapedLabels) {
  Registry r;
  r.declare("x_events_total", Type::counter, "Events.\nBy kind.", {"kind"});
  r.declare("x_depth", Type::gauge, "Depth.", {});
  r.add("x_events_total", {"a\"b\\c"});
  r.add("x_events_total", {"a\"b\\c"}, 2);
  r.add("x_events_total", {"plain"}, 0.5);
  r.set("x_depth", {}, 7);
  EXPECT_EQ(r.render(),
            "# HELP x_depth Depth.\n"
            "# TYPE x_depth gauge\n"
            "x_depth 7\n"
            "# HELP x_events_total Events.\\nBy kind.\n"
            "# TYPE x_events_total counter\n"
            "x_events_total{kind=\"a\\\"b\\\\c\"} 3\n"
            "x_events_total{kind=\"plain\"} 0.5\n");
}

TEST(Metrics, HistogramBucketsAreCumulativeWithInf) {
  Registry r;
  r.declare("x_seconds", Type::histogram, "Durations.", {"route"}, {0.1, 1});
  for (double v : {0.05, 0.1, 0.5, 3.0}) r.observe("x_seconds", {"/a"}, v);
  EXPECT_EQ(r.render(),
            "# HELP x_seconds Durations.\n"
            "# TYPE x_seconds histogram\n"
            "x_seconds_bucket{route=\"/a\",le=\"0.1\"} 2\n"
            "x_seconds_bucket{route=\"/a\",le=\"1\"} 3\n"
            "x_seconds_bucket{route=\"/a\",le=\"+Inf\"} 4\n"
            "x_seconds_sum{route=\"/a\"} 3.65\n"
            "x_seconds_count{route=\"/a\"} 4\n");
}

TEST(Metrics, MisuseIsIgnoredNotFatal) {
  Registry r;
  r.declare("x_total", Type::counter, "X.", {"a"});
  r.add("x_total", {});         // wrong label count
  r.add("x_total", {"v"}, -1);  // a counter never goes down
  r.set("x_total", {"v"}, 3);   // not a gauge
  r.add("undeclared_total", {"v"});
  EXPECT_EQ(r.render(), "# HELP x_total X.\n# TYPE x_total counter\n");
}

TEST(Metrics, CollectorsRunBeforeEachRenderAndCanBeRemoved) {
  Registry r;
  r.declare("x_queue", Type::gauge, "Queue.", {"kind"});
  int runs = 0;
  int id = r.add_collector([&](Registry& reg) {
    ++runs;
    reg.clear("x_queue");
    reg.set("x_queue", {"k" + std::to_string(runs)}, runs);
  });
  r.render();
  EXPECT_NE(r.render().find("x_queue{kind=\"k2\"} 2\n"), std::string::npos);
  EXPECT_EQ(r.render().find("kind=\"k2\""), std::string::npos);  // cleared by the third run
  r.remove_collector(id);
  r.render();
  EXPECT_EQ(runs, 3);
}

}  // namespace
}  // namespace bottega::metrics
