#include "config/base/safe_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace bottega {
namespace {

namespace fs = std::filesystem;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void put(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
}

bool contains(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

class SafeFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "bottega-safe-file-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    root_ = dir_ + "/worktree";
    outside_ = dir_ + "/outside";
    fs::create_directories(root_);
    fs::create_directories(outside_);
    put(outside_ + "/secret", "SECRET\n");
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string dir_, root_, outside_;
};

TEST_F(SafeFileTest, WritesAFileCreatingMissingDirectoriesAndReplacesAnExistingOne) {
  auto w = write_file_beneath(root_, "docs/plans/7.md", "# plan\n");
  ASSERT_TRUE(w.ok()) << w.error().message;
  EXPECT_EQ(slurp(root_ + "/docs/plans/7.md"), "# plan\n");
  w = write_file_beneath(root_, "docs/plans/7.md", "# plan, again\n");
  ASSERT_TRUE(w.ok()) << w.error().message;
  EXPECT_EQ(slurp(root_ + "/docs/plans/7.md"), "# plan, again\n");
  w = write_file_beneath(root_, "top.md", "");
  ASSERT_TRUE(w.ok()) << w.error().message;
  EXPECT_TRUE(fs::is_regular_file(root_ + "/top.md"));
  // No temporary file left beside it.
  std::vector<std::string> names;
  for (auto& e : fs::directory_iterator(root_ + "/docs/plans"))
    names.push_back(e.path().filename().string());
  EXPECT_EQ(names, std::vector<std::string>{"7.md"});
}

TEST_F(SafeFileTest, RefusesASymlinkInTheMiddleOfThePath) {
  fs::create_directory_symlink(outside_, root_ + "/docs");
  auto w = write_file_beneath(root_, "docs/secret", "overwritten\n");
  ASSERT_FALSE(w.ok());
  EXPECT_TRUE(contains(w.error().message,
                       "docs/secret: docs is a symbolic link in the worktree; nothing was written"))
      << w.error().message;
  EXPECT_EQ(slurp(outside_ + "/secret"), "SECRET\n");

  fs::create_directories(root_ + "/a");
  fs::create_directory_symlink(outside_, root_ + "/a/b");
  w = write_file_beneath(root_, "a/b/c/new.md", "x");
  ASSERT_FALSE(w.ok());
  EXPECT_TRUE(contains(w.error().message, "a/b is a symbolic link")) << w.error().message;
  EXPECT_FALSE(fs::exists(outside_ + "/c"));
}

TEST_F(SafeFileTest, RefusesASymlinkAtTheEndAndLeavesItsTargetAlone) {
  fs::create_symlink(outside_ + "/secret", root_ + "/PLAN.md");
  auto w = write_file_beneath(root_, "PLAN.md", "overwritten\n");
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().message, "PLAN.md is a symbolic link in the worktree; nothing was written");
  EXPECT_EQ(slurp(outside_ + "/secret"), "SECRET\n");
  EXPECT_TRUE(fs::is_symlink(root_ + "/PLAN.md"));
  // A dangling link would have been created through by a plain open(O_CREAT).
  fs::create_symlink(outside_ + "/created", root_ + "/dangling.md");
  EXPECT_FALSE(write_file_beneath(root_, "dangling.md", "x").ok());
  EXPECT_FALSE(fs::exists(outside_ + "/created"));
}

TEST_F(SafeFileTest, RefusesAbsolutePathsDotDotAndEmptyComponents) {
  for (const char* bad : {"/etc/passwd", "../outside/secret", "docs/../../outside/secret", "a//b",
                          "", "./a", "a/", "a/./b"}) {
    auto w = write_file_beneath(root_, bad, "x");
    ASSERT_FALSE(w.ok()) << bad;
    EXPECT_TRUE(contains(w.error().message, "nothing was written")) << w.error().message;
  }
  EXPECT_EQ(slurp(outside_ + "/secret"), "SECRET\n");
  EXPECT_TRUE(fs::is_empty(root_));
}

TEST_F(SafeFileTest, RefusesToReplaceADirectoryOrAFifo) {
  fs::create_directories(root_ + "/dir");
  auto w = write_file_beneath(root_, "dir", "x");
  ASSERT_FALSE(w.ok());
  EXPECT_TRUE(contains(w.error().message, "dir is a directory")) << w.error().message;
  ASSERT_EQ(::mkfifo((root_ + "/fifo").c_str(), 0644), 0);
  w = write_file_beneath(root_, "fifo", "x");
  ASSERT_FALSE(w.ok());
  EXPECT_TRUE(contains(w.error().message, "fifo is a FIFO")) << w.error().message;
  put(root_ + "/file", "f");
  w = write_file_beneath(root_, "file/below", "x");
  ASSERT_FALSE(w.ok());
  EXPECT_TRUE(contains(w.error().message, "not a directory")) << w.error().message;
}

TEST_F(SafeFileTest, ReadsARegularFile) {
  put(root_ + "/signal.json", "{\"signal\":\"ready\"}\n");
  auto r = read_regular_file(root_ + "/signal.json", 1024);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, "{\"signal\":\"ready\"}\n");
  put(root_ + "/empty", "");
  EXPECT_EQ(*read_regular_file(root_ + "/empty", 0), "");
  put(root_ + "/exact", "1234");
  EXPECT_EQ(*read_regular_file(root_ + "/exact", 4), "1234");
}

TEST_F(SafeFileTest, ReadRefusesASymlinkAFifoADirectoryAndAMissingFile) {
  fs::create_symlink(outside_ + "/secret", root_ + "/link");
  auto r = read_regular_file(root_ + "/link", 1024);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, root_ + "/link is a symbolic link, not a regular file");

  // Opened without O_NONBLOCK, a FIFO with no writer would block forever.
  ASSERT_EQ(::mkfifo((root_ + "/fifo").c_str(), 0644), 0);
  r = read_regular_file(root_ + "/fifo", 1024);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, root_ + "/fifo is a FIFO, not a regular file");

  r = read_regular_file(root_, 1024);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, root_ + " is a directory, not a regular file");

  r = read_regular_file("/dev/zero", 1024);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "/dev/zero is a device, not a regular file");

  r = read_regular_file(root_ + "/missing", 1024);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, root_ + "/missing does not exist");
}

TEST_F(SafeFileTest, ReadRefusesAFileLargerThanTheLimit) {
  put(root_ + "/big", std::string(4097, 'x'));
  auto r = read_regular_file(root_ + "/big", 4096);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, root_ + "/big is larger than 4096 bytes");
}

}  // namespace
}  // namespace bottega
