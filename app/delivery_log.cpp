#include "app/delivery_log.h"

#include <algorithm>

namespace bottega {

Result<std::vector<HookDelivery>> GitHubDeliveryLog::recent_deliveries(std::size_t limit) {
  std::vector<HookDelivery> out;
  std::optional<std::string> cursor;
  while (out.size() < limit) {
    int per_page = static_cast<int>(std::min<std::size_t>(100, limit - out.size()));
    auto page = client_.list_hook_deliveries(per_page, cursor);
    if (!page) return make_error(page.error().describe());
    for (const auto& d : page->deliveries)
      out.push_back(HookDelivery{d.id, d.guid, d.event, d.action, d.status_code, d.redelivery});
    if (page->deliveries.empty() || !page->next_cursor) break;
    cursor = page->next_cursor;
  }
  return out;
}

Result<void> GitHubDeliveryLog::redeliver(int64_t id) {
  auto r = client_.redeliver_hook_delivery(id);
  if (!r) return make_error(r.error().describe());
  return {};
}

}  // namespace bottega
