// TokenCache: installation tokens, kept until token_refresh_margin before
// they expire. When one must be minted, the first caller mints it (outside
// the lock) and concurrent callers for the same installation wait for that
// result, success or failure, instead of minting their own.
// Thread-safety: all methods may be called from any thread; the mutex is
// never held while minting. Private to github/.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "config/base/clock.h"
#include "github/error.h"

namespace bottega::github::detail {

class TokenCache {
 public:
  struct Minted {
    std::string token;
    std::chrono::system_clock::time_point expires_at{};
  };
  // Asks GitHub for a new token of the installation.
  using Mint = std::function<GhResult<Minted>()>;

  // The Clock must outlive the cache.
  TokenCache(const Clock& clock, std::chrono::seconds refresh_margin);

  // The cached token, or one minted by `mint` (or by a concurrent caller's
  // mint). Failure: the mint's error.
  GhResult<std::string> get(int64_t installation, const Mint& mint);

  // Drops the installation's token; when `used` is not empty, only if the
  // cached one is still `used` (another caller may have refreshed it).
  void forget(int64_t installation, const std::string& used);

 private:
  struct TokenEntry {
    std::string token;
    std::chrono::system_clock::time_point expires_at{};
    bool refreshing = false;
    uint64_t generation = 0;  // bumped on each completed refresh
    std::optional<GitHubError> last_error;
  };

  const Clock& clock_;
  const std::chrono::seconds refresh_margin_;
  std::mutex mutex_;  // guards tokens_
  std::condition_variable refreshed_;
  std::unordered_map<int64_t, TokenEntry> tokens_;
};

}  // namespace bottega::github::detail
