// The job queue against a real PostgreSQL.
#include "engine/queue/queue.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <pqxx/pqxx>
#include <set>
#include <thread>

#include "engine/db/migrations.h"
#include "engine/queue/worker_pool.h"
#include "tests/support/postgres_fixture.h"

namespace bottega {
namespace {

class QueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conn_ = std::make_unique<pqxx::connection>(db_.connection_string());
    ASSERT_TRUE(apply_migrations(*conn_, builtin_migrations()).ok());
  }

  void enqueue(JobSpec spec, int count = 1) {
    pqxx::work tx(*conn_);
    for (int i = 0; i < count; ++i) JobQueue::enqueue(tx, spec);
    tx.commit();
  }

  JobSpec spec(std::string kind, int64_t installation = 0, std::optional<std::string> key = {}) {
    JobSpec s;
    s.kind = std::move(kind);
    s.installation_id = installation;
    s.task_key = std::move(key);
    return s;
  }

  std::string state_of(int64_t id) {
    return pqxx::nontransaction(*conn_)
        .exec_params1("SELECT state FROM jobs WHERE id = $1", id)[0]
        .as<std::string>();
  }

  testing::TestDatabase db_;
  std::unique_ptr<pqxx::connection> conn_;
};

TEST_F(QueueTest, ClaimReturnsNothingWhenEmpty) {
  JobQueue q(QueueLimits{});
  auto job = q.claim(*conn_, "w");
  ASSERT_TRUE(job.ok()) << job.error().message;
  EXPECT_FALSE(job->has_value());
}

TEST_F(QueueTest, ConcurrentClaimersNeverGetTheSameJob) {
  enqueue(spec("k", 1), 200);
  QueueLimits limits;
  limits.global_running = 1000;
  limits.per_installation_running = 1000;
  JobQueue q(limits);
  std::mutex mutex;
  std::multiset<int64_t> claimed;
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      pqxx::connection conn(db_.connection_string());
      for (;;) {
        auto job = q.claim(conn, "w" + std::to_string(t));
        ASSERT_TRUE(job.ok()) << job.error().message;
        if (!*job) return;
        ASSERT_TRUE(q.complete(conn, **job).ok());
        std::lock_guard lock(mutex);
        claimed.insert((*job)->id);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(claimed.size(), 200u);
  EXPECT_EQ(std::set<int64_t>(claimed.begin(), claimed.end()).size(), 200u);
}

TEST_F(QueueTest, OneRunningJobPerTaskKey) {
  enqueue(spec("k", 1, "octo/hello#5"), 2);
  enqueue(spec("k", 1, "octo/hello#6"));
  JobQueue q(QueueLimits{});
  auto first = q.claim(*conn_, "w");
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_EQ(*(*first)->task_key, "octo/hello#5");
  auto second = q.claim(*conn_, "w");
  ASSERT_TRUE(second.ok() && second->has_value());
  EXPECT_EQ(*(*second)->task_key, "octo/hello#6");  // #5 is busy, so its second job waits
  auto third = q.claim(*conn_, "w");
  ASSERT_TRUE(third.ok());
  EXPECT_FALSE(third->has_value());
  ASSERT_TRUE(q.complete(*conn_, **first).ok());
  auto fourth = q.claim(*conn_, "w");
  ASSERT_TRUE(fourth.ok() && fourth->has_value());
  EXPECT_EQ(*(*fourth)->task_key, "octo/hello#5");
  // The database refuses a second running job for a key outright.
  EXPECT_THROW(
      pqxx::nontransaction(*conn_).exec(
          "UPDATE jobs SET state = 'running' WHERE task_key = 'octo/hello#5' AND state = 'done'"),
      pqxx::unique_violation);
}

TEST_F(QueueTest, GlobalAndPerInstallationCaps) {
  enqueue(spec("k", 1), 5);
  enqueue(spec("k", 2), 5);
  QueueLimits limits;
  limits.global_running = 3;
  limits.per_installation_running = 2;
  JobQueue q(limits);
  std::map<int64_t, int> per_installation;
  std::vector<Job> running;
  for (;;) {
    auto job = q.claim(*conn_, "w");
    ASSERT_TRUE(job.ok());
    if (!*job) break;
    ++per_installation[(*job)->installation_id];
    running.push_back(**job);
  }
  EXPECT_EQ(running.size(), 3u);
  EXPECT_LE(per_installation[1], 2);
  EXPECT_LE(per_installation[2], 2);
  ASSERT_TRUE(q.complete(*conn_, running.front()).ok());
  auto more = q.claim(*conn_, "w");
  ASSERT_TRUE(more.ok());
  EXPECT_TRUE(more->has_value());  // a freed slot is used
}

TEST_F(QueueTest, KindCapHoldsThatKindAndLetsOthersRun) {
  enqueue(spec("agent_turn", 1), 4);
  enqueue(spec("github_event", 1), 2);
  QueueLimits limits;
  limits.kind_running["agent_turn"] = 2;
  JobQueue q(limits);
  std::map<std::string, int> kinds;
  for (;;) {
    auto job = q.claim(*conn_, "w");
    ASSERT_TRUE(job.ok()) << job.error().message;
    if (!*job) break;
    ++kinds[(*job)->kind];
  }
  EXPECT_EQ(kinds["agent_turn"], 2);
  EXPECT_EQ(kinds["github_event"], 2);
}

TEST_F(QueueTest, AJobBoundToALiveHostWaitsForItThenGoesAnywhereWhenItDies) {
  QueueLimits limits;
  limits.lease = std::chrono::milliseconds(500);
  JobQueue q(limits);
  ASSERT_TRUE(q.heartbeat(*conn_, "host-a").ok());
  auto bound = spec("agent_turn", 1, "acme/widgets#1/agent");
  bound.host = "host-a";
  enqueue(bound);

  auto on_b = q.claim(*conn_, "b:1", "host-b");
  ASSERT_TRUE(on_b.ok());
  EXPECT_FALSE(on_b->has_value()) << "host-a is alive and holds the worktree";

  // host-a stops renewing: after two leases another host takes the job.
  {
    pqxx::work tx(*conn_);
    tx.exec("UPDATE worker_hosts SET seen_at = now() - interval '2 seconds'");
    tx.commit();
  }
  auto later = q.claim(*conn_, "b:1", "host-b");
  ASSERT_TRUE(later.ok());
  ASSERT_TRUE(later->has_value());
  EXPECT_EQ((*later)->kind, "agent_turn");
}

TEST_F(QueueTest, AJobBoundToAHostRunsThere) {
  JobQueue q(QueueLimits{});
  ASSERT_TRUE(q.heartbeat(*conn_, "host-a").ok());
  auto bound = spec("agent_turn", 1);
  bound.host = "host-a";
  enqueue(bound);
  auto on_a = q.claim(*conn_, "a:1", "host-a");
  ASSERT_TRUE(on_a.ok());
  EXPECT_TRUE(on_a->has_value());
}

TEST_F(QueueTest, InstallationsAreServedInRotation) {
  enqueue(spec("busy", 1), 20);  // one busy installation, enqueued first
  enqueue(spec("quiet", 2), 2);
  enqueue(spec("quiet", 3), 2);
  QueueLimits limits;
  limits.global_running = 1;  // one at a time, so the order is the rotation
  JobQueue q(limits);
  std::vector<int64_t> order;
  for (int i = 0; i < 9; ++i) {
    auto job = q.claim(*conn_, "w");
    ASSERT_TRUE(job.ok() && job->has_value());
    order.push_back((*job)->installation_id);
    ASSERT_TRUE(q.complete(*conn_, **job).ok());
  }
  // The quiet installations' four jobs all run within the first six claims.
  int quiet_in_first_six = 0;
  for (int i = 0; i < 6; ++i) quiet_in_first_six += order[i] != 1;
  EXPECT_EQ(quiet_in_first_six, 4);
  for (std::size_t i = 1; i < 6; ++i) EXPECT_NE(order[i], order[i - 1]) << "claim " << i;
}

TEST_F(QueueTest, FailureBacksOffThenDeadLettersWithTheLastError) {
  auto s = spec("flaky", 1);
  s.max_attempts = 2;
  enqueue(s);
  QueueLimits limits;
  limits.backoff_base = std::chrono::milliseconds(400);
  JobQueue q(limits);
  auto first = q.claim(*conn_, "w");
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_EQ((*first)->attempts, 1);
  auto dead = q.fail(*conn_, **first, "boom 1");
  ASSERT_TRUE(dead.ok());
  EXPECT_FALSE(*dead);
  EXPECT_EQ(state_of((*first)->id), "queued");
  auto too_soon = q.claim(*conn_, "w");
  ASSERT_TRUE(too_soon.ok());
  EXPECT_FALSE(too_soon->has_value()) << "a retry must wait for its backoff";
  auto delay_ms =
      pqxx::nontransaction(*conn_)
          .exec_params1("SELECT extract(epoch FROM run_at - now()) * 1000 FROM jobs WHERE id = $1",
                        (*first)->id)[0]
          .as<double>();
  EXPECT_GT(delay_ms, 100);
  EXPECT_LT(delay_ms, 600);
  std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int>(delay_ms) + 50));
  auto second = q.claim(*conn_, "w");
  ASSERT_TRUE(second.ok() && second->has_value());
  EXPECT_EQ((*second)->attempts, 2);
  EXPECT_EQ((*second)->last_error, "boom 1");
  auto dead_now = q.fail(*conn_, **second, "boom 2");
  ASSERT_TRUE(dead_now.ok());
  EXPECT_TRUE(*dead_now);
  auto row = pqxx::nontransaction(*conn_).exec_params1(
      "SELECT state, last_error, attempts FROM jobs WHERE id = $1", (*second)->id);
  EXPECT_EQ(row[0].as<std::string>(), "dead");
  EXPECT_EQ(row[1].as<std::string>(), "boom 2");
  EXPECT_EQ(row[2].as<int>(), 2);
}

TEST_F(QueueTest, AWorkerKilledWithSigkillLosesNothing) {
  enqueue(spec("long", 1, "octo/hello#1"));
  QueueLimits limits;
  limits.lease = std::chrono::milliseconds(1000);
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The worker process: claims the job, says so, then works "forever".
    pqxx::connection conn(db_.connection_string());
    JobQueue q(limits);
    auto job = q.claim(conn, "doomed-worker");
    char ok = (job.ok() && job->has_value()) ? 1 : 0;
    [[maybe_unused]] auto n = ::write(ready[1], &ok, 1);
    for (;;) ::pause();
  }
  char ok = 0;
  ASSERT_EQ(::read(ready[0], &ok, 1), 1);
  ASSERT_EQ(ok, 1);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);

  JobQueue q(limits);
  auto meanwhile = q.claim(*conn_, "survivor");
  ASSERT_TRUE(meanwhile.ok());
  EXPECT_FALSE(meanwhile->has_value()) << "the lease has not expired yet";
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  auto recovered = q.claim(*conn_, "survivor");
  ASSERT_TRUE(recovered.ok() && recovered->has_value());
  EXPECT_EQ((*recovered)->kind, "long");
  EXPECT_EQ((*recovered)->attempts, 2);
  EXPECT_NE((*recovered)->last_error.find("lease expired"), std::string::npos);
}

TEST_F(QueueTest, RenewedLeaseIsKept) {
  enqueue(spec("k", 1));
  QueueLimits limits;
  limits.lease = std::chrono::milliseconds(1500);
  JobQueue q(limits);
  auto job = q.claim(*conn_, "keeper");
  ASSERT_TRUE(job.ok() && job->has_value());
  // Held for 2.5 s, past its 1.5 s lease, by renewals with 1 s of slack each.
  for (int i = 0; i < 5; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    auto renewed = q.renew(*conn_, "keeper", {(*job)->id});
    ASSERT_TRUE(renewed.ok());
    EXPECT_EQ(*renewed, 1);
  }
  EXPECT_EQ(state_of((*job)->id), "running");
  pqxx::connection other(db_.connection_string());
  auto stolen = q.claim(other, "thief");
  ASSERT_TRUE(stolen.ok());
  EXPECT_FALSE(stolen->has_value());
}

TEST_F(QueueTest, WorkerPoolWakesOnNotifyWithinMilliseconds) {
  WorkerPoolOptions options;
  options.workers = 2;
  options.safety_poll = std::chrono::seconds(60);  // only NOTIFY can be this quick
  WorkerPool pool(db_.connection_string(), options);
  std::mutex mutex;
  std::condition_variable done;
  std::vector<std::chrono::steady_clock::time_point> ran;
  pool.handle("ping", [&](const Job&) -> Result<void> {
    std::lock_guard lock(mutex);
    ran.push_back(std::chrono::steady_clock::now());
    done.notify_all();
    return {};
  });
  ASSERT_TRUE(pool.start().ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the listener is up

  std::vector<double> latencies_ms;
  for (int i = 0; i < 20; ++i) {
    auto before = std::chrono::steady_clock::now();
    enqueue(spec("ping", 1));
    std::unique_lock lock(mutex);
    ASSERT_TRUE(done.wait_for(lock, std::chrono::seconds(10),
                              [&] { return ran.size() == std::size_t(i + 1); }))
        << "job " << i << " never ran";
    latencies_ms.push_back(std::chrono::duration<double, std::milli>(ran.back() - before).count());
  }
  std::sort(latencies_ms.begin(), latencies_ms.end());
  std::printf("enqueue -> handler latency over NOTIFY: p50 %.2f ms, max %.2f ms\n",
              latencies_ms[latencies_ms.size() / 2], latencies_ms.back());
  EXPECT_LT(latencies_ms[latencies_ms.size() / 2], 1000.0);  // loose: far below the 60 s poll
  pool.stop();
  EXPECT_EQ(pool.stats().completed, 20u);
}

TEST_F(QueueTest, WorkerPoolRetriesAFailingHandlerAndDeadLettersIt) {
  WorkerPoolOptions options;
  options.workers = 1;
  options.limits.backoff_base = std::chrono::milliseconds(50);
  options.safety_poll = std::chrono::milliseconds(100);
  WorkerPool pool(db_.connection_string(), options);
  std::atomic<int> calls{0};
  pool.handle("bad", [&](const Job&) -> Result<void> {
    ++calls;
    throw std::runtime_error("handler exploded");
  });
  auto s = spec("bad", 1);
  s.max_attempts = 3;
  enqueue(s);
  ASSERT_TRUE(pool.start().ok());
  for (int i = 0; i < 100 && calls < 3; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  pool.stop();
  EXPECT_EQ(calls.load(), 3);
  auto row = pqxx::nontransaction(*conn_).exec1("SELECT state, last_error FROM jobs");
  EXPECT_EQ(row[0].as<std::string>(), "dead");
  EXPECT_EQ(row[1].as<std::string>(), "handler threw: handler exploded");
}

}  // namespace
}  // namespace bottega
