// The pull request side of a stored task and its new outbox entries survive a
// round trip; a state stored before the PR side existed reads as defaults.
// The fix turn's inputs and outputs: the CI log tail, the agent's answers.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "engine/worker/fix_context.h"
#include "engine/worker/task_codec.h"

namespace bottega {
namespace {

using namespace workflow;
namespace fs = std::filesystem;

TEST(PullSideCodec, RoundTripsThePullRequestSide) {
  Task t;
  t.phase = Phase::fixing;
  t.turn_role = Role::fix;
  t.block_cause = BlockCause::ci_cap;
  auto& p = t.pull;
  p.fixing = FixKind::review;
  Feedback f;
  f.author = "wanda";
  f.review_id = 5;
  f.comment_id = 6;
  f.inline_comment = true;
  f.path = "a.txt";
  f.line = 3;
  f.side = "RIGHT";
  f.diff_hunk = "@@ -1 +1 @@\n-a\n+b";
  f.thread = "@x: earlier\n";
  f.body = "rename \"it\"";
  p.pending = {f};
  p.addressing = {f, f};
  p.reviewer = "wanda";
  p.head_sha = "h1";
  p.checks = "failing";
  p.failing = {FailedCheck{1, "tests", "timed_out", 2},
               FailedCheck{7, "ci/jenkins", "error", 0, true}};
  p.ci_spent_head = "h0";
  p.rerun_head = "h1";
  p.rerun_checks = {8, 9};
  p.passed_checks = {"lint"};
  p.ci_fixes = 2;
  p.max_ci_fixes = 4;
  p.conflict_fixes = 1;
  p.max_conflict_fixes = 5;
  p.base_sha = "b1";
  p.conflicted_files = {"x", "y"};
  p.review_fixes = false;
  p.update_owed = true;
  p.unpushed_sha = "c1";
  p.fix_reviews = 2;
  p.fix_findings = "the test \"still\" fails";
  p.answers = {{6, "Renamed."}, {7, "No: see the plan."}};
  auto back = task_from_json(task_to_json(t));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->phase, Phase::fixing);
  EXPECT_EQ(back->turn_role, Role::fix);
  EXPECT_EQ(back->block_cause, BlockCause::ci_cap);
  const auto& q = back->pull;
  EXPECT_EQ(q.fixing, FixKind::review);
  ASSERT_EQ(q.pending.size(), 1u);
  EXPECT_EQ(q.addressing.size(), 2u);
  EXPECT_EQ(q.pending[0].author, "wanda");
  EXPECT_EQ(q.pending[0].review_id, 5);
  EXPECT_EQ(q.pending[0].comment_id, 6);
  EXPECT_TRUE(q.pending[0].inline_comment);
  EXPECT_EQ(q.pending[0].path, "a.txt");
  EXPECT_EQ(q.pending[0].line, 3);
  EXPECT_EQ(q.pending[0].side, "RIGHT");
  EXPECT_EQ(q.pending[0].diff_hunk, f.diff_hunk);
  EXPECT_EQ(q.pending[0].thread, f.thread);
  EXPECT_EQ(q.pending[0].body, f.body);
  EXPECT_EQ(q.reviewer, "wanda");
  EXPECT_EQ(q.head_sha, "h1");
  EXPECT_EQ(q.checks, "failing");
  ASSERT_EQ(q.failing.size(), 2u);
  EXPECT_FALSE(q.failing[0].commit_status);
  EXPECT_TRUE(q.failing[1].commit_status);
  EXPECT_EQ(q.failing[1].name, "ci/jenkins");
  EXPECT_TRUE(q.update_owed);
  EXPECT_EQ(q.unpushed_sha, "c1");
  EXPECT_EQ(q.fix_reviews, 2);
  EXPECT_EQ(q.fix_findings, p.fix_findings);
  EXPECT_EQ(q.answers, p.answers);
  EXPECT_EQ(q.failing[0].check_run_id, 1);
  EXPECT_EQ(q.failing[0].name, "tests");
  EXPECT_EQ(q.failing[0].conclusion, "timed_out");
  EXPECT_EQ(q.failing[0].workflow_run_id, 2);
  EXPECT_EQ(q.ci_spent_head, "h0");
  EXPECT_EQ(q.rerun_head, "h1");
  EXPECT_EQ(q.rerun_checks, (std::vector<int64_t>{8, 9}));
  EXPECT_EQ(q.passed_checks, std::vector<std::string>{"lint"});
  EXPECT_EQ(q.ci_fixes, 2);
  EXPECT_EQ(q.max_ci_fixes, 4);
  EXPECT_EQ(q.conflict_fixes, 1);
  EXPECT_EQ(q.max_conflict_fixes, 5);
  EXPECT_EQ(q.base_sha, "b1");
  EXPECT_EQ(q.conflicted_files.size(), 2u);
  EXPECT_FALSE(q.review_fixes);
}

TEST(PullSideCodec, AStateWithoutThePullRequestSideReadsAsTheDefaults) {
  auto t = task_from_json(R"({"phase":"pr_open","repo":"a/b"})");
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->pull.max_ci_fixes, 3);
  EXPECT_EQ(t->pull.fixing, FixKind::none);
  EXPECT_TRUE(t->pull.pending.empty());
}

TEST(PullSideCodec, AFieldOfTheWrongTypeIsNamed) {
  auto t = task_from_json(R"({"phase":"pr_open","pull":{"ci_fixes":"two"}})");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message.find("pull.ci_fixes"), std::string::npos);
}

TEST(PullSideCodec, NewOutboxEntriesRoundTrip) {
  std::vector<Action> effects = {Reply{"on the PR", true}, Reply{"on the issue"},
                                 ReplyInThread{77, 5, "Addressed in abc."}, RerunFailedJobs{99}};
  for (const auto& a : effects) EXPECT_TRUE(is_github_effect(a));
  auto back = effects_from_json(effects_to_json(effects));
  ASSERT_TRUE(back.ok()) << back.error().message;
  ASSERT_EQ(back->size(), 4u);
  EXPECT_TRUE(std::get<Reply>((*back)[0]).on_pull);
  EXPECT_FALSE(std::get<Reply>((*back)[1]).on_pull);
  EXPECT_EQ(std::get<ReplyInThread>((*back)[2]).comment_id, 77);
  EXPECT_EQ(std::get<ReplyInThread>((*back)[2]).turn, 5);
  EXPECT_EQ(std::get<ReplyInThread>((*back)[2]).text, "Addressed in abc.");
  EXPECT_EQ(std::get<RerunFailedJobs>((*back)[3]).workflow_run_id, 99);
  EXPECT_FALSE(effects_from_json(R"([{"kind":"thread_reply","comment_id":1}])").ok());
}

TEST(LogTail, KeepsTheLastLinesWithoutTimestampsOrColours) {
  std::string log;
  for (int i = 1; i <= 300; ++i)
    log += "2026-11-27T10:00:00.1234567Z \x1b[31mline " + std::to_string(i) + "\x1b[0m\r\n";
  auto tail = log_tail(log, 200);
  EXPECT_EQ(tail.find("line 100\n"), std::string::npos);
  EXPECT_EQ(tail.rfind("line 101\n", 0), 0u);
  EXPECT_NE(tail.find("line 300\n"), std::string::npos);
  EXPECT_EQ(tail.find("2026-"), std::string::npos);
  EXPECT_EQ(tail.find('\x1b'), std::string::npos);
  EXPECT_EQ(tail.find('\r'), std::string::npos);
}

TEST(LogTail, CutsLongLinesAndToleratesAnything) {
  auto tail = log_tail(std::string(5000, 'x') + "\n", 10);
  EXPECT_LT(tail.size(), 1100u);
  EXPECT_EQ(log_tail("", 10), "");
  EXPECT_EQ(log_tail("no newline", 10), "no newline\n");
  EXPECT_EQ(log_tail("\x1b[", 10), "\n");
  EXPECT_EQ(log_tail("2026-11-27T10:00Z", 10), "2026-11-27T10:00Z\n") << "too short to be one";
}

class FixAnswers : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("fix-answers-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& text) { std::ofstream(dir_ / "replies.json") << text; }
  fs::path dir_;
};

TEST_F(FixAnswers, TakesAnswersForTheCommentsAddressedOnly) {
  write(
      R"({"11":"Renamed.","12":"<!-- bottega:reply 1:2:11 --> sneaky","99":"not asked","x":"y","13":5})");
  std::string problem;
  auto answers = read_fix_answers(dir_.string(), {11, 12, 13}, problem);
  EXPECT_TRUE(problem.empty());
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(answers[0], (std::pair<int64_t, std::string>{11, "Renamed."}));
  EXPECT_EQ(answers[1].second.find("<!--"), std::string::npos) << "no forged markers";
}

TEST_F(FixAnswers, NoFileIsNoAnswersAndABadOneIsAProblem) {
  std::string problem;
  EXPECT_TRUE(read_fix_answers(dir_.string(), {1}, problem).empty());
  EXPECT_TRUE(problem.empty());
  write("not json");
  EXPECT_TRUE(read_fix_answers(dir_.string(), {1}, problem).empty());
  EXPECT_NE(problem.find("replies.json"), std::string::npos);
  fs::remove(dir_ / "replies.json");
  fs::create_symlink("/etc/passwd", dir_ / "replies.json");
  problem.clear();
  EXPECT_TRUE(read_fix_answers(dir_.string(), {1}, problem).empty());
  EXPECT_FALSE(problem.empty()) << "a link is not followed";
}

}  // namespace
}  // namespace bottega
