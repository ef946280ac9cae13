#include "engine/db/secret_box.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

namespace bottega {
namespace {

namespace fs = std::filesystem;

class SecretBoxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("bottega-box-" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(SecretBoxTest, SealsAndOpensAndNoticesAnyChange) {
  auto box = SecretBox::load(std::string(64, 'a'), dir_.string());
  ASSERT_TRUE(box.ok()) << box.error().message;
  const std::string secret = "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n";
  auto sealed = box->seal(secret);
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->find("PRIVATE"), std::string::npos);
  EXPECT_EQ(sealed->size(), secret.size() + 12 + 16);
  EXPECT_NE(*box->seal(secret), *sealed) << "a fresh nonce each time";
  EXPECT_EQ(*box->open(*sealed), secret);
  for (std::size_t at : {std::size_t{0}, std::size_t{14}, sealed->size() - 1}) {
    std::string changed = *sealed;
    changed[at] = static_cast<char>(changed[at] ^ 1);
    EXPECT_FALSE(box->open(changed).ok()) << "byte " << at;
  }
  auto other = SecretBox::load(std::string(64, 'b'), dir_.string());
  EXPECT_FALSE(other->open(*sealed).ok());
  EXPECT_FALSE(fs::exists(dir_ / "secret.key")) << "a configured key makes no file";
}

TEST_F(SecretBoxTest, AKeyFileIsCreatedPrivateAndReused) {
  auto first = SecretBox::load("", dir_.string());
  ASSERT_TRUE(first.ok()) << first.error().message;
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "secret.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 32);
  auto second = SecretBox::load("", dir_.string());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second->open(*first->seal("x")), "x");
}

TEST_F(SecretBoxTest, RefusesAKeyOthersCanReadAndABadKey) {
  ASSERT_TRUE(SecretBox::load("", dir_.string()).ok());
  fs::permissions(dir_ / "secret.key", fs::perms::group_read, fs::perm_options::add);
  auto open = SecretBox::load("", dir_.string());
  ASSERT_FALSE(open.ok());
  EXPECT_NE(open.error().message.find("chmod 600"), std::string::npos) << open.error().message;
  EXPECT_FALSE(SecretBox::load("abc", dir_.string()).ok());
  EXPECT_FALSE(SecretBox::load(std::string(64, 'g'), dir_.string()).ok());
}

}  // namespace
}  // namespace bottega
