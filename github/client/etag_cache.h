// EtagCache: the last 2xx answer of each GET that carried an ETag, so the
// next identical GET can send If-None-Match and a 304 (which costs no
// quota) is answered from here. Least recently used entries go first.
// Keys name the installation and the URL, so one installation's answer is
// never served to another. Thread-safety: all methods may be called from
// any thread. Private to github/.
#pragma once

#include <cstddef>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

namespace bottega::github::detail {

struct CachedRead {
  std::string etag;
  std::string body;
  std::string link;
};

class EtagCache {
 public:
  // max_entries 0: nothing is kept.
  explicit EtagCache(std::size_t max_entries);

  // The cached read for key (now the most recent), or nullopt.
  std::optional<CachedRead> find(const std::string& key);
  // Keeps read under key; a body over 4 MiB is not kept.
  void remember(const std::string& key, CachedRead read);

 private:
  using Lru = std::list<std::pair<std::string, CachedRead>>;  // front: most recent

  const std::size_t max_entries_;
  std::mutex mutex_;  // guards lru_ and index_
  Lru lru_;
  std::unordered_map<std::string, Lru::iterator> index_;
};

}  // namespace bottega::github::detail
