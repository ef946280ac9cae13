#include "config/base/permissions.h"

#include <array>
#include <utility>

namespace bottega {
namespace {

constexpr std::array<std::pair<std::string_view, Permission>, 6> kNames = {{
    {"none", Permission::none},
    {"read", Permission::read},
    {"triage", Permission::triage},
    {"write", Permission::write},
    {"maintain", Permission::maintain},
    {"admin", Permission::admin},
}};

}  // namespace

std::optional<Permission> parse_permission(std::string_view name) {
  for (const auto& [text, level] : kNames)
    if (text == name) return level;
  return std::nullopt;
}

std::string_view to_string(Permission permission) {
  for (const auto& [text, level] : kNames)
    if (level == permission) return text;
  return "none";  // unreachable: every enumerator is in kNames
}

Permission effective_permission(std::string_view permission, std::string_view role_name) {
  if (auto role = parse_permission(role_name); role && *role != Permission::none) return *role;
  return parse_permission(permission).value_or(Permission::none);
}

}  // namespace bottega
