// Every example payload of @octokit/webhooks-examples (fetched by
// deploy/test.sh) for the events and actions the app handles decodes.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdlib>
#include <filesystem>
#include <map>

#include "github/webhook/events.h"

namespace bottega {
namespace {

std::string examples_file() {
  const char* dir = std::getenv("BOTTEGA_NPM_DIR");
  if (!dir) return "";
  return std::string(dir) +
         "/webhooks-examples/node_modules/@octokit/webhooks-examples/api.github.com/index.json";
}

TEST(WebhookExamples, EveryHandledExampleDecodes) {
  const auto file = examples_file();
  ASSERT_FALSE(file.empty()) << "BOTTEGA_NPM_DIR is not set: run through ./deploy/test.sh";
  ASSERT_TRUE(std::filesystem::exists(file)) << file << " is missing: npm did not fetch it";
  simdjson::dom::parser parser;
  simdjson::dom::element groups;
  ASSERT_EQ(parser.load(file).get(groups), simdjson::SUCCESS);
  std::map<std::string, int> decoded;
  int failures = 0;
  for (simdjson::dom::element group : simdjson::dom::array(groups)) {
    std::string name{std::string_view(group["name"])};
    bool first = true;
    for (simdjson::dom::element example : simdjson::dom::array(group["examples"])) {
      if (first) {  // an outdated documentation sample
        first = false;
        continue;
      }
      std::string_view action;
      if (example["action"].get(action) != simdjson::SUCCESS) action = "";
      if (!is_handled(name, action)) continue;
      std::string body = simdjson::to_string(example);
      auto event = decode_event(name, body);
      if (!event) {
        ++failures;
        ADD_FAILURE() << name << "." << action << ": " << event.error().message;
        continue;
      }
      EXPECT_EQ(event->name, name);
      EXPECT_EQ(event->action, action);
      ++decoded[name];
    }
  }
  // Each handled event type has examples past the first; all of them count.
  for (const char* name : {"installation", "installation_repositories", "issues", "issue_comment",
                           "pull_request", "pull_request_review", "pull_request_review_comment",
                           "check_suite", "check_run", "workflow_run", "status", "push"})
    EXPECT_GT(decoded[name], 0) << "no example decoded for " << name;
  int total = 0;
  for (auto& [_, n] : decoded) total += n;
  std::printf("decoded %d examples of %zu event types, %d failures\n", total, decoded.size(),
              failures);
}

}  // namespace
}  // namespace bottega
