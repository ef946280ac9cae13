#include "github/client/json_read.h"

#include <boost/json/serialize.hpp>
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
  // Fixed widths, digits only, each field in its range: a year past 2199 or
  // a huge number would overflow the clock's nanoseconds.
  auto digits = [&](std::size_t at, std::size_t n, int lo, int hi) -> std::optional<int> {
    if (at + n > s.size()) return std::nullopt;
    int v = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return std::nullopt;
      v = v * 10 + (s[i] - '0');
    }
    if (v < lo || v > hi) return std::nullopt;
    return v;
  };
  auto sep = [&](std::size_t at, char c) { return at < s.size() && s[at] == c; };
  auto y = digits(0, 4, 1970, 2199), mo = digits(5, 2, 1, 12), d = digits(8, 2, 1, 31),
       h = digits(11, 2, 0, 23), mi = digits(14, 2, 0, 59), sec = digits(17, 2, 0, 60);
  if (!y || !mo || !d || !h || !mi || !sec || !sep(4, '-') || !sep(7, '-') || !sep(10, 'T') ||
      !sep(13, ':') || !sep(16, ':'))
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = *y - 1900;
  tm.tm_mon = *mo - 1;
  tm.tm_mday = *d;
  tm.tm_hour = *h;
  tm.tm_min = *mi;
  tm.tm_sec = *sec;
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
