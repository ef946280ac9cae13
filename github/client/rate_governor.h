// RateGovernor: when a request to GitHub may go out, per installation
// (0: the App itself). It keeps what GitHub said of the primary quota
// (x-ratelimit-remaining/reset), a block while a secondary limit or a
// retry-after lasts (doubling the wait for each secondary limit in a row),
// the spacing and one-at-a-time order of mutating requests, and the cap on
// content creations per minute. The behaviour is spec/github.md's.
//
// It does no I/O: time comes from the Clock and every wait goes through the
// Sleeper, so tests drive it with a fake of both.
// Thread-safety: all methods may be called from any thread; one mutex
// guards the quotas and is never held while sleeping or calling out.
// Ownership: the Clock and Sleeper must outlive it. Private to github/.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "config/base/clock.h"
#include "github/client.h"
#include "github/client/call.h"
#include "github/error.h"
#include "github/http_transport.h"

namespace bottega::github::detail {

struct RateGovernorOptions {
  std::chrono::milliseconds secondary_min_wait{60'000};
  std::chrono::milliseconds max_rate_limit_wait{15 * 60'000};
  std::chrono::milliseconds mutation_spacing{1'000};
  int content_creations_per_minute = 80;
};

class RateGovernor {
 public:
  RateGovernor(RateGovernorOptions options, const Clock& clock, Sleeper& sleeper);

  // The lock that serializes the installation's spaced mutations; the
  // caller holds it from before wait_turn() until the answer is in.
  std::shared_ptr<std::mutex> mutation_lock(int64_t installation);

  // Waits (through the Sleeper) until this request may go out: a rate
  // limit lifted, the spacing since the last mutation passed (when spaced),
  // a content-creation slot free. Success: it may go out now (a spaced
  // call's next_mutation and a creation are booked). Fails (rate_limited,
  // with retry_at) instead of waiting longer than max_rate_limit_wait for a
  // rate limit; spacing and the creation cap are always waited out.
  GhResult<void> wait_turn(const Call& call, bool spaced);

  // A spaced mutation got its answer at `finished`: the next one goes out
  // at least mutation_spacing after it.
  void mutation_finished(int64_t installation, std::chrono::steady_clock::time_point finished);

  // Records x-ratelimit-remaining and x-ratelimit-reset of an answer.
  void record_quota(int64_t installation, const HttpReply& reply);
  // The last x-ratelimit-remaining seen; -1 when none yet.
  int64_t remaining(int64_t installation);

  // A 2xx answer: the next secondary limit waits secondary_min_wait again.
  void succeeded(int64_t installation);

  // How long a 403/429 asks us to wait; nullopt when it is not a rate limit
  // (an ordinary 403: permissions). A secondary limit without retry-after
  // waits secondary_min_wait doubled for each one in a row.
  std::optional<std::chrono::milliseconds> rate_limit_wait(int64_t installation,
                                                           const HttpReply& reply,
                                                           const GitHubError& error);

  // Every request of the installation waits `wait` from now (wait_turn()
  // does the waiting, for every caller).
  void block(int64_t installation, std::chrono::milliseconds wait);

 private:
  struct Quota {
    int64_t remaining = -1;  // -1: unknown
    std::chrono::system_clock::time_point reset{};
    std::chrono::steady_clock::time_point blocked_until{};
    int secondary_streak = 0;
    std::chrono::steady_clock::time_point next_mutation{};
    std::deque<std::chrono::steady_clock::time_point> creations;
    std::shared_ptr<std::mutex> mutation_lock = std::make_shared<std::mutex>();
  };

  const RateGovernorOptions options_;
  const Clock& clock_;
  Sleeper& sleeper_;
  std::mutex mutex_;  // guards quotas_
  std::unordered_map<int64_t, Quota> quotas_;
};

}  // namespace bottega::github::detail
