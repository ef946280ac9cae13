// The repository config's keys for the workflow's modes
// (spec/repository-config.md): mode, solo.label, product.*,
// limits.max_question_rounds.
#include <gtest/gtest.h>

#include <string>

#include "config/repo_config.h"

namespace bottega {
namespace {

Result<RepoConfig, RepoConfigError> parse(const std::string& yaml) {
  return parse_repo_config(yaml, RepoConfig{});
}

::testing::AssertionResult Fails(const Result<RepoConfig, RepoConfigError>& r,
                                 const std::string& key, const std::string& reason_part, int line) {
  if (r.ok()) return ::testing::AssertionFailure() << "parsed";
  const RepoConfigError& e = r.error();
  if (e.key != key || e.reason.find(reason_part) == std::string::npos || e.line != line)
    return ::testing::AssertionFailure()
           << "got {" << e.key << ", " << e.reason << ", " << e.line << "}";
  return ::testing::AssertionSuccess();
}

TEST(RepoConfigModes, DefaultsAreTheUsualWorkflow) {
  auto c = parse("");
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->solo_mode);
  EXPECT_EQ(c->solo_label, "bottega:solo");
  EXPECT_TRUE(c->product_requesters.empty());
  EXPECT_EQ(c->product_label, "");
  EXPECT_EQ(c->max_question_rounds, 3);
}

TEST(RepoConfigModes, ReadsEveryKey) {
  auto c = parse(
      "mode: solo\nsolo:\n  label: quick\nproduct:\n  requesters: [ana, '@bo-b']\n  label: "
      "from-product\nlimits:\n  max_question_rounds: 0\n");
  ASSERT_TRUE(c.ok()) << c.error().describe();
  EXPECT_TRUE(c->solo_mode);
  EXPECT_EQ(c->solo_label, "quick");
  EXPECT_EQ(c->product_requesters, (std::vector<std::string>{"ana", "bo-b"}));
  EXPECT_EQ(c->product_label, "from-product");
  EXPECT_EQ(c->max_question_rounds, 0);
  EXPECT_FALSE(parse("mode: standard\n")->solo_mode);
  EXPECT_EQ(parse("product:\n  requesters: ana\n")->product_requesters,
            std::vector<std::string>{"ana"});
}

TEST(RepoConfigModes, RefusesBadValuesNamingTheKeyAndLine) {
  EXPECT_TRUE(Fails(parse("mode: duo\n"), "mode", "expected standard or solo", 1));
  EXPECT_TRUE(Fails(parse("limits:\n  max_question_rounds: 11\n"), "limits.max_question_rounds",
                    "from 0 (never ask) to 10", 2));
  EXPECT_TRUE(Fails(parse("solo:\n  label: ''\n"), "solo.label", "expected a label name", 2));
  EXPECT_TRUE(Fails(parse("product:\n  requesters: [acme/product]\n"), "product.requesters",
                    "(teams are not supported yet)", 2));
  EXPECT_TRUE(Fails(parse("product:\n  requesters: [-ana]\n"), "product.requesters",
                    "expected GitHub logins", 2));
  EXPECT_TRUE(Fails(parse("product:\n  requester: [ana]\n"), "product.requester",
                    "did you mean product.requesters?", 2));
  EXPECT_TRUE(Fails(parse("max_question_rounds: 2\n"), "max_question_rounds",
                    "did you mean limits.max_question_rounds?", 1));
}

TEST(RepoConfigModes, RolesRefineTurnsOnTheRefinementPass) {
  auto c = parse("roles:\n  refine: {harness: claude, model: opus}\n");
  ASSERT_TRUE(c.ok()) << c.error().describe();
  EXPECT_EQ(c->roles.at("refine").harness, "claude");
  EXPECT_EQ(parse("")->roles.count("refine"), 0u);
  EXPECT_TRUE(Fails(parse("roles:\n  refiner: {harness: claude, model: opus}\n"), "roles.refiner",
                    "did you mean roles.refine?", 2));
  EXPECT_TRUE(Fails(parse("roles:\n  polisher: {harness: claude, model: opus}\n"), "roles.polisher",
                    "expected plan, implement, review or fix (or refine, the optional "
                    "refinement pass)",
                    2));
}

TEST(RepoConfigModes, TheProductFlowReasonNamesWhy) {
  RepoConfig c;
  c.product_requesters = {"Ana"};
  c.product_label = "from-product";
  EXPECT_EQ(product_flow_reason(c, "ana", {}), "@ana is a listed requester (product.requesters)");
  EXPECT_EQ(product_flow_reason(c, "bob", {"bug", "From-Product"}),
            "the issue carries the label `from-product` (product.label)");
  EXPECT_EQ(product_flow_reason(c, "bob", {"bug"}), "");
  EXPECT_EQ(product_flow_reason(RepoConfig{}, "", {}), "");
}

}  // namespace
}  // namespace bottega
