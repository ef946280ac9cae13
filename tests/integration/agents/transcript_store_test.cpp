// The transcript store on the real PostgreSQL server (deploy/test.sh).
#include "engine/agents/transcript_store.h"

#include <gtest/gtest.h>

#include <chrono>
#include <limits>
#include <pqxx/pqxx>
#include <thread>

#include "config/base/redactor.h"
#include "engine/db/database.h"
#include "engine/db/migrations.h"
#include "tests/support/postgres_fixture.h"

namespace bottega::agents {
namespace {

class FixedClock final : public Clock {
 public:
  time_point now() const override { return t; }
  std::chrono::steady_clock::time_point steady_now() const override {
    return std::chrono::steady_clock::now();
  }
  time_point t = std::chrono::system_clock::time_point(std::chrono::seconds(1763700000));
};

class TranscriptStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(tdb_.connection_string().empty());
    pqxx::connection conn(tdb_.connection_string());
    auto applied = apply_migrations(conn, builtin_migrations());
    ASSERT_TRUE(applied) << applied.error().message;
    db_ = std::make_unique<Database>(tdb_.connection_string(), 4);
    store_ = std::make_unique<TranscriptStore>(*db_, clock_);
  }

  int64_t begin(const std::string& harness = "codex", const std::string& model = "gpt-5") {
    auto id = store_->begin_run({42, "implement", harness, model, "high"});
    EXPECT_TRUE(id) << (id ? "" : id.error().message);
    return id ? *id : 0;
  }

  std::string scalar(const std::string& sql) {
    pqxx::connection conn(tdb_.connection_string());
    pqxx::read_transaction tx(conn);
    auto r = tx.exec(sql);
    return r[0][0].is_null() ? "NULL" : r[0][0].c_str();
  }

  testing::TestDatabase tdb_;
  FixedClock clock_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<TranscriptStore> store_;
};

TEST_F(TranscriptStoreTest, RecordsARunFromStartToEnd) {
  int64_t id = begin();
  auto row = store_->run(id);
  ASSERT_TRUE(row) << row.error().message;
  EXPECT_EQ(row->status, "running");
  EXPECT_FALSE(row->ended);
  EXPECT_EQ(scalar("SELECT started_at = '2025-11-21 04:40:00+00' FROM agent_runs"), "t");

  clock_.t += std::chrono::seconds(90);
  Outcome o;
  o.kind = OutcomeKind::crashed;
  o.message = "exited with status 2";
  o.exit_code = 2;
  o.session_id = "thread-1";
  o.stderr_tail = "error: bad flag\n";
  o.usage.input_tokens = 100;
  o.usage.cached_input_tokens = 2000;
  o.usage.output_tokens = 50;
  o.usage.reasoning_tokens = 7;
  o.usage.cost_usd = 0.0123456;
  ASSERT_TRUE(store_->finish_run(id, o));
  row = store_->run(id);
  ASSERT_TRUE(row);
  EXPECT_EQ(row->harness, "codex");
  EXPECT_EQ(row->model, "gpt-5");
  EXPECT_EQ(row->effort, "high");
  EXPECT_EQ(row->status, "crashed");
  EXPECT_EQ(row->message, "exited with status 2");
  EXPECT_EQ(row->exit_code, 2);
  EXPECT_EQ(row->session_id, "thread-1");
  EXPECT_EQ(row->stderr_tail, "error: bad flag\n");
  EXPECT_EQ(row->usage.cached_input_tokens, 2000);
  EXPECT_EQ(row->usage.reasoning_tokens, 7);
  ASSERT_TRUE(row->usage.cost_usd);
  EXPECT_NEAR(*row->usage.cost_usd, 0.012346, 1e-9);
  EXPECT_TRUE(row->ended);
  EXPECT_EQ(scalar("SELECT ended_at - started_at FROM agent_runs"), "00:01:30");
  EXPECT_EQ(scalar("SELECT task_id FROM agent_runs"), "42");
}

TEST_F(TranscriptStoreTest, UnknownCostAndExitCodeStayNull) {
  int64_t id = begin();
  Outcome o;
  o.kind = OutcomeKind::cancelled;
  ASSERT_TRUE(store_->finish_run(id, o));
  EXPECT_EQ(scalar("SELECT cost_usd FROM agent_runs"), "NULL");
  EXPECT_EQ(scalar("SELECT exit_code FROM agent_runs"), "NULL");
  EXPECT_EQ(scalar("SELECT session_id FROM agent_runs"), "NULL");
  EXPECT_FALSE(store_->finish_run(id + 1000, o));
}

TEST_F(TranscriptStoreTest, TheWriterPersistsEveryEventInOrderAsJson) {
  int64_t id = begin();
  {
    TranscriptWriter writer(*store_, id, {std::chrono::milliseconds(50), 100, 1000});
    for (int i = 0; i < 1234; ++i) {
      Event e;
      e.kind = i % 2 ? EventKind::assistant : EventKind::tool_result;
      e.text = "line " + std::to_string(i) + " with \"quotes\", a tab\t, \\ and \u00e9";
      e.exit_code = i;
      writer.on_event(e);
    }
    ASSERT_TRUE(writer.close());
    EXPECT_EQ(writer.written(), 1234u);
  }
  auto events = store_->events(id);
  ASSERT_TRUE(events) << events.error().message;
  ASSERT_EQ(events->size(), 1234u);
  for (int i = 0; i < 1234; ++i) {
    EXPECT_EQ((*events)[i].seq, i);
    EXPECT_EQ((*events)[i].kind, i % 2 ? EventKind::assistant : EventKind::tool_result);
  }
  EXPECT_EQ(scalar("SELECT data->>'text' FROM agent_events WHERE seq = 7"),
            "line 7 with \"quotes\", a tab\t, \\ and \u00e9");
  EXPECT_EQ(scalar("SELECT (data->>'exit_code')::int FROM agent_events WHERE seq = 1233"), "1233");
}

TEST_F(TranscriptStoreTest, ASmallQueueOnlySlowsTheRunDown) {
  int64_t id = begin();
  TranscriptWriterOptions o;
  o.flush_interval = std::chrono::milliseconds(5);
  o.max_batch = 10;
  o.max_pending = 20;
  o.max_pending_bytes = 2000;  // a few events' worth: on_event must wait for the writer
  TranscriptWriter writer(*store_, id, o);
  Event e;
  e.kind = EventKind::assistant;
  e.text = std::string(300, 'z');
  for (int i = 0; i < 300; ++i) writer.on_event(e);
  ASSERT_TRUE(writer.close());
  EXPECT_EQ(writer.written(), 300u);
  EXPECT_EQ(scalar("SELECT count(*) FROM agent_events"), "300");
  EXPECT_EQ(scalar("SELECT max(seq) FROM agent_events"), "299");
}

TEST_F(TranscriptStoreTest, TheWriterFlushesWhileTheRunIsStillGoing) {
  int64_t id = begin();
  TranscriptWriter writer(*store_, id);  // default interval: 100 ms
  Event e;
  e.kind = EventKind::assistant;
  e.text = "first";
  writer.on_event(e);
  // No close(): the periodic flush must bring it to the table on its own.
  std::string count = "0";
  for (int i = 0; i < 200 && count == "0"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    count = scalar("SELECT count(*) FROM agent_events WHERE run_id = " + std::to_string(id));
  }
  EXPECT_EQ(count, "1");
  ASSERT_TRUE(writer.close());
}

TEST_F(TranscriptStoreTest, AFailedBatchIsReportedByClose) {
  int64_t id = begin();
  TranscriptWriter writer(*store_, id + 999);  // no such run: the foreign key refuses
  Event e;
  writer.on_event(e);
  auto closed = writer.close();
  ASSERT_FALSE(closed);
  EXPECT_NE(closed.error().message.find("cannot append events"), std::string::npos);
}

TEST_F(TranscriptStoreTest, ACodexSessionsUsageIsTheSumOfItsTurns) {
  for (int turn = 0; turn < 2; ++turn) {
    int64_t id = begin("codex");
    Outcome o;
    o.kind = OutcomeKind::succeeded;
    o.session_id = "thread-7";
    o.usage.input_tokens = 100 + turn;
    o.usage.output_tokens = 10;
    ASSERT_TRUE(store_->finish_run(id, o));
  }
  auto u = store_->session_usage("codex", "thread-7");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->input_tokens, 201);
  EXPECT_EQ(u->output_tokens, 20);
  EXPECT_EQ(store_->session_usage("codex", "other")->input_tokens, 0);
}

TEST_F(TranscriptStoreTest, StoredTextHasEveryRegisteredSecretRedacted) {
  const std::string key = R"(sk-transcript-"leak"-0042)";
  register_secret(key, "harnesses.codex.api_key");
  int64_t id = begin();
  {
    TranscriptWriter writer(*store_, id, {std::chrono::milliseconds(20), 100, 1000});
    Event said;
    said.kind = EventKind::assistant;
    said.text = "the key is " + key + "!";
    writer.on_event(said);
    Event tool;
    tool.kind = EventKind::tool_use;
    tool.tool = "Bash";
    tool.input = R"({"command":"echo sk-transcript-\"leak\"-0042"})";
    writer.on_event(tool);
    ASSERT_TRUE(writer.close());
  }
  // A caller of append() that built its own JSON is covered too.
  ASSERT_TRUE(store_->append(
      id, {{2, EventKind::system, R"({"kind":"system","text":"sk-transcript-\"leak\"-0042"})"}}));
  Outcome o;
  o.kind = OutcomeKind::crashed;
  o.message = "crashed printing " + key;
  o.stderr_tail = "env: KEY=" + key + "\n";
  ASSERT_TRUE(store_->finish_run(id, o));
  unregister_secret(key);

  EXPECT_EQ(scalar("SELECT data->>'text' FROM agent_events WHERE seq = 0"),
            "the key is [REDACTED]!");
  EXPECT_EQ(scalar("SELECT data->>'input' FROM agent_events WHERE seq = 1"),
            R"({"command":"echo [REDACTED]"})");
  EXPECT_EQ(scalar("SELECT data->>'text' FROM agent_events WHERE seq = 2"), "[REDACTED]");
  auto row = store_->run(id);
  ASSERT_TRUE(row) << row.error().message;
  EXPECT_EQ(row->message, "crashed printing [REDACTED]");
  EXPECT_EQ(row->stderr_tail, "env: KEY=[REDACTED]\n");
}

// ---- One bad row never costs the good ones (issue 11) ----

TEST_F(TranscriptStoreTest, OneEventOfInvalidUtf8AmongFiveThousandCostsNothing) {
  int64_t id = begin();
  {
    TranscriptWriter writer(*store_, id, {std::chrono::milliseconds(50), 5000, 100000});
    for (int i = 0; i < 5000; ++i) {
      Event e;
      e.kind = EventKind::tool_result;
      e.text = "output " + std::to_string(i);
      if (i == 2500) {
        e.text = std::string("bad \xFF\xFE bytes, a cut \xE2\x82 and a NUL ") + '\0' + " here";
        e.input = "\xC3";
      }
      writer.on_event(e);
    }
    ASSERT_TRUE(writer.close());
    EXPECT_EQ(writer.written(), 5000u);
  }
  EXPECT_EQ(scalar("SELECT count(*) FROM agent_events WHERE run_id = " + std::to_string(id)),
            "5000");
  EXPECT_EQ(scalar("SELECT data->>'text' FROM agent_events WHERE seq = 2500"),
            "bad \xEF\xBF\xBD\xEF\xBF\xBD bytes, a cut \xEF\xBF\xBD and a NUL \xEF\xBF\xBD here");
  EXPECT_EQ(scalar("SELECT data->>'text' FROM agent_events WHERE seq = 4999"), "output 4999");
}

TEST_F(TranscriptStoreTest, JsonBuiltElsewhereWithANulEscapeOrBadBytesIsStored) {
  int64_t id = begin();
  ASSERT_TRUE(store_->append(id, {{0, EventKind::system, R"({"text":"a\u0000b"})"},
                                  {1, EventKind::system, "{\"text\":\"c\xFF\"}"},
                                  {2, EventKind::system, R"({"text":"not a NUL: \\u0000"})"}}));
  EXPECT_EQ(scalar("SELECT data->>'text' FROM agent_events WHERE seq = 0"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(scalar("SELECT data->>'text' FROM agent_events WHERE seq = 1"), "c\xEF\xBF\xBD");
  EXPECT_EQ(scalar("SELECT data->>'text' FROM agent_events WHERE seq = 2"), "not a NUL: \\u0000");
}

TEST_F(TranscriptStoreTest, ABatchTheDatabaseRefusesIsStoredRowByRowAroundTheBadRow) {
  int64_t id = begin();
  // Sequence 1234 already stored: the writer's row 1234 is refused, and
  // with it, before, the whole COPY of 5,000.
  ASSERT_TRUE(store_->append(id, {{1234, EventKind::system, R"({"kind":"system"})"}}));
  TranscriptWriter writer(*store_, id, {std::chrono::milliseconds(50), 5000, 100000});
  for (int i = 0; i < 5000; ++i) {
    Event e;
    e.kind = EventKind::assistant;
    e.text = "line " + std::to_string(i);
    writer.on_event(e);
  }
  auto closed = writer.close();
  EXPECT_FALSE(closed);  // the refused row is still reported
  EXPECT_EQ(writer.written(), 4999u);
  EXPECT_EQ(scalar("SELECT count(*) FROM agent_events WHERE run_id = " + std::to_string(id)),
            "5000");
  EXPECT_EQ(scalar("SELECT data->>'text' FROM agent_events WHERE seq = 1235"), "line 1235");
}

TEST_F(TranscriptStoreTest, TheEndOfARunIsStoredWhateverTheStderrTailAndCost) {
  int64_t id = begin();
  Outcome o;
  o.kind = OutcomeKind::crashed;
  o.message = std::string("bad\0message \xFF", 13);
  o.session_id = "s\xC3";
  o.stderr_tail = "\xA9 tail cut inside a character, then \xF0\x9F";
  o.usage.cost_usd = 1e20;  // over numeric(14, 6)
  ASSERT_TRUE(store_->finish_run(id, o));
  auto row = store_->run(id);
  ASSERT_TRUE(row) << row.error().message;
  EXPECT_EQ(row->message, "bad\xEF\xBF\xBDmessage \xEF\xBF\xBD");
  EXPECT_EQ(row->session_id, "s\xEF\xBF\xBD");
  EXPECT_EQ(row->stderr_tail, "\xEF\xBF\xBD tail cut inside a character, then \xEF\xBF\xBD");
  ASSERT_TRUE(row->usage.cost_usd);
  EXPECT_NEAR(*row->usage.cost_usd, 99999999.0, 1);

  o.usage.cost_usd = std::numeric_limits<double>::infinity();
  ASSERT_TRUE(store_->finish_run(id, o));
  EXPECT_EQ(scalar("SELECT cost_usd FROM agent_runs WHERE id = " + std::to_string(id)), "NULL");
}

}  // namespace
}  // namespace bottega::agents
