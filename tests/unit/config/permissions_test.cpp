#include "config/base/permissions.h"

#include <gtest/gtest.h>

#include <string>

namespace bottega {
namespace {

TEST(Permissions, NamesRoundTrip) {
  for (Permission p : {Permission::none, Permission::read, Permission::triage, Permission::write,
                       Permission::maintain, Permission::admin})
    EXPECT_EQ(parse_permission(to_string(p)), p) << to_string(p);
}

TEST(Permissions, ParseTakesOnlyTheLowerCaseNames) {
  for (const char* bad : {"", "Write", "ADMIN", "pull", "push", " write", "owner"})
    EXPECT_EQ(parse_permission(bad), std::nullopt) << bad;
}

TEST(Permissions, LevelsAreOrdered) {
  EXPECT_LT(Permission::none, Permission::read);
  EXPECT_LT(Permission::read, Permission::triage);
  EXPECT_LT(Permission::triage, Permission::write);
  EXPECT_LT(Permission::write, Permission::maintain);
  EXPECT_LT(Permission::maintain, Permission::admin);
}

TEST(Permissions, EffectivePermissionPrefersTheRoleName) {
  struct Case {
    const char* permission;
    const char* role_name;
    Permission expected;
  };
  const Case cases[] = {
      {"write", "maintain", Permission::maintain},  // the coarse field hides maintain
      {"read", "triage", Permission::triage},       // and triage
      {"admin", "admin", Permission::admin},
      {"write", "write", Permission::write},
      {"read", "read", Permission::read},
      {"write", "release-manager", Permission::write},  // a custom role: the coarse field
      {"read", "", Permission::read},                   // no role name (older GHES)
      {"none", "", Permission::none},
      {"write", "none", Permission::write},  // "none" is no role: fall back
      {"", "", Permission::none},
      {"superuser", "", Permission::none},  // unknown answers grant nothing
      {"", "Admin", Permission::none},
  };
  for (const Case& c : cases)
    EXPECT_EQ(effective_permission(c.permission, c.role_name), c.expected)
        << c.permission << " / " << c.role_name;
}

}  // namespace
}  // namespace bottega
