// GET /metrics through the real `bottega serve` after a whole task (issue to
// pull request): the Prometheus text passes `promtool check metrics`, and
// every family the app declares has samples.
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include "tests/e2e/workflow_steps.h"
#include "tests/support/shell.h"

namespace bottega::testing {
namespace {

// Runs a shell command; its exit status and output (stdout and stderr).
std::pair<int, std::string> shell(const std::string& command) {
  auto r = run_shell(command + " 2>&1");
  return {r.status, r.out};
}

// family name → number of sample lines, from the # TYPE lines and the
// samples (a histogram's _bucket, _sum and _count count for it).
std::map<std::string, int> samples_by_family(const std::string& text) {
  std::map<std::string, int> families;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# TYPE ", 0) == 0) {
      families[line.substr(7, line.find(' ', 7) - 7)];
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    std::string name = line.substr(0, line.find_first_of("{ "));
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      const std::string s = suffix;
      if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0 &&
          families.count(name.substr(0, name.size() - s.size())))
        name = name.substr(0, name.size() - s.size());
    }
    ++families[name];
  }
  return families;
}

TEST_F(Workflow, MetricsAfterATaskPassPromtoolAndEveryFamilyHasSamples) {
  ASSERT_NO_FATAL_FAILURE(start_bottega());
  int issue = open_issue("Add a greeting file", "Please add hello.txt that says hello.");
  ASSERT_NO_FATAL_FAILURE(trigger_and_wait_for_plan(issue));
  ASSERT_NO_FATAL_FAILURE(approve(issue));
  ASSERT_NO_FATAL_FAILURE(expect_pull_request(issue));
  // A delivery with a wrong signature, for the signature failures.
  auto [curl_status, curl_out] = shell(
      "curl -s -o /dev/null -w '%{http_code}' -X POST -H 'X-GitHub-Event: ping' "
      "-H 'X-GitHub-Delivery: m-1' -H 'X-Hub-Signature-256: sha256=00' --data '{}' " +
      base_url() + "/webhooks/github");
  EXPECT_EQ(curl_out, "401");

  const std::string file =
      ::testing::TempDir() + "bottega-metrics-" + std::to_string(port()) + ".txt";
  auto [status, code] =
      shell("curl -s -o " + file + " -w '%{http_code}' " + base_url() + "/metrics");
  ASSERT_EQ(code, "200");
  std::ifstream in(file);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

  auto [lint_status, lint] = shell("promtool check metrics < " + file);
  EXPECT_EQ(lint_status, 0) << "promtool check metrics:\n" << lint << "\n" << text;
  EXPECT_EQ(lint, "") << text;

  const auto families = samples_by_family(text);
  for (const char* family :
       {"bottega_webhook_deliveries_total", "bottega_webhook_signature_failures_total",
        "bottega_webhook_intake_duration_seconds", "bottega_queue_depth",
        "bottega_queue_claim_latency_seconds", "bottega_jobs_total", "bottega_queue_dead_letters",
        "bottega_agent_runs_total", "bottega_agent_turn_duration_seconds",
        "bottega_agent_tokens_total", "bottega_agent_cost_usd_total", "bottega_tasks",
        "bottega_github_requests_total", "bottega_github_rate_limit_remaining",
        "bottega_http_request_duration_seconds"}) {
    auto it = families.find(family);
    ASSERT_NE(it, families.end()) << family << " is missing:\n" << text;
    EXPECT_GT(it->second, 0) << family << " has no samples:\n" << text;
  }
  for (const auto& [family, n] : families) EXPECT_EQ(family.rfind("bottega_", 0), 0u) << family;
  // What the scenario did, as the samples say it.
  EXPECT_NE(text.find("bottega_agent_runs_total{role=\"plan\",harness=\"claude\",model=\"claude-"
                      "sonnet-4-5\",outcome=\"succeeded\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("bottega_tasks{phase=\"pr_open\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("bottega_webhook_signature_failures_total 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("bottega_github_requests_total{method=\"POST\",route=\"/repos/{owner}/{repo}/"
                      "pulls\",code=\"201\"} 1\n"),
            std::string::npos)
      << text;
  // No unbounded label values: no issue number, no delivery id.
  EXPECT_EQ(text.find("m-1"), std::string::npos);
  std::remove(file.c_str());
}

}  // namespace
}  // namespace bottega::testing
