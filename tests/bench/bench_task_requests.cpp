// bench_task_requests: what one task costs in GitHub requests, and how long
// it takes from the label to the pull request. A one-iteration task
// (label → plan → /approve → implement → review → PR) through the real
// `bottega serve`, the fake GitHub over HTTPS, PostgreSQL, git and the fake
// agent (tests/e2e/workflow_fixture.h), with production's mutation spacing
// (github.mutation_spacing_ms 1000) unless BENCH_SPACING_MS says otherwise.
// An installation gets 5,000 REST requests an hour: this count, not the
// CPU, bounds how many tasks a busy organization runs.
//
//   BOTTEGA_TEST_DATABASE_URL=... build/test/tests/bench/bench_task_requests
//
// Prints the REST requests by method and route (a 304 answered from the
// ETag cache is counted apart: GitHub does not charge it), the git
// requests, and the seconds from the label to the PR. Asserts only that
// the PR came.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "tests/e2e/workflow_steps.h"

namespace bottega::testing {
namespace {

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}

class BenchTask : public Workflow {
 protected:
  // One task from its label to its settled PR; prints what it cost.
  void run_task(const std::string& title);
};

void BenchTask::run_task(const std::string& title) {
  auto& gh = github();
  int issue = open_issue(title, "Please add hello.txt that says hello.");
  ASSERT_TRUE(settle());
  gh.clear_requests();
  const auto labeled = std::chrono::steady_clock::now();
  ASSERT_NO_FATAL_FAILURE(trigger_and_wait_for_plan(issue));
  ASSERT_NO_FATAL_FAILURE(approve(issue));
  ASSERT_TRUE(wait_until([&] { return !pulls_for(issue).empty(); }, "the pull request",
                         std::chrono::seconds(180)));
  const double to_pr =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - labeled).count();
  ASSERT_TRUE(settle(std::chrono::seconds(180)));

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
  std::printf("\n%s: REST requests by route (label → PR, settled):\n", title.c_str());
  for (const auto& [route, n] : by_route) std::printf("  %3d  %s\n", n, route.c_str());
  std::printf(
      "REST requests: %d (%d writes, %d reads); 304 from the ETag cache: %d; git requests: %d\n",
      rest, writes, rest - writes, not_modified, git);
  std::printf("label → PR: %.1f s at %d ms mutation spacing\n", to_pr,
              env_int("BENCH_SPACING_MS", 1000));
}

// The first task of a repository (its labels made, its files read), then a
// second one (what every later task costs).
TEST_F(BenchTask, OneIterationTask) {
  set_config("github.mutation_spacing_ms", std::to_string(env_int("BENCH_SPACING_MS", 1000)));
  ASSERT_NO_FATAL_FAILURE(start_bottega());
  ASSERT_NO_FATAL_FAILURE(run_task("The first task"));
  ASSERT_NO_FATAL_FAILURE(run_task("A later task"));
}

}  // namespace
}  // namespace bottega::testing
