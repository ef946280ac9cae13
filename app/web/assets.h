// The web pages' stylesheet and the one script (the live transcript), as
// text compiled in: no front-end build step, nothing fetched from elsewhere.
#pragma once

#include <string_view>

namespace bottega::web {

std::string_view stylesheet();
std::string_view live_script();

}  // namespace bottega::web
