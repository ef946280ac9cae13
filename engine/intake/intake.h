// Intake: stores each verified webhook delivery exactly once, together with
// the jobs it implies, in one transaction, and only then answers.
//
// submit() classifies the delivery on the caller's thread (decode, route)
// and hands it to a writer thread. Writers commit whatever has gathered
// since their last commit as one transaction (group commit): with
// synchronous_commit on, every delivery is durable before its callback
// runs, and one fsync serves many deliveries. A second writer joins only
// when a batch's worth waits (min_concurrent_batch).
// A delivery id seen before is reported as a duplicate and changes nothing,
// also when both copies arrive at once (the primary key decides); a batch
// inserts in delivery-id order, so racing batches cannot deadlock, and one
// that still meets a deadlock or serialization failure is retried.
// Under a stalled database: a delivery not committed within
// commit_timeout is answered `failed` (the batch may still commit it later;
// it is never answered twice), and the pending queue is bounded (over it:
// `failed` at once, with a Retry-After). Failures are logged once per
// log_interval with a count, not once per batch.
// Thread-safety: submit() from any thread; callbacks run on writer threads.
// Ownership: owns its writer threads, their connections and a deadline
// thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "config/base/result.h"

namespace bottega {

struct IncomingDelivery {
  std::string delivery_id;  // X-GitHub-Delivery
  std::string event;        // X-GitHub-Event
  std::string body;         // raw bytes, signature already verified
};

enum class IntakeOutcome {
  accepted,   // stored with its jobs (202)
  duplicate,  // this delivery id was stored before (200)
  ignored,    // stored; an event or action the app does not handle (202)
  rejected,   // stored as rejected: malformed JSON or a missing field (400)
  failed,     // not stored: the database failed (503, GitHub may redeliver)
};

struct IntakeResult {
  IntakeOutcome outcome;
  std::string message;          // for the response body and the log
  int retry_after_seconds = 0;  // > 0: worth a Retry-After header (failed only)
};

struct IntakeOptions {
  int writers = 2;
  // While one writer's batch is in the database, another writer starts a
  // batch only once this many deliveries wait. Every commit costs an fsync
  // and a statement's overhead: under load a few large batches cost far
  // less than many small ones (a writer takes what gathered while it
  // waited), yet a burst larger than this still gets a second transaction.
  std::size_t min_concurrent_batch = 12;
  std::size_t max_batch = 256;  // deliveries per transaction
  std::size_t max_batch_bytes = 8 * 1024 * 1024;
  // A delivery not committed by then is answered `failed` (GitHub gives up
  // on an answer after 10 s).
  std::chrono::milliseconds commit_timeout{5000};
  // Deliveries waiting for a writer, by count and by body bytes; one more
  // is answered `failed` at once.
  std::size_t max_pending = 4096;
  std::size_t max_pending_bytes = 64 * 1024 * 1024;
  // At most one log line per interval for each kind of failure.
  std::chrono::milliseconds log_interval{10000};
  // Tries of a batch that meets a deadlock or serialization failure.
  int max_attempts = 5;
};

class Intake {
 public:
  Intake(std::string connection_string, IntakeOptions options);
  ~Intake();  // stop()s
  Intake(const Intake&) = delete;
  Intake& operator=(const Intake&) = delete;

  // Connects the writers; fails if the database is unreachable.
  Result<void> start();
  // Finishes what was submitted, then stops the writers.
  void stop();

  // Stores the delivery; `done` is called exactly once: after the commit
  // (from a writer thread), or with `failed` when the queue is full (on the
  // caller's thread), the commit_timeout passed (from the deadline thread)
  // or the database failed. Never 2xx-like before the commit.
  void submit(IncomingDelivery&& delivery, std::function<void(IntakeResult)> done);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

const char* to_string(IntakeOutcome outcome);

}  // namespace bottega
