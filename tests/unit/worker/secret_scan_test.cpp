// What the app refuses to commit of an agent's changes: workflow files
// (GitHub will not take them from the App) and secrets it holds.
#include "engine/worker/secret_scan.h"

#include <gtest/gtest.h>

namespace bottega {
namespace {

TEST(SecretScan, WorkflowFilesAndTheDirectoriesThatHoldThemAreWorkflowChanges) {
  for (const char* path : {".github/workflows/ci.yml", ".github/workflows/sub/x.yaml",
                           ".github/workflows", ".github/workflows/", ".github", ".github/"})
    EXPECT_TRUE(is_workflow_file(path)) << path;
  for (const char* path : {".github/CODEOWNERS", ".github/bottega.yml", "github/workflows/ci.yml",
                           "docs/.github/workflows/ci.yml", ".github/workflowsx/ci.yml", "ci.yml"})
    EXPECT_FALSE(is_workflow_file(path)) << path;
}

TEST(SecretScan, AWorkflowChangeIsRefusedBeforeAnyFileIsRead) {
  // No worktree exists: the workflow path is refused by name alone.
  auto refused = unpushable_change("/nonexistent-worktree", {"a.txt", ".github/workflows/x.yml"});
  ASSERT_TRUE(refused.ok());
  ASSERT_TRUE(refused->has_value());
  EXPECT_TRUE((*refused)->workflow);
  EXPECT_NE((*refused)->why.find("`.github/workflows/x.yml`"), std::string::npos);
  auto fine = unpushable_change("/nonexistent-worktree", {"a.txt"});
  ASSERT_TRUE(fine.ok());
  EXPECT_FALSE(fine->has_value()) << "a deleted (absent) file holds no secret";
}

}  // namespace
}  // namespace bottega
