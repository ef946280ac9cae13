#include "github/client/url.h"

#include <cctype>

namespace bottega::github::detail {

std::string percent_encode(std::string_view s, bool keep_slash) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
        (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string expand(const std::string& route, const std::vector<std::string>& params) {
  std::string out;
  std::size_t next = 0;
  for (std::size_t i = 0; i < route.size(); ++i) {
    if (route[i] == '{') {
      auto close = route.find('}', i);
      std::string name = route.substr(i + 1, close - i - 1);
      out += next < params.size() ? percent_encode(params[next], name == "path") : std::string();
      ++next;
      i = close;
    } else {
      out += route[i];
    }
  }
  return out;
}

std::string next_link(std::string_view link) {
  std::size_t pos = 0;
  while (pos < link.size()) {
    auto lt = link.find('<', pos);
    auto gt = link.find('>', lt);
    if (lt == std::string_view::npos || gt == std::string_view::npos) break;
    auto end = link.find(',', gt);
    auto params = link.substr(gt, end == std::string_view::npos ? link.size() - gt : end - gt);
    if (params.find("rel=\"next\"") != std::string_view::npos)
      return std::string(link.substr(lt + 1, gt - lt - 1));
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  return "";
}

std::string query_param(std::string_view url, std::string_view name) {
  auto q = url.find('?');
  if (q == std::string_view::npos) return "";
  auto rest = url.substr(q + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    auto pair = rest.substr(0, amp);
    auto eq = pair.find('=');
    if (pair.substr(0, eq) == name)
      return std::string(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return "";
}

}  // namespace bottega::github::detail
