#include "github/client/token_cache.h"

namespace bottega::github::detail {

TokenCache::TokenCache(const Clock& clock, std::chrono::seconds refresh_margin)
    : clock_(clock), refresh_margin_(refresh_margin) {}

GhResult<std::string> TokenCache::get(int64_t installation, const Mint& mint) {
  std::unique_lock lock(mutex_);
  auto& entry = tokens_[installation];
  for (;;) {
    if (!entry.token.empty() && clock_.now() + refresh_margin_ < entry.expires_at)
      return entry.token;
    if (!entry.refreshing) break;
    // Someone else is refreshing: share their result.
    uint64_t seen = entry.generation;
    refreshed_.wait(lock, [&] { return entry.generation != seen; });
    if (entry.last_error) return *entry.last_error;
  }
  entry.refreshing = true;
  lock.unlock();
  auto minted = mint();
  std::optional<GitHubError> error;
  std::string token;
  std::chrono::system_clock::time_point expires{};
  if (!minted) {
    error = minted.error();
  } else {
    token = minted->token;
    expires = minted->expires_at;
  }
  lock.lock();
  entry.refreshing = false;
  ++entry.generation;
  entry.last_error = error;
  if (!error) {
    entry.token = token;
    entry.expires_at = expires;
  }
  refreshed_.notify_all();
  if (error) return *error;
  return token;
}

void TokenCache::forget(int64_t installation, const std::string& used) {
  std::lock_guard lock(mutex_);
  auto it = tokens_.find(installation);
  if (it != tokens_.end() && (used.empty() || it->second.token == used)) it->second.token.clear();
}

}  // namespace bottega::github::detail
