#include "config/base/log.h"

#include <gtest/gtest.h>

namespace bottega {
namespace {

TEST(Redaction, RegisteredSecretsNeverSurvive) {
  register_secret("ghs_abcdefghijklmnop");
  EXPECT_EQ(redact("token ghs_abcdefghijklmnop and again ghs_abcdefghijklmnop"),
            "token [REDACTED] and again [REDACTED]");
}

TEST(Redaction, ShortStringsAreNotTreatedAsSecrets) {
  register_secret("abc");
  EXPECT_EQ(redact("abc abc"), "abc abc");
}

TEST(Redaction, TextWithoutSecretsIsUnchanged) {
  register_secret("s3cr3t-value-xyz");
  EXPECT_EQ(redact("nothing to hide"), "nothing to hide");
}

}  // namespace
}  // namespace bottega
