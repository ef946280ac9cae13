// bench_shepherd: how fast a failing check reaches the fix agent, and what
// shepherding a pull request costs in GitHub requests. A task is taken to
// its open PR through the real `bottega serve`, the fake GitHub over HTTPS,
// PostgreSQL, git and the fake agent (tests/e2e/workflow_fixture.h); then,
// BENCH_ROUNDS times (default 10, at most 20), a failing check is added on
// the PR's head and the fix turn's agent run is awaited (it pushes a fix,
// which the next round's check fails on).
//
//   BOTTEGA_TEST_DATABASE_URL=... build/test/tests/bench/bench_shepherd
//
// Prints the time from the check's webhook being sent to the fix turn's
// agent run starting (agent_runs.started_at, taken right before the agent
// process is spawned): p50 and p99 over the rounds; and the REST requests
// the shepherded rounds spent, by method and route (a 304 from the ETag
// cache apart). Mutation spacing is production's (1000 ms) unless
// BENCH_SPACING_MS says otherwise. Asserts only that every turn came.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "tests/e2e/workflow_steps.h"

namespace bottega::testing {
namespace {

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto at = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(at, v.size() - 1)];
}

class BenchShepherd : public Workflow {};

TEST_F(BenchShepherd, FailingCheckToFixTurn) {
  const int rounds = std::clamp(env_int("BENCH_ROUNDS", 10), 1, 20);
  set_config("github.mutation_spacing_ms", std::to_string(env_int("BENCH_SPACING_MS", 1000)));
  ASSERT_TRUE(github()
                  .commit_files(kOwner, kRepo, "main",
                                {{".github/bottega.yml", "limits:\n  max_ci_fixes: 20\n"}},
                                "allow 20 CI fixes")
                  .ok());
  ASSERT_NO_FATAL_FAILURE(start_bottega());
  int issue = open_issue("Add a greeting file", "Please add hello.txt that says hello.");
  ASSERT_NO_FATAL_FAILURE(trigger_and_wait_for_plan(issue));
  ASSERT_NO_FATAL_FAILURE(approve(issue));
  ASSERT_NO_FATAL_FAILURE(expect_pull_request(issue));
  const int pr = pulls_for(issue)[0].number;
  ASSERT_TRUE(settle());
  auto& gh = github();
  gh.clear_requests();

  std::vector<double> latencies;
  for (int i = 1; i <= rounds; ++i) {
    write_scenario("fix",
                   {"write fix.txt round " + std::to_string(i), "signal ready", "result ok fixed"});
    const std::string head = gh.pull(kOwner, kRepo, pr)->head_sha;
    const auto runs_before = count("SELECT count(*) FROM agent_runs WHERE role = 'fix'");
    const double sent =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    gh.add_check_run(kOwner, kRepo, head, "tests", "failure", "FAIL round " + std::to_string(i));
    ASSERT_TRUE(wait_until(
        [&] { return count("SELECT count(*) FROM agent_runs WHERE role = 'fix'") > runs_before; },
        "fix turn " + std::to_string(i) + " starting", std::chrono::seconds(120)));
    auto started = query(
        "SELECT extract(epoch FROM started_at)::float8 FROM agent_runs WHERE role = 'fix'"
        " ORDER BY id DESC LIMIT 1");
    latencies.push_back(started[0][0].as<double>() - sent);
    ASSERT_TRUE(wait_until([&] { return gh.pull(kOwner, kRepo, pr)->head_sha != head; },
                           "fix " + std::to_string(i) + " pushed", std::chrono::seconds(120)));
    ASSERT_TRUE(settle());
  }

  std::map<std::string, int> by_route;
  int rest = 0, writes = 0, not_modified = 0, git = 0;
  for (const auto& r : gh.requests()) {
    if (r.route.empty() || r.path.find(".git/") != std::string::npos) {
      ++git;
      continue;
    }
    if (r.status == 304) {
      ++not_modified;
      continue;
    }
    ++rest;
    writes += r.method != "GET";
    ++by_route[r.method + " " + r.route + " " + std::to_string(r.status)];
  }
  std::printf("\nfailing check's webhook → fix turn's agent starting, %d rounds:\n", rounds);
  std::printf("  p50 %.0f ms   p99 %.0f ms   (min %.0f, max %.0f)\n",
              1000 * percentile(latencies, 0.50), 1000 * percentile(latencies, 0.99),
              1000 * *std::min_element(latencies.begin(), latencies.end()),
              1000 * *std::max_element(latencies.begin(), latencies.end()));
  std::printf("\nREST requests of the %d shepherded rounds (check → fix → push → settled):\n",
              rounds);
  for (const auto& [route, n] : by_route) std::printf("  %3d  %s\n", n, route.c_str());
  std::printf(
      "REST requests: %d (%d writes, %d reads), %.1f per round; 304 from the ETag cache: %d; "
      "git requests: %d\n",
      rest, writes, rest - writes, static_cast<double>(rest) / rounds, not_modified, git);
}

}  // namespace
}  // namespace bottega::testing
