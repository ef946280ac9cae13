// A person's permission on a repository, as GitHub names the levels, in
// increasing order so that `have >= need` is the authorization check.
// Pure: reading it from GitHub (and caching it) is the client's job.
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string_view>

namespace bottega {

// Ordered: every level includes the ones before it.
enum class Permission { none, read, triage, write, maintain, admin };

// "none", "read", "triage", "write", "maintain", "admin" (exactly, lower
// case) to the level; anything else is nullopt.
std::optional<Permission> parse_permission(std::string_view name);

std::string_view to_string(Permission permission);

// The level from GET /repos/{owner}/{repo}/collaborators/{username}/permission.
// Its `permission` field is coarse (maintain reads as write, triage as read);
// `role_name` is exact for the five built-in roles but names a custom role
// otherwise. So: `role_name` when it is read, triage, write, maintain or
// admin; else `permission` when it is a level; else none (an unknown answer
// grants nothing).
Permission effective_permission(std::string_view permission, std::string_view role_name);

}  // namespace bottega
