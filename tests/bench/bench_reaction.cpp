// bench_reaction: how soon an accepted command gets its 👀 (the workflow
// promises it within a second of the webhook). The real `bottega serve`,
// the fake GitHub over HTTPS and PostgreSQL, through the e2e test bed
// (tests/e2e/workflow_fixture.h), with production's mutation spacing
// (github.mutation_spacing_ms 1000) unless BENCH_SPACING_MS says otherwise.
//
// Two figures, each from the comment being posted on the fake GitHub to the
// reaction's request reaching it:
//   - one at a time: a `/status` comment, then wait until the app is idle
//     (BENCH_COMMANDS of them, default 20);
//   - a burst: BENCH_BURST `/status` comments on as many issues at once
//     (default 10). Every command also refreshes its status comment and
//     replies, and one installation's mutations are spaced, so a burst
//     queues behind them: this figure shows how much.
//
//   BOTTEGA_TEST_DATABASE_URL=... build/wf/tests/bench/bench_reaction
//
// It prints figures and asserts only that every reaction came.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tests/e2e/workflow_fixture.h"

namespace bottega::testing {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}

class BenchReaction : public WorkflowFixture {
 protected:
  // When the app's reaction on `comment_id` reached the fake GitHub.
  std::optional<Clock::time_point> reacted_at(int64_t comment_id) {
    const std::string path =
        "/repos/acme/widgets/issues/comments/" + std::to_string(comment_id) + "/reactions";
    for (const auto& r : github().requests())
      if (r.method == "POST" && r.path == path && r.status / 100 == 2) return r.at;
    return std::nullopt;
  }

  static void print(const char* what, std::vector<double> ms) {
    std::sort(ms.begin(), ms.end());
    auto at = [&](double q) { return ms[std::min(ms.size() - 1, std::size_t(q * ms.size()))]; };
    std::printf("%-34s n=%-3zu p50 %7.1f ms  p90 %7.1f ms  max %7.1f ms\n", what, ms.size(),
                at(0.5), at(0.9), ms.back());
  }
};

TEST_F(BenchReaction, CommandToEyes) {
  const int commands = env_int("BENCH_COMMANDS", 20), burst = env_int("BENCH_BURST", 10);
  set_config("github.mutation_spacing_ms", std::to_string(env_int("BENCH_SPACING_MS", 1000)));
  ASSERT_NO_FATAL_FAILURE(start_bottega());

  std::vector<double> single;
  int issue = open_issue("Where does it stand?");
  for (int i = 0; i < commands; ++i) {
    auto posted = Clock::now();
    int64_t id = comment(issue, kWriter, "/status");
    ASSERT_TRUE(wait_until([&] { return reacted_at(id).has_value(); }, "the 👀 on a /status"));
    single.push_back(std::chrono::duration<double, std::milli>(*reacted_at(id) - posted).count());
    ASSERT_TRUE(settle());
  }

  std::vector<int> issues;
  for (int i = 0; i < burst; ++i) issues.push_back(open_issue("Burst " + std::to_string(i)));
  ASSERT_TRUE(settle());
  std::vector<std::pair<int64_t, Clock::time_point>> posted;
  for (int n : issues) {
    auto at = Clock::now();
    posted.emplace_back(comment(n, kWriter, "/status"), at);
  }
  std::vector<double> bursty;
  for (auto& [id, at] : posted) {
    ASSERT_TRUE(wait_until([&] { return reacted_at(id).has_value(); }, "the 👀 in a burst"));
    bursty.push_back(std::chrono::duration<double, std::milli>(*reacted_at(id) - at).count());
  }

  print("one command at a time:", single);
  print(("a burst of " + std::to_string(burst) + " commands:").c_str(), bursty);
}

}  // namespace
}  // namespace bottega::testing
