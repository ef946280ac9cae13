// URL helpers of the REST client: route templates expanded with
// percent-encoded parameters, and the pagination links of a Link header.
// Private to github/. Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace bottega::github::detail {

// RFC 3986 unreserved characters stay, everything else is %XX; '/' stays
// when keep_slash (a file path inside a route).
std::string percent_encode(std::string_view s, bool keep_slash);

// "/repos/{owner}/{repo}" + params → "/repos/a/b". {path} keeps its slashes.
std::string expand(const std::string& route, const std::vector<std::string>& params);

// The URL of rel="next" in a Link header, or "".
std::string next_link(std::string_view link);

// The value of query parameter `name` in `url` (as written, not decoded), or "".
std::string query_param(std::string_view url, std::string_view name);

}  // namespace bottega::github::detail
