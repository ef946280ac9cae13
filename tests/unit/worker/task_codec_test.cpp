// The stored form of a task and of its outbox survives a round trip.
#include "engine/worker/task_codec.h"

#include <gtest/gtest.h>

namespace bottega {
namespace {

using namespace workflow;

TEST(TaskCodec, RoundTripsEveryField) {
  Task t;
  t.id = 9;
  t.repo = "acme/widgets";
  t.issue = 3;
  t.title = "Quote \"this\" and\nthat";
  t.phase = Phase::blocked;
  t.resume_phase = Phase::reviewing;
  t.block_cause = BlockCause::iteration_cap;
  t.document = "# doc\n\n## Request\n\n> ünïcode ✓\n";
  t.plan_revision = 2;
  t.plan_revised_at = 1700000000;
  t.approved_revision = 2;
  t.approved_by = "wanda";
  t.guidance = "short";
  t.command_permission = Permission::triage;
  t.approve_permission = Permission::maintain;
  t.max_iterations = 4;
  t.max_cost_usd = 2.5;
  t.turn = 6;
  t.turn_role = Role::review;
  t.iteration = 3;
  t.branch = "bottega/3-quote";
  t.pr_number = 12;
  t.pr_url = "https://x/pull/12";
  t.tokens_in = 1234567890123;
  t.tokens_out = 42;
  t.cost_usd = 1.25;
  t.started_at = 1699999999;
  t.failure_what = "what";
  t.failure_why = "why";
  t.stderr_tail = "tail\n";
  t.notes = {"a", "b"};
  t.refused_users = {"rita"};

  auto back = task_from_json(task_to_json(t));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(task_to_json(*back), task_to_json(t));
  EXPECT_EQ(back->phase, Phase::blocked);
  EXPECT_EQ(back->resume_phase, Phase::reviewing);
  EXPECT_EQ(back->block_cause, BlockCause::iteration_cap);
  EXPECT_EQ(back->approve_permission, Permission::maintain);
  EXPECT_EQ(back->turn_role, Role::review);
  EXPECT_EQ(back->tokens_in, 1234567890123);
  EXPECT_EQ(back->notes, t.notes);
}

// The modes' fields (spec/workflow.md, "Modes"), and their defaults in a
// task stored before them.
TEST(TaskCodec, RoundTripsTheModesFields) {
  Task t;
  t.phase = Phase::awaiting_answers;
  t.turn_role = Role::solo;
  t.solo = true;
  t.product_reason = "@ana is a listed requester";
  t.question_rounds = 2;
  t.solo_by_default = true;
  t.max_question_rounds = 4;
  t.evidence = {"[shot.png](https://b/tasks/1/evidence/2/shot.png)"};
  auto back = task_from_json(task_to_json(t));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(task_to_json(*back), task_to_json(t));
  EXPECT_EQ(back->phase, Phase::awaiting_answers);
  EXPECT_EQ(back->turn_role, Role::solo);
  EXPECT_TRUE(back->solo);
  EXPECT_EQ(back->evidence, t.evidence);

  auto old = task_from_json(R"({"phase":"planning"})");
  ASSERT_TRUE(old.ok());
  EXPECT_FALSE(old->solo);
  EXPECT_EQ(old->max_question_rounds, 3);
  EXPECT_TRUE(old->evidence.empty());
  EXPECT_FALSE(task_from_json(R"({"phase":"planning","solo":"yes"})").ok());
}

TEST(TaskCodec, RejectsAnUnknownPhase) {
  auto r = task_from_json(R"({"phase":"dancing"})");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("dancing"), std::string::npos);
}

TEST(TaskCodec, RejectsAFieldOfTheWrongType) {
  auto r = task_from_json(R"({"phase":"idle","turn":"three"})");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("turn"), std::string::npos);
}

TEST(TaskCodec, OutboxKeepsOnlyGitHubEffectsInOrder) {
  std::vector<Action> actions = {React{5, github::Reaction::eyes},
                                 StartTurn{Role::plan, 1},
                                 Reply{"hi \"there\""},
                                 SyncPlanComment{},
                                 SyncStatus{},
                                 OpenPullRequest{}};
  auto back = effects_from_json(effects_to_json(actions));
  ASSERT_TRUE(back.ok()) << back.error().message;
  ASSERT_EQ(back->size(), 4u);
  EXPECT_EQ(std::get<React>((*back)[0]).comment_id, 5);
  EXPECT_EQ(std::get<Reply>((*back)[1]).text, "hi \"there\"");
  EXPECT_TRUE(std::holds_alternative<SyncPlanComment>((*back)[2]));
  EXPECT_TRUE(std::holds_alternative<SyncStatus>((*back)[3]));
}

TEST(TaskCodec, RejectsAnUnknownOutboxEntry) {
  EXPECT_FALSE(effects_from_json(R"([{"kind":"launch"}])").ok());
  // No reaction stands in for one it does not know (it once became 👎).
  EXPECT_FALSE(effects_from_json(R"([{"kind":"react","comment_id":5,"reaction":"heart"}])").ok());
}

// Outboxes stored by earlier versions decode after an upgrade.
TEST(TaskCodec, AStoredOutboxStillDecodes) {
  auto back = effects_from_json(
      R"([{"kind":"react","comment_id":5,"reaction":"eyes"},{"kind":"react","comment_id":6,"reaction":"-1"},)"
      R"({"kind":"react","comment_id":7,"reaction":"confused"},{"kind":"reply","text":"hi"},)"
      R"({"kind":"sync_plan"},{"kind":"sync_status"}])");
  ASSERT_TRUE(back.ok()) << back.error().message;
  ASSERT_EQ(back->size(), 6u);
  EXPECT_EQ(std::get<React>((*back)[0]).reaction, github::Reaction::eyes);
  EXPECT_EQ(std::get<React>((*back)[1]).reaction, github::Reaction::minus_one);
  EXPECT_EQ(std::get<React>((*back)[2]).reaction, github::Reaction::confused);
  EXPECT_EQ(
      effects_to_json(*back),
      R"([{"kind":"react","comment_id":5,"reaction":"eyes"},{"kind":"react","comment_id":6,"reaction":"-1"},)"
      R"({"kind":"react","comment_id":7,"reaction":"confused"},{"kind":"reply","text":"hi"},)"
      R"({"kind":"sync_plan"},{"kind":"sync_status"}])");
}

}  // namespace
}  // namespace bottega
