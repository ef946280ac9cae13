#include "github/client/rate_governor.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

#include "config/base/log.h"
#include "config/base/metrics.h"

namespace bottega::github::detail {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

spdlog::logger& log() { return component_log("github"); }

std::optional<int64_t> to_int(std::string_view s) {
  if (s.empty()) return std::nullopt;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

RateGovernor::RateGovernor(RateGovernorOptions options, const Clock& clock, Sleeper& sleeper)
    : options_(options), clock_(clock), sleeper_(sleeper) {}

std::shared_ptr<std::mutex> RateGovernor::mutation_lock(int64_t installation) {
  std::lock_guard lock(mutex_);
  return quotas_[installation].mutation_lock;
}

GhResult<void> RateGovernor::wait_turn(const Call& call, bool spaced) {
  for (;;) {
    milliseconds wait{0};
    bool limit_wait = false;
    std::optional<std::chrono::system_clock::time_point> lifts;
    {
      std::lock_guard lock(mutex_);
      auto& q = quotas_[call.installation];
      auto now = clock_.steady_now();
      if (q.blocked_until > now) {
        wait = std::chrono::ceil<milliseconds>(q.blocked_until - now);
        limit_wait = true;
        lifts = clock_.now() + wait;
      }
      if (q.remaining == 0 && q.reset > clock_.now()) {
        auto w = std::chrono::ceil<milliseconds>(q.reset - clock_.now()) + 1000ms;
        if (w > wait) wait = w;
        limit_wait = true;
        lifts = q.reset;
      }
      if (spaced && q.next_mutation > now)
        wait = std::max(wait, std::chrono::ceil<milliseconds>(q.next_mutation - now));
      const bool capped = call.content_creation && call.installation != 0 &&
                          options_.content_creations_per_minute > 0;
      if (capped) {
        while (!q.creations.empty() && q.creations.front() + 60s <= now) q.creations.pop_front();
        if (static_cast<int>(q.creations.size()) >= options_.content_creations_per_minute)
          wait = std::max(wait, std::chrono::ceil<milliseconds>(q.creations.front() + 60s - now));
      }
      if (wait.count() <= 0) {
        if (spaced) q.next_mutation = now + options_.mutation_spacing;
        if (capped) q.creations.push_back(now);
        return {};
      }
    }
    if (limit_wait && wait > options_.max_rate_limit_wait) {
      GitHubError e =
          GitHubError::local(GitHubError::Kind::rate_limited,
                             "rate limit lifts in " + std::to_string(wait.count() / 1000) + " s");
      e.route = call.method + " " + call.route;
      e.retry_at = lifts;
      return e;
    }
    log().debug("{} {} waits {} ms for {}", call.method, call.route, wait.count(),
                limit_wait ? "a rate limit" : "mutation spacing");
    sleeper_.sleep_for(wait);
  }
}

void RateGovernor::mutation_finished(int64_t installation,
                                     std::chrono::steady_clock::time_point finished) {
  std::lock_guard lock(mutex_);
  auto& q = quotas_[installation];
  q.next_mutation = std::max(q.next_mutation, finished + options_.mutation_spacing);
}

void RateGovernor::record_quota(int64_t installation, const HttpReply& reply) {
  auto remaining = to_int(reply.header("x-ratelimit-remaining"));
  auto reset = to_int(reply.header("x-ratelimit-reset"));
  std::lock_guard lock(mutex_);
  auto& q = quotas_[installation];
  if (remaining) {
    q.remaining = *remaining;
    metrics::set("bottega_github_rate_limit_remaining",
                 {installation == 0 ? std::string("app") : std::to_string(installation)},
                 static_cast<double>(*remaining));
  }
  if (reset) q.reset = std::chrono::system_clock::time_point(std::chrono::seconds(*reset));
}

int64_t RateGovernor::remaining(int64_t installation) {
  std::lock_guard lock(mutex_);
  return quotas_[installation].remaining;
}

void RateGovernor::succeeded(int64_t installation) {
  std::lock_guard lock(mutex_);
  quotas_[installation].secondary_streak = 0;
}

std::optional<milliseconds> RateGovernor::rate_limit_wait(int64_t installation,
                                                          const HttpReply& reply,
                                                          const GitHubError& error) {
  if (auto after = to_int(reply.header("retry-after"))) return milliseconds(*after * 1000);
  auto remaining_header = reply.header("x-ratelimit-remaining");
  if (remaining_header == "0") {
    if (auto reset = to_int(reply.header("x-ratelimit-reset"))) {
      auto at = std::chrono::system_clock::time_point(std::chrono::seconds(*reset));
      auto w = std::chrono::ceil<milliseconds>(at - clock_.now()) + 1000ms;
      return std::max(w, milliseconds(1000));
    }
    return options_.secondary_min_wait;
  }
  auto text = lower(error.message + " " + error.documentation_url);
  const bool secondary = reply.status == 429 ||
                         text.find("secondary rate limit") != std::string::npos ||
                         text.find("secondary-rate-limit") != std::string::npos ||
                         text.find("abuse") != std::string::npos;
  if (!secondary) return std::nullopt;
  std::lock_guard lock(mutex_);
  auto& q = quotas_[installation];
  auto w = options_.secondary_min_wait * (1LL << std::min(q.secondary_streak, 10));
  ++q.secondary_streak;
  return w;
}

void RateGovernor::block(int64_t installation, milliseconds wait) {
  std::lock_guard lock(mutex_);
  auto until = clock_.steady_now() + wait;
  auto& q = quotas_[installation];
  if (until > q.blocked_until) q.blocked_until = until;
}

}  // namespace bottega::github::detail
