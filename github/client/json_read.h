// JSON readers of the REST client: a field of a simdjson element, or its
// zero value when it is missing or of another type (GitHub leaves fields
// out and sends null freely; a missing field is never an error here), and
// the pieces several resources share.
// Private to github/. Thread-safety: pure functions.
#pragma once

#include <simdjson.h>

#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "github/types.h"

namespace bottega::github::detail {

namespace dom = simdjson::dom;

std::string str(dom::element e, std::string_view key);  // "" when absent
int64_t i64(dom::element e, std::string_view key);      // 0 when absent
bool boolean(dom::element e, std::string_view key);     // false when absent
std::optional<bool> opt_bool(dom::element e, std::string_view key);
std::optional<int64_t> opt_i64(dom::element e, std::string_view key);
// The member object or array; an empty element when absent.
dom::element child(dom::element e, std::string_view key);
bool has_object(dom::element e, std::string_view key);

// "2024-01-02T03:04:05Z" (the seconds' precision GitHub writes) as UTC.
std::optional<std::chrono::system_clock::time_point> parse_iso8601(std::string_view s);

// The `user` member of e.
User decode_user(dom::element e);

std::string to_json(const boost::json::object& o);

}  // namespace bottega::github::detail
