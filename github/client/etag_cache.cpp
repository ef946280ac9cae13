#include "github/client/etag_cache.h"

namespace bottega::github::detail {

EtagCache::EtagCache(std::size_t max_entries) : max_entries_(max_entries) {}

std::optional<CachedRead> EtagCache::find(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = index_.find(key);
  if (it == index_.end()) return std::nullopt;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->second;
}

void EtagCache::remember(const std::string& key, CachedRead read) {
  if (max_entries_ == 0 || read.body.size() > 4 * 1024 * 1024) return;
  std::lock_guard lock(mutex_);
  auto it = index_.find(key);
  if (it != index_.end()) {
    it->second->second = std::move(read);
    lru_.splice(lru_.begin(), lru_, it->second);
    return;
  }
  lru_.emplace_front(key, std::move(read));
  index_[key] = lru_.begin();
  while (lru_.size() > max_entries_) {
    index_.erase(lru_.back().first);
    lru_.pop_back();
  }
}

}  // namespace bottega::github::detail
