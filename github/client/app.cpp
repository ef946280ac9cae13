// The App's own endpoints (authenticated with the App JWT): where the App
// is installed, and its webhook deliveries.
#include <algorithm>

#include "github/client/json_read.h"
#include "github/client/request_core.h"

namespace bottega::github {

using namespace detail;

namespace {

HookDelivery decode_delivery(dom::element e) {
  HookDelivery d;
  d.id = i64(e, "id");
  d.guid = str(e, "guid");
  d.delivered_at = str(e, "delivered_at");
  d.redelivery = boolean(e, "redelivery");
  double dur = 0;
  if (!e["duration"].get_double().get(dur)) d.duration = dur;
  d.status = str(e, "status");
  d.status_code = static_cast<int>(i64(e, "status_code"));
  d.event = str(e, "event");
  d.action = str(e, "action");
  d.installation_id = opt_i64(e, "installation_id");
  d.repository_id = opt_i64(e, "repository_id");
  return d;
}

}  // namespace

GhResult<Installation> GitHubClient::repository_installation(const std::string& owner,
                                                             const std::string& repo) {
  const std::string route = "/repos/{owner}/{repo}/installation";
  auto r = impl_->call("GET", route, {owner, repo}, 0);
  return impl_->decode<Installation>(r, "GET " + route, [](dom::element e) {
    Installation i;
    i.id = i64(e, "id");
    if (has_object(e, "account")) i.account_login = str(child(e, "account"), "login");
    return i;
  });
}

GhResult<HookDeliveryPage> GitHubClient::list_hook_deliveries(
    int per_page, const std::optional<std::string>& cursor) {
  const std::string route = "/app/hook/deliveries";
  std::string query = "per_page=" + std::to_string(std::clamp(per_page, 1, 100));
  if (cursor) query += "&cursor=" + percent_encode(*cursor, false);
  auto r = impl_->call("GET", route, {}, 0, "", query);
  if (!r) return r.error();
  dom::parser parser;
  dom::element doc;
  dom::array arr;
  if (parser.parse(r->body).get(doc) || doc.get_array().get(arr))
    return Impl::decode_error("GET " + route);
  HookDeliveryPage page;
  for (dom::element e : arr) page.deliveries.push_back(decode_delivery(e));
  auto next = next_link(r->link);
  if (!next.empty()) {
    auto c = query_param(next, "cursor");
    if (!c.empty()) page.next_cursor = c;
  }
  return page;
}

GhResult<void> GitHubClient::redeliver_hook_delivery(int64_t delivery_id) {
  auto r = impl_->call("POST", "/app/hook/deliveries/{delivery_id}/attempts",
                       {std::to_string(delivery_id)}, 0);
  if (!r) return r.error();
  return {};
}

}  // namespace bottega::github
