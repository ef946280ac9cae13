#include "github/client/json_read.h"

#include <boost/json/serialize.hpp>
#include <cstdio>
#include <ctime>

namespace bottega::github::detail {

std::string str(dom::element e, std::string_view key) {
  std::string_view s;
  if (e[key].get_string().get(s)) return "";
  return std::string(s);
}
int64_t i64(dom::element e, std::string_view key) {
  int64_t v = 0;
  if (e[key].get_int64().get(v)) return 0;
  return v;
}
bool boolean(dom::element e, std::string_view key) {
  bool v = false;
  if (e[key].get_bool().get(v)) return false;
  return v;
}
std::optional<bool> opt_bool(dom::element e, std::string_view key) {
  bool v = false;
  if (e[key].get_bool().get(v)) return std::nullopt;
  return v;
}
std::optional<int64_t> opt_i64(dom::element e, std::string_view key) {
  int64_t v = 0;
  if (e[key].get_int64().get(v)) return std::nullopt;
  return v;
}
dom::element child(dom::element e, std::string_view key) {
  dom::element c;
  if (e[key].get(c)) return dom::element();
  return c;
}
bool has_object(dom::element e, std::string_view key) {
  dom::object o;
  return !e[key].get_object().get(o);
}

std::optional<std::chrono::system_clock::time_point> parse_iso8601(std::string_view s) {
  std::tm tm{};
  int y, mo, d, h, mi, sec;
  if (std::sscanf(std::string(s).c_str(), "%d-%d-%dT%d:%d:%d", &y, &mo, &d, &h, &mi, &sec) != 6)
    return std::nullopt;
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

User decode_user(dom::element e) {
  User u;
  if (!has_object(e, "user")) return u;
  auto x = child(e, "user");
  u.id = i64(x, "id");
  u.login = str(x, "login");
  u.type = str(x, "type");
  return u;
}

std::string to_json(const boost::json::object& o) { return boost::json::serialize(o); }

}  // namespace bottega::github::detail
