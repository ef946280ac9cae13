// RepoLookups over a GitHub port that counts what it is asked: files are
// read once per commit of the base branch, absent ones too; the listing of
// .github answers for files that are not there; a moved branch is read
// again; trouble asking GitHub is an error, never the defaults.
#include "engine/worker/repo_lookups.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "engine/worker/github_port.h"

namespace bottega {
namespace {

using github::GhResult;
using github::GitHubError;

class CountingPort final : public GitHubPort {
 public:
  std::string head = std::string(40, 'a');
  std::map<std::string, std::string> files;  // "sha:path" → content
  bool branch_fails = false;
  // The listing of .github: answered from `files`, or failing, or cut short.
  enum class Listing { answered, fails, not_a_directory } listing = Listing::answered;
  int branch_asks = 0;
  int file_asks = 0;
  int listing_asks = 0;

  std::string app_slug() override { return "bottega"; }
  GhResult<std::string> branch_head(const github::Repo&, const std::string&) override {
    ++branch_asks;
    if (branch_fails) return GitHubError::transport_failure("connection reset");
    return head;
  }
  GhResult<github::FileContent> get_file_contents(const github::Repo&, const std::string& path,
                                                  const std::string& ref) override {
    ++file_asks;
    auto it = files.find(ref + ":" + path);
    if (it == files.end()) {
      GitHubError e;
      e.status = 404;
      return e;
    }
    github::FileContent f;
    f.content = it->second;
    return f;
  }
  GhResult<std::vector<github::DirectoryEntry>> list_directory(const github::Repo&,
                                                               const std::string& path,
                                                               const std::string& ref) override {
    ++listing_asks;
    if (listing == Listing::fails) return GitHubError::transport_failure("connection reset");
    if (listing == Listing::not_a_directory)
      return GitHubError::local(GitHubError::Kind::decode, "not a directory");
    std::set<std::string> names;
    const std::string prefix = ref + ":" + path + "/";
    for (const auto& [key, content] : files)
      if (key.compare(0, prefix.size(), prefix) == 0)
        names.insert(key.substr(prefix.size(), key.find('/', prefix.size()) - prefix.size()));
    if (names.empty()) {
      GitHubError e;
      e.status = 404;
      return e;
    }
    std::vector<github::DirectoryEntry> out;
    for (const auto& n : names) out.push_back({n, "file"});
    return out;
  }
  // Not used by the lookups.
  GhResult<std::string> installation_token(int64_t) override { return std::string("t"); }
  void forget_installation_token(int64_t) override {}
  GhResult<github::CollaboratorPermission> collaborator_permission(const github::Repo&,
                                                                   const std::string&) override {
    return github::CollaboratorPermission{};
  }
  GhResult<std::vector<github::IssueComment>> list_issue_comments(const github::Repo&,
                                                                  int) override {
    return std::vector<github::IssueComment>{};
  }
  GhResult<github::IssueComment> create_issue_comment(const github::Repo&, int,
                                                      const std::string&) override {
    return github::IssueComment{};
  }
  GhResult<github::IssueComment> update_issue_comment(const github::Repo&, int64_t,
                                                      const std::string&) override {
    return github::IssueComment{};
  }
  GhResult<void> react_to_issue_comment(const github::Repo&, int64_t, github::Reaction) override {
    return {};
  }
  GhResult<std::vector<std::string>> list_issue_labels(const github::Repo&, int) override {
    return std::vector<std::string>{};
  }
  GhResult<void> ensure_label(const github::Repo&, const github::Label&) override { return {}; }
  GhResult<void> add_labels(const github::Repo&, int, const std::vector<std::string>&) override {
    return {};
  }
  GhResult<void> remove_label(const github::Repo&, int, const std::string&) override { return {}; }
  GhResult<std::optional<github::PullRequest>> find_pull_by_head(const github::Repo&,
                                                                 const std::string&) override {
    return std::optional<github::PullRequest>{};
  }
  GhResult<github::PullRequest> create_pull(const github::Repo&,
                                            const github::NewPullRequest&) override {
    return github::PullRequest{};
  }
};

class RepoLookupsTest : public ::testing::Test {
 protected:
  CountingPort port;
  RepoLookups lookups{port, SystemClock::instance(), RepoConfig{}, std::chrono::seconds(60)};
  github::Repo repo{1, "acme", "widgets"};
};

TEST_F(RepoLookupsTest, AFileIsReadOncePerCommitAndAnAbsentOneIsRemembered) {
  port.files[port.head + ":.github/bottega/prompts/plan.md"] = "our planner";
  EXPECT_EQ(lookups.repo_file(repo, ".github/bottega/prompts/plan.md", "main"), "our planner");
  EXPECT_EQ(lookups.repo_file(repo, ".github/bottega/prompts/plan.md", "main"), "our planner");
  EXPECT_EQ(lookups.repo_file(repo, ".github/bottega/prompts/review.md", "main"), std::nullopt);
  EXPECT_EQ(lookups.repo_file(repo, ".github/bottega/prompts/review.md", "main"), std::nullopt);
  EXPECT_EQ(port.file_asks, 2) << "one read each, the missing file included";
  EXPECT_EQ(port.listing_asks, 1);
  EXPECT_EQ(port.branch_asks, 4) << "where main is, is asked each time (conditional: not charged)";
}

TEST_F(RepoLookupsTest, ARepositoryWithoutBottegaFilesCostsOneListingPerCommit) {
  port.files[port.head + ":.github/workflows/ci.yml"] = "on: push\n";
  auto config = lookups.repo_config(repo, "main");
  ASSERT_TRUE(config.ok());
  EXPECT_TRUE(config->error.empty());
  EXPECT_EQ(lookups.repo_file(repo, ".github/bottega/prompts/plan.md", "main"), std::nullopt);
  EXPECT_EQ(lookups.repo_file(repo, ".github/bottega/prompts/review.md", "main"), std::nullopt);
  EXPECT_FALSE(lookups.plan_template(repo, "main").empty()) << "ours";
  EXPECT_EQ(port.file_asks, 0) << "the listing says none of them is there";
  EXPECT_EQ(port.listing_asks, 1);
  port.head = std::string(40, 'b');
  port.files[port.head + ":.github/bottega.yml"] = "limits:\n  max_iterations: 4\n";
  auto moved = lookups.repo_config(repo, "main");
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(moved->config.max_iterations, 4) << "a new commit is listed again";
  EXPECT_EQ(lookups.repo_file(repo, ".github/bottega/prompts/plan.md", "main"), std::nullopt);
  EXPECT_EQ(port.file_asks, 1) << "only the file the listing shows";
  EXPECT_EQ(port.listing_asks, 2);
}

TEST_F(RepoLookupsTest, AListingThatCannotTellLeavesEachFileToBeAskedFor) {
  port.files[port.head + ":.github/bottega.yml"] = "limits:\n  max_iterations: 2\n";
  port.listing = CountingPort::Listing::fails;
  auto config = lookups.repo_config(repo, "main");
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->config.max_iterations, 2) << "read all the same";
  EXPECT_EQ(lookups.repo_file(repo, ".github/bottega/prompts/plan.md", "main"), std::nullopt);
  EXPECT_EQ(port.file_asks, 2);
  EXPECT_EQ(port.listing_asks, 2) << "a listing that failed is asked for again";

  port.head = std::string(40, 'b');
  port.listing = CountingPort::Listing::not_a_directory;
  EXPECT_EQ(lookups.repo_file(repo, ".github/bottega/prompts/plan.md", "main"), std::nullopt);
  EXPECT_EQ(lookups.repo_file(repo, ".github/bottega/prompts/review.md", "main"), std::nullopt);
  EXPECT_EQ(port.file_asks, 4);
  EXPECT_EQ(port.listing_asks, 3) << "one that cannot tell is kept for its commit";
}

TEST_F(RepoLookupsTest, AMovedBranchIsReadAgain) {
  port.files[port.head + ":.github/bottega.yml"] = "limits:\n  max_iterations: 2\n";
  auto first = lookups.repo_config(repo, "main");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->config.max_iterations, 2);
  port.head = std::string(40, 'b');
  port.files[port.head + ":.github/bottega.yml"] = "limits:\n  max_iterations: 4\n";
  auto second = lookups.repo_config(repo, "main");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->config.max_iterations, 4);
  EXPECT_EQ(port.file_asks, 2);
}

TEST_F(RepoLookupsTest, AHeadPassedAsTheRefAsksWhereTheBranchIsOnce) {
  auto head = lookups.head(repo, "main");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(*head, port.head);
  (void)lookups.repo_config(repo, *head);
  (void)lookups.plan_template(repo, *head);
  (void)lookups.repo_file(repo, ".github/bottega/prompts/implement.md", *head);
  EXPECT_EQ(port.branch_asks, 1);
}

TEST_F(RepoLookupsTest, TroubleAskingGitHubIsAnErrorNotTheDefaults) {
  port.branch_fails = true;
  auto config = lookups.repo_config(repo, "main");
  ASSERT_FALSE(config.ok()) << "a config GitHub could not be asked for is not the defaults";
  EXPECT_NE(config.error().message.find("connection reset"), std::string::npos)
      << config.error().message;
}

}  // namespace
}  // namespace bottega
