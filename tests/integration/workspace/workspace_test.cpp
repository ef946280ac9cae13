// The workspace against a fake GitHub serving git smart HTTP over HTTPS
// (a CA made at test time): the cache, task worktrees, commits, pushes, and
// where the installation token may and may not go.
#include "engine/workspace/workspace.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/support/fake_github/fake_github.h"
#include "tests/support/shell.h"
#include "tests/support/tls_fixture.h"

namespace bottega::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string q(const std::string& s) { return shell_quote(s); }

void write_file(const std::string& path, const std::string& content) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

class WorkspaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("bottega-workspace-");
    ASSERT_FALSE(dir_.empty());
    certs_ = make_test_certificates(dir_ + "/certs");
    fake_github::FakeGitHubOptions o;
    o.state_dir = dir_ + "/state";
    o.tls_cert_file = certs_.server_cert;
    o.tls_key_file = certs_.server_key;
    fake_ = std::make_unique<fake_github::FakeGitHub>(o);
    auto started = fake_->start();
    ASSERT_TRUE(started.ok()) << started.error().message;
    installation_ = fake_->add_installation("acme");
    auto repo = fake_->add_repository(installation_, "acme", "widgets",
                                      {{"README.md", "# widgets\n"},
                                       {".gitignore", "build/\n"},
                                       {"src/main.c", "int main(void) { return 0; }\n"}});
    ASSERT_TRUE(repo.ok()) << repo.error().message;
    token_ = fake_->issue_token(installation_, 3600s);
    remote_ = GitRemote{fake_->clone_url("acme", "widgets"), token_};
    ASSERT_EQ(remote_.clone_url.rfind("https://", 0), 0u);

    // Every log line of the run, unredacted, to look for the token in.
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(logs_);
    auto logger = std::make_shared<spdlog::logger>("test", sink);
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);
  }

  void TearDown() override {
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("null"));
    if (fake_) fake_->stop();
    fake_.reset();
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  WorkspaceOptions options(const std::string& root = "ws") const {
    WorkspaceOptions o;
    o.root = dir_ + "/" + root;
    o.ca_file = certs_.ca_cert;
    o.network_timeout = 60s;
    return o;
  }

  // git for looking around, outside the code under test.
  ShellResult git(const std::string& args) const {
    return run_shell("GIT_CONFIG_NOSYSTEM=1 HOME=" + q(dir_) + " LC_ALL=C git " + args + " 2>&1");
  }
  std::string git_ok(const std::string& args) const {
    auto r = git(args);
    EXPECT_EQ(r.status, 0) << "git " << args << ":\n" << r.out;
    return r.out;
  }

  std::string cache() const { return dir_ + "/ws/cache/acme/widgets.git"; }
  std::string remote_sha(const std::string& branch) const {
    return fake_->branch_sha("acme", "widgets", branch);
  }

  // Every file under `root` whose bytes contain the token.
  std::vector<std::string> files_with_token(const std::string& root) const {
    std::vector<std::string> hits;
    for (auto& e : fs::recursive_directory_iterator(root))
      if (e.is_regular_file() && read_file(e.path().string()).find(token_) != std::string::npos)
        hits.push_back(e.path().string());
    return hits;
  }

  std::string dir_;
  TestCertificates certs_;
  std::unique_ptr<fake_github::FakeGitHub> fake_;
  int64_t installation_ = 0;
  std::string token_;
  GitRemote remote_;
  std::ostringstream logs_;
};

TEST_F(WorkspaceTest, SyncCreatesTheBareCacheWithEveryBranchAndPrunes) {
  ASSERT_TRUE(
      fake_->commit_files("acme", "widgets", "feature", {{"f.txt", "f\n"}}, "feature work").ok());
  Workspace ws(options());
  auto synced = ws.sync("acme/widgets", remote_);
  ASSERT_TRUE(synced.ok()) << synced.error().message;

  EXPECT_EQ(first_line(git_ok("--git-dir=" + q(cache()) + " rev-parse --is-bare-repository")),
            "true");
  EXPECT_EQ(first_line(git_ok("--git-dir=" + q(cache()) + " rev-parse refs/remotes/origin/main")),
            remote_sha("main"));
  EXPECT_EQ(
      first_line(git_ok("--git-dir=" + q(cache()) + " rev-parse refs/remotes/origin/feature")),
      remote_sha("feature"));

  // Deleted on the remote: gone from the cache after the next sync; a new
  // commit on main arrives.
  git_ok("--git-dir=" + q(fake_->git_dir("acme", "widgets")) + " branch -D feature");
  ASSERT_TRUE(fake_->commit_files("acme", "widgets", "main", {{"n.txt", "n\n"}}, "more").ok());
  synced = ws.sync("acme/widgets", remote_);
  ASSERT_TRUE(synced.ok()) << synced.error().message;
  EXPECT_NE(
      git("--git-dir=" + q(cache()) + " rev-parse --verify --quiet refs/remotes/origin/feature")
          .status,
      0);
  EXPECT_EQ(first_line(git_ok("--git-dir=" + q(cache()) + " rev-parse refs/remotes/origin/main")),
            remote_sha("main"));
}

TEST_F(WorkspaceTest, TheTokenIsInNoFileNoLogLineAndNoEnvironmentLeftBehind) {
  Workspace ws(options());
  auto wt =
      ws.prepare_worktree("acme/widgets", remote_, "acme-widgets-1", "bottega/1-tokens", "main");
  ASSERT_TRUE(wt.ok()) << wt.error().message;
  write_file(*wt + "/change.txt", "x\n");
  auto sha = ws.commit_all(*wt, "a change");
  ASSERT_TRUE(sha.ok()) << sha.error().message;
  auto pushed = ws.push(*wt, remote_, "bottega/1-tokens");
  ASSERT_TRUE(pushed.ok()) << pushed.error().message;
  ASSERT_TRUE(ws.sync("acme/widgets", remote_).ok());

  // The config files name the plain URL and no helper or credential.
  const std::string config = read_file(cache() + "/config");
  EXPECT_NE(config.find("url = " + remote_.clone_url), std::string::npos) << config;
  EXPECT_EQ(config.find("helper"), std::string::npos) << config;
  EXPECT_EQ(config.find('@'), std::string::npos) << config;
  EXPECT_EQ(config.find(token_), std::string::npos);
  EXPECT_FALSE(fs::exists(cache() + "/worktrees/acme-widgets-1/config.worktree"));
  EXPECT_EQ(read_file(*wt + "/.git").find(token_), std::string::npos);
  // Nor anywhere else under the root, the fetched and pushed objects included.
  EXPECT_TRUE(files_with_token(dir_ + "/ws").empty());
  // git logged nothing with it; our process never had it in its environment.
  EXPECT_NE(logs_.str().find("git fetch"), std::string::npos)
      << "debug logging reached the test sink";
  EXPECT_EQ(logs_.str().find(token_), std::string::npos);
  EXPECT_EQ(std::getenv("BOTTEGA_GIT_TOKEN"), nullptr);
}

TEST_F(WorkspaceTest, HooksAndConfiguredCredentialHelpersNeverRunSoNeverSeeTheToken) {
  Workspace ws(options());
  ASSERT_TRUE(ws.sync("acme/widgets", remote_).ok());
  // What an agent able to write into the cache might plant.
  const std::string spy = dir_ + "/spy";
  fs::create_directories(spy);
  for (const char* hook : {"pre-push", "reference-transaction", "post-checkout", "pre-commit",
                           "commit-msg", "post-commit", "post-merge", "pre-auto-gc"}) {
    const std::string path = cache() + "/hooks/" + hook;
    write_file(path, "#!/bin/sh\nenv > " + q(spy + "/" + hook) + "\ncat >/dev/null\nexit 0\n");
    fs::permissions(path, fs::perms::owner_all);
  }
  git_ok("--git-dir=" + q(cache()) + " config core.hooksPath " + q(cache() + "/hooks"));
  git_ok("--git-dir=" + q(cache()) + " config credential.helper " +
         q("!f() { cat > " + spy + "/helper-$1; }; f"));

  auto wt =
      ws.prepare_worktree("acme/widgets", remote_, "acme-widgets-2", "bottega/2-hooks", "main");
  ASSERT_TRUE(wt.ok()) << wt.error().message;
  write_file(*wt + "/change.txt", "x\n");
  ASSERT_TRUE(ws.commit_all(*wt, "a change").ok());
  auto pushed = ws.push(*wt, remote_, "bottega/2-hooks");
  ASSERT_TRUE(pushed.ok()) << pushed.error().message;
  EXPECT_EQ(remote_sha("bottega/2-hooks"), *ws.head_sha(*wt));

  std::vector<std::string> ran;
  for (auto& e : fs::directory_iterator(spy)) ran.push_back(e.path().filename().string());
  EXPECT_TRUE(ran.empty()) << "ran: " << ::testing::PrintToString(ran);
  EXPECT_TRUE(files_with_token(dir_ + "/spy").empty());
}

TEST_F(WorkspaceTest, TheTokenGoesOnlyToTheCloneUrlsHost) {
  Workspace ws(options());
  ASSERT_TRUE(ws.sync("acme/widgets", remote_).ok());
  // The cache's config rewrites the URL to another host name (the same
  // server, which the test certificate also covers): git asks the helper
  // for that host, and the helper gives it nothing.
  const std::string port = std::to_string(fake_->port());
  git_ok("--git-dir=" + q(cache()) + " config url.https://localhost:" + port +
         "/.insteadOf https://127.0.0.1:" + port + "/");
  fake_->clear_requests();
  auto synced = ws.sync("acme/widgets", remote_);
  ASSERT_FALSE(synced.ok());
  EXPECT_NE(synced.error().message.find("authentication failed"), std::string::npos)
      << synced.error().message;
  ASSERT_FALSE(fake_->requests().empty());
  for (const auto& r : fake_->requests()) EXPECT_NE(r.auth, "basic") << r.path;
}

TEST_F(WorkspaceTest, ACredentialInTheCloneUrlIsRefusedWithoutEchoingIt) {
  Workspace ws(options());
  GitRemote bad{"https://x-access-token:" + token_ + "@127.0.0.1:" + std::to_string(fake_->port()) +
                    "/acme/widgets.git",
                token_};
  auto synced = ws.sync("acme/widgets", bad);
  ASSERT_FALSE(synced.ok());
  EXPECT_NE(synced.error().message.find("carries a credential"), std::string::npos)
      << synced.error().message;
  EXPECT_EQ(synced.error().message.find(token_), std::string::npos);
}

TEST_F(WorkspaceTest, ARevokedTokenFailsFastWithAClearErrorThatDoesNotHoldIt) {
  Workspace ws(options());
  ASSERT_TRUE(ws.sync("acme/widgets", remote_).ok());
  fake_->revoke_tokens(installation_);
  for (const char* root : {"ws", "fresh"}) {  // an existing cache and a first clone
    Workspace w(options(root));
    auto start = std::chrono::steady_clock::now();
    auto synced = w.sync("acme/widgets", remote_);
    ASSERT_FALSE(synced.ok()) << root;
    EXPECT_LT(std::chrono::steady_clock::now() - start, 20s);
    const auto& message = synced.error().message;
    EXPECT_EQ(message.rfind("git fetch of acme/widgets: authentication failed", 0), 0u) << message;
    EXPECT_EQ(message.find(token_), std::string::npos) << message;
  }
  auto wt = ws.prepare_worktree("acme/widgets", remote_, "acme-widgets-3", "bottega/3-x", "main");
  ASSERT_FALSE(wt.ok());
  EXPECT_NE(wt.error().message.find("authentication failed"), std::string::npos)
      << wt.error().message;
  EXPECT_EQ(logs_.str().find(token_), std::string::npos);
}

TEST_F(WorkspaceTest, ARemoteThatNeverAnswersTimesOut) {
  // Accepts connections (the kernel does) and never says a word.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 16), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  GitRemote silent{
      "https://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/acme/widgets.git", token_};

  auto o = options();
  o.network_timeout = 2s;
  Workspace ws(o);
  auto start = std::chrono::steady_clock::now();
  auto synced = ws.sync("acme/widgets", silent);
  auto took = std::chrono::steady_clock::now() - start;
  ::close(fd);
  ASSERT_FALSE(synced.ok());
  EXPECT_NE(synced.error().message.find("git fetch of acme/widgets: timed out after 2 s"),
            std::string::npos)
      << synced.error().message;
  EXPECT_GE(took, 2s);
  EXPECT_LT(took, 15s);
}

TEST_F(WorkspaceTest, ANewTaskBranchStartsFromTheBaseBranch) {
  Workspace ws(options());
  auto wt = ws.prepare_worktree("acme/widgets", remote_, "acme-widgets-4", "bottega/4-new", "main");
  ASSERT_TRUE(wt.ok()) << wt.error().message;
  EXPECT_EQ(*wt, fs::canonical(dir_).string() + "/ws/worktrees/acme-widgets-4");
  EXPECT_TRUE(fs::path(*wt).is_absolute());
  EXPECT_EQ(*ws.head_sha(*wt), remote_sha("main"));
  EXPECT_EQ(first_line(git_ok("-C " + q(*wt) + " symbolic-ref HEAD")), "refs/heads/bottega/4-new");
  EXPECT_EQ(read_file(*wt + "/README.md"), "# widgets\n");
  // No upstream recorded: the cache's config stays what sync wrote.
  EXPECT_EQ(read_file(cache() + "/config").find("bottega/4-new"), std::string::npos);

  auto missing =
      ws.prepare_worktree("acme/widgets", remote_, "acme-widgets-5", "bottega/5-x", "no-such-base");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("no-such-base"), std::string::npos)
      << missing.error().message;
}

TEST_F(WorkspaceTest, PreparingTwiceReusesTheWorktreeWithItsChanges) {
  Workspace ws(options());
  auto first =
      ws.prepare_worktree("acme/widgets", remote_, "acme-widgets-6", "bottega/6-twice", "main");
  ASSERT_TRUE(first.ok()) << first.error().message;
  write_file(*first + "/work-in-progress.txt", "wip\n");
  auto second =
      ws.prepare_worktree("acme/widgets", remote_, "acme-widgets-6", "bottega/6-twice", "main");
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(*first, *second);
  EXPECT_EQ(read_file(*second + "/work-in-progress.txt"), "wip\n");
  EXPECT_EQ(*ws.changed_files(*second), std::vector<std::string>{"work-in-progress.txt"});

  // On another branch it is rebuilt on the one asked for.
  auto other =
      ws.prepare_worktree("acme/widgets", remote_, "acme-widgets-6", "bottega/6-other", "main");
  ASSERT_TRUE(other.ok()) << other.error().message;
  EXPECT_EQ(first_line(git_ok("-C " + q(*other) + " symbolic-ref HEAD")),
            "refs/heads/bottega/6-other");
  EXPECT_FALSE(fs::exists(*other + "/work-in-progress.txt"));
}

TEST_F(WorkspaceTest, WorktreesOfTwoTasksAreIndependent) {
  Workspace ws(options());
  auto a = ws.prepare_worktree("acme/widgets", remote_, "acme-widgets-7", "bottega/7-a", "main");
  auto b = ws.prepare_worktree("acme/widgets", remote_, "acme-widgets-8", "bottega/8-b", "main");
  ASSERT_TRUE(a.ok()) << a.error().message;
  ASSERT_TRUE(b.ok()) << b.error().message;
  ASSERT_NE(*a, *b);
  write_file(*a + "/only-in-a.txt", "a\n");
  EXPECT_EQ(*ws.changed_files(*a), std::vector<std::string>{"only-in-a.txt"});
  EXPECT_TRUE(ws.changed_files(*b)->empty());
  auto committed = ws.commit_all(*a, "task a");
  ASSERT_TRUE(committed.ok() && committed->has_value());
  EXPECT_EQ(*ws.head_sha(*b), remote_sha("main"));
  EXPECT_FALSE(fs::exists(*b + "/only-in-a.txt"));
  ASSERT_TRUE(ws.remove_worktree("acme/widgets", "acme-widgets-7").ok());
  EXPECT_EQ(*ws.head_sha(*b), remote_sha("main"));
  EXPECT_TRUE(ws.changed_files(*b)->empty());
}

TEST_F(WorkspaceTest, ARemovedWorktreeIsRebuiltFromThePushedBranchOnThisHostOrAnother) {
  Workspace ws(options());
  auto wt =
      ws.prepare_worktree("acme/widgets", remote_, "acme-widgets-9", "bottega/9-recover", "main");
  ASSERT_TRUE(wt.ok()) << wt.error().message;
  write_file(*wt + "/done.txt", "turn 1\n");
  auto sha = ws.commit_all(*wt, "turn 1");
  ASSERT_TRUE(sha.ok() && sha->has_value());
  ASSERT_TRUE(ws.push(*wt, remote_, "bottega/9-recover").ok());
  ASSERT_EQ(remote_sha("bottega/9-recover"), **sha);

  ASSERT_TRUE(ws.remove_worktree("acme/widgets", "acme-widgets-9").ok());
  EXPECT_FALSE(fs::exists(*wt));
  EXPECT_NE(
      git("--git-dir=" + q(cache()) + " rev-parse --verify --quiet refs/heads/bottega/9-recover")
          .status,
      0);
  EXPECT_TRUE(ws.remove_worktree("acme/widgets", "acme-widgets-9").ok()) << "absent: success";

  auto again =
      ws.prepare_worktree("acme/widgets", remote_, "acme-widgets-9", "bottega/9-recover", "main");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(*ws.head_sha(*again), **sha);
  EXPECT_EQ(read_file(*again + "/done.txt"), "turn 1\n");

  // Another host, its own root and cache: the same pushed commit.
  Workspace other(options("host-b"));
  auto there = other.prepare_worktree("acme/widgets", remote_, "acme-widgets-9",
                                      "bottega/9-recover", "main");
  ASSERT_TRUE(there.ok()) << there.error().message;
  EXPECT_EQ(*other.head_sha(*there), **sha);
  EXPECT_EQ(read_file(*there + "/done.txt"), "turn 1\n");
}

TEST_F(WorkspaceTest, ALostWorktreeDirectoryIsRecreated) {
  Workspace ws(options());
  auto wt =
      ws.prepare_worktree("acme/widgets", remote_, "acme-widgets-10", "bottega/10-lost", "main");
  ASSERT_TRUE(wt.ok()) << wt.error().message;
  fs::remove_all(*wt);  // a crash, a cleanup script: the cache still lists it
  auto again =
      ws.prepare_worktree("acme/widgets", remote_, "acme-widgets-10", "bottega/10-lost", "main");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(*ws.head_sha(*again), remote_sha("main"));
  // A plain directory in its place (a half-made worktree) too.
  fs::remove_all(*wt);
  write_file(*wt + "/junk.txt", "junk\n");
  again =
      ws.prepare_worktree("acme/widgets", remote_, "acme-widgets-10", "bottega/10-lost", "main");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_FALSE(fs::exists(*wt + "/junk.txt"));
  EXPECT_TRUE(ws.changed_files(*again)->empty());
}

TEST_F(WorkspaceTest, ChangedFilesListsTrackedAndUntrackedButNotIgnoredAndDiscardPutsThemBack) {
  Workspace ws(options());
  auto wt =
      ws.prepare_worktree("acme/widgets", remote_, "acme-widgets-11", "bottega/11-review", "main");
  ASSERT_TRUE(wt.ok()) << wt.error().message;
  write_file(*wt + "/README.md", "# changed by a reviewer\n");
  fs::remove(*wt + "/src/main.c");
  write_file(*wt + "/new/dir/file.txt", "new\n");
  write_file(*wt + "/with space.txt", "s\n");
  write_file(*wt + "/build/out.o", "ignored\n");
  fs::create_directories(*wt + "/nested-repo");
  git_ok("init -q " + q(*wt + "/nested-repo"));

  const std::vector<std::string> expected = {"README.md", "nested-repo/", "new/dir/file.txt",
                                             "src/main.c", "with space.txt"};
  auto changed = ws.changed_files(*wt);
  ASSERT_TRUE(changed.ok()) << changed.error().message;
  EXPECT_EQ(*changed, expected);

  auto discarded = ws.discard_changes(*wt);
  ASSERT_TRUE(discarded.ok()) << discarded.error().message;
  EXPECT_EQ(*discarded, expected);
  EXPECT_TRUE(ws.changed_files(*wt)->empty());
  EXPECT_EQ(read_file(*wt + "/README.md"), "# widgets\n");
  EXPECT_TRUE(fs::exists(*wt + "/src/main.c"));
  EXPECT_FALSE(fs::exists(*wt + "/new"));
  EXPECT_FALSE(fs::exists(*wt + "/nested-repo"));
  EXPECT_EQ(read_file(*wt + "/build/out.o"), "ignored\n");  // build output survives
  EXPECT_TRUE(ws.discard_changes(*wt)->empty());
}

TEST_F(WorkspaceTest, CommitAllCommitsTheWorktreeOnlyAsTheBotIdentity) {
  Workspace ws(options());
  auto wt =
      ws.prepare_worktree("acme/widgets", remote_, "acme-widgets-12", "bottega/12-commit", "main");
  ASSERT_TRUE(wt.ok()) << wt.error().message;
  auto nothing = ws.commit_all(*wt, "nothing");
  ASSERT_TRUE(nothing.ok()) << nothing.error().message;
  EXPECT_FALSE(nothing->has_value());

  // An identity configured in the cache does not win; files beside the
  // worktree (the task document) are not committed.
  git_ok("--git-dir=" + q(cache()) + " config user.name Mallory");
  git_ok("--git-dir=" + q(cache()) + " config user.email mallory@example.com");
  write_file(dir_ + "/ws/tasks/12/task.md", "# the task document\n");
  write_file(dir_ + "/ws/worktrees/loose.txt", "beside the worktrees\n");
  write_file(*wt + "/src/feature.c", "void feature(void) {}\n");
  fs::remove(*wt + "/README.md");

  auto sha = ws.commit_all(*wt, "Add the feature\n\nCloses #12");
  ASSERT_TRUE(sha.ok()) << sha.error().message;
  ASSERT_TRUE(sha->has_value());
  EXPECT_EQ(**sha, *ws.head_sha(*wt));
  EXPECT_EQ(**sha, first_line(git_ok("-C " + q(*wt) + " rev-parse HEAD")));
  EXPECT_EQ(git_ok("-C " + q(*wt) + " log -1 --format=%an%n%ae%n%cn%n%ce"),
            "bottega[bot]\nbottega[bot]@users.noreply.github.com\nbottega[bot]\nbottega[bot]@users."
            "noreply.github.com\n");
  EXPECT_EQ(git_ok("-C " + q(*wt) + " log -1 --format=%B"), "Add the feature\n\nCloses #12\n\n");
  EXPECT_EQ(git_ok("-C " + q(*wt) + " show --name-status --format= HEAD"),
            "D\tREADME.md\nA\tsrc/feature.c\n");
  EXPECT_EQ(first_line(git_ok("-C " + q(*wt) + " rev-parse HEAD~1")), remote_sha("main"));
  EXPECT_TRUE(ws.changed_files(*wt)->empty());
  EXPECT_FALSE(ws.commit_all(*wt, "again")->has_value());
}

TEST_F(WorkspaceTest, PushUsesALeaseAndRefusesBranchesThatAreNotOurs) {
  Workspace ws(options());
  const std::string branch = "bottega/13-lease";
  auto wt = ws.prepare_worktree("acme/widgets", remote_, "acme-widgets-13", branch, "main");
  ASSERT_TRUE(wt.ok()) << wt.error().message;
  write_file(*wt + "/one.txt", "1\n");
  ASSERT_TRUE(ws.commit_all(*wt, "one").ok());

  const std::string main_before = remote_sha("main");
  for (const char* other : {"main", "feature/x", "bottega", "bottegax/1", "bottega/../main"}) {
    auto refused = ws.push(*wt, remote_, other);
    ASSERT_FALSE(refused.ok()) << other;
    EXPECT_NE(refused.error().message.find("refusing to push"), std::string::npos)
        << refused.error().message;
  }
  EXPECT_EQ(remote_sha("main"), main_before);

  auto pushed = ws.push(*wt, remote_, branch);
  ASSERT_TRUE(pushed.ok()) << pushed.error().message;
  EXPECT_EQ(remote_sha(branch), *ws.head_sha(*wt));
  // Amended and pushed again: a force push our lease allows.
  git_ok("-C " + q(*wt) +
         " -c user.name=t -c user.email=t@example.com commit -q --amend -m one-amended");
  pushed = ws.push(*wt, remote_, branch);
  ASSERT_TRUE(pushed.ok()) << pushed.error().message;
  EXPECT_EQ(remote_sha(branch), *ws.head_sha(*wt));

  // Someone else pushes to the branch: our next push must not overwrite it.
  auto theirs =
      fake_->commit_files("acme", "widgets", branch, {{"theirs.txt", "t\n"}}, "theirs", "octocat");
  ASSERT_TRUE(theirs.ok());
  write_file(*wt + "/two.txt", "2\n");
  ASSERT_TRUE(ws.commit_all(*wt, "two").ok());
  auto broken = ws.push(*wt, remote_, branch);
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.error().message.find("the remote branch changed since it was last fetched"),
            std::string::npos)
      << broken.error().message;
  EXPECT_EQ(remote_sha(branch), *theirs);
  EXPECT_EQ(broken.error().message.find(token_), std::string::npos);

  // Once fetched (the caller has seen their commit), the push goes through.
  ASSERT_TRUE(ws.sync("acme/widgets", remote_).ok());
  pushed = ws.push(*wt, remote_, branch);
  ASSERT_TRUE(pushed.ok()) << pushed.error().message;
  EXPECT_EQ(remote_sha(branch), *ws.head_sha(*wt));
}

TEST_F(WorkspaceTest, ConcurrentSyncsOfOneRepositoryAreSerialized) {
  std::vector<std::thread> threads;
  std::vector<std::string> errors(6);
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      Workspace ws(options());  // separate instances, as separate processes would have
      if (i % 2) {
        auto r = ws.sync("acme/widgets", remote_);
        if (!r.ok()) errors[i] = r.error().message;
      } else {
        auto r = ws.prepare_worktree("acme/widgets", remote_, "acme-widgets-c" + std::to_string(i),
                                     "bottega/c" + std::to_string(i), "main");
        if (!r.ok()) errors[i] = r.error().message;
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < 6; ++i) EXPECT_EQ(errors[i], "") << i;
  std::istringstream list(git_ok("--git-dir=" + q(cache()) + " worktree list --porcelain"));
  int worktrees = 0;
  for (std::string line; std::getline(list, line);) worktrees += line.rfind("worktree ", 0) == 0;
  EXPECT_EQ(worktrees, 4);  // the bare cache itself and three tasks
}

TEST_F(WorkspaceTest, RefusesNamesThatWouldLeaveTheRoot) {
  Workspace ws(options());
  EXPECT_FALSE(ws.sync("acme", remote_).ok());
  EXPECT_FALSE(ws.sync("../widgets", remote_).ok());
  EXPECT_FALSE(ws.sync("acme/..", remote_).ok());
  EXPECT_FALSE(
      ws.prepare_worktree("acme/widgets", remote_, "../escape", "bottega/1-x", "main").ok());
  EXPECT_FALSE(ws.prepare_worktree("acme/widgets", remote_, "a/b", "bottega/1-x", "main").ok());
  EXPECT_FALSE(ws.prepare_worktree("acme/widgets", remote_, "t", "bottega/1 x", "main").ok());
  EXPECT_FALSE(ws.remove_worktree("acme/widgets", "..").ok());
  // Only our own worktrees are reset, committed or listed.
  EXPECT_FALSE(ws.discard_changes(dir_).ok());
  EXPECT_FALSE(ws.changed_files(fake_->git_dir("acme", "widgets")).ok());
  EXPECT_FALSE(fs::exists(dir_ + "/escape"));
}

// ---------------------------------------------------------------------------
// The agent's git view, and an agent that attacks the app through git.

TEST_F(WorkspaceTest, TheAgentsViewShowsTheBranchAndChangesAndItsCommitsStayInTheView) {
  Workspace ws(options());
  const std::string branch = "bottega/20-view";
  auto wt = ws.prepare_worktree("acme/widgets", remote_, "acme-widgets-20", branch, "main");
  ASSERT_TRUE(wt.ok()) << wt.error().message;
  const std::string view_dir = dir_ + "/run/git";
  fs::create_directories(dir_ + "/run");
  auto view = ws.prepare_agent_view(*wt, view_dir);
  ASSERT_TRUE(view.ok()) << view.error().message;
  EXPECT_EQ(view->git_dir, view_dir);
  EXPECT_EQ(view->readable, std::vector<std::string>{cache() + "/objects"});
  EXPECT_EQ(read_file(*wt + "/.git"), "gitdir: " + view_dir + "\n");

  // What the agent's git sees, run in the worktree as the agent would.
  write_file(*wt + "/README.md", "# widgets, by the agent\n");
  write_file(*wt + "/src/new.c", "int x;\n");
  const std::string in_wt = "-C " + q(*wt) + " ";
  EXPECT_EQ(git_ok(in_wt + "symbolic-ref HEAD"), "refs/heads/" + branch + "\n");
  EXPECT_EQ(git_ok(in_wt + "status --porcelain=v1 --untracked-files=all"),
            " M README.md\n?? src/new.c\n");
  EXPECT_EQ(first_line(git_ok(in_wt + "log -1 --format=%H")), remote_sha("main"));
  EXPECT_EQ(git_ok(in_wt + "diff --name-only"), "README.md\n");
  EXPECT_EQ(git_ok(in_wt + "diff --name-only origin/main"), "README.md\n");
  EXPECT_EQ(first_line(git_ok(in_wt + "rev-parse origin/main")), remote_sha("main"));

  // The agent commits in its view: objects and refs land there, not in the cache.
  git_ok(in_wt + "add -A");
  git_ok(in_wt + "-c user.name=agent -c user.email=agent@example.com commit -q -m by-the-agent");
  const std::string agent_commit = first_line(git_ok(in_wt + "rev-parse HEAD"));
  EXPECT_NE(agent_commit, remote_sha("main"));
  EXPECT_EQ(git_ok(in_wt + "status --porcelain"), "");
  EXPECT_NE(git("--git-dir=" + q(cache()) + " cat-file -e " + agent_commit).status, 0);
  EXPECT_TRUE(fs::exists(view_dir + "/objects/" + agent_commit.substr(0, 2)));

  // The app's HEAD and index did not move: it still sees the changes, and
  // commits them as the bot on its own HEAD.
  EXPECT_EQ(*ws.head_sha(*wt), remote_sha("main"));
  EXPECT_EQ(*ws.changed_files(*wt), (std::vector<std::string>{"README.md", "src/new.c"}));
  auto sha = ws.commit_all(*wt, "the bot's commit");
  ASSERT_TRUE(sha.ok() && sha->has_value());
  EXPECT_EQ(git_ok("--git-dir=" + q(cache()) + " log -1 --format=%an%n%P " + **sha),
            "bottega[bot]\n" + remote_sha("main") + "\n");
  ASSERT_TRUE(ws.push(*wt, remote_, branch).ok());
  EXPECT_EQ(remote_sha(branch), **sha);

  // The next turn's view starts from the app's new HEAD; the old one is replaced.
  view = ws.prepare_agent_view(*wt, view_dir);
  ASSERT_TRUE(view.ok()) << view.error().message;
  EXPECT_EQ(first_line(git_ok(in_wt + "rev-parse HEAD")), **sha);
  EXPECT_EQ(git_ok(in_wt + "status --porcelain"), "");
  EXPECT_EQ(first_line(git_ok(in_wt + "rev-parse origin/" + branch)), **sha);

  // A view is refused inside the workspace root, and for a path that is not ours.
  EXPECT_FALSE(ws.prepare_agent_view(*wt, *wt + "/.git-view").ok());
  EXPECT_FALSE(ws.prepare_agent_view(*wt, dir_ + "/ws/elsewhere").ok());
  EXPECT_FALSE(ws.prepare_agent_view(*wt, "relative/git").ok());
  EXPECT_FALSE(ws.prepare_agent_view(dir_, dir_ + "/run/git2").ok());
}

TEST_F(WorkspaceTest, PreparingTheViewReplacesADotGitLinkWithoutTouchingItsTarget) {
  Workspace ws(options());
  auto wt = ws.prepare_worktree("acme/widgets", remote_, "acme-widgets-21", "bottega/21-l", "main");
  ASSERT_TRUE(wt.ok()) << wt.error().message;
  write_file(dir_ + "/precious", "precious\n");
  fs::remove(*wt + "/.git");
  fs::create_symlink(dir_ + "/precious", *wt + "/.git");
  auto view = ws.prepare_agent_view(*wt, dir_ + "/run/git");
  ASSERT_TRUE(view.ok()) << view.error().message;
  EXPECT_EQ(read_file(dir_ + "/precious"), "precious\n");
  EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(*wt + "/.git")));
  EXPECT_EQ(read_file(*wt + "/.git"), "gitdir: " + dir_ + "/run/git\n");
  // A directory there goes too (links inside it are removed, not followed).
  fs::remove(*wt + "/.git");
  fs::create_directories(*wt + "/.git/sub");
  fs::create_directory_symlink(dir_ + "/state", *wt + "/.git/sub/link");
  view = ws.prepare_agent_view(*wt, dir_ + "/run/git");
  ASSERT_TRUE(view.ok()) << view.error().message;
  EXPECT_EQ(read_file(*wt + "/.git"), "gitdir: " + dir_ + "/run/git\n");
  EXPECT_TRUE(fs::exists(dir_ + "/state"));
}

// Programs an agent would like the app's git to run, each writing a file
// named after itself into the spy directory when run.
class AgentAttackTest : public WorkspaceTest {
 protected:
  void SetUp() override {
    WorkspaceTest::SetUp();
    if (HasFatalFailure()) return;
    spy_ = dir_ + "/spy";
    fs::create_directories(spy_);
    fs::create_directories(dir_ + "/canaries");
  }

  std::string canary(const std::string& name) const {
    const std::string path = dir_ + "/canaries/" + name;
    if (!fs::exists(path)) {
      // Passes its input through, so a filter or hook "works" when run.
      write_file(path, "#!/bin/sh\n: > " + q(spy_ + "/" + name) + "\ncat 2>/dev/null\nexit 0\n");
      fs::permissions(path, fs::perms::owner_all);
    }
    return path;
  }

  // Makes the git dir `git_dir` as hostile as config and hooks allow.
  void poison(const std::string& git_dir) const {
    const std::string hooks = git_dir + "/evil-hooks";
    fs::create_directories(hooks);
    for (const char* hook : {"pre-commit", "prepare-commit-msg", "commit-msg", "post-commit",
                             "post-checkout", "post-merge", "pre-push", "reference-transaction",
                             "post-index-change", "pre-auto-gc", "post-rewrite"}) {
      fs::copy_file(canary(std::string("hook-") + hook), hooks + "/" + hook,
                    fs::copy_options::overwrite_existing);
      fs::copy_file(canary(std::string("hook-") + hook), git_dir + "/hooks/" + hook,
                    fs::copy_options::overwrite_existing);
    }
    const std::string include = git_dir + "/evil-include";
    write_file(include, "[diff \"x\"]\n\ttextconv = " + canary("include-textconv") +
                            "\n[filter \"y\"]\n\tclean = " + canary("include-filter-clean") +
                            "\n\tsmudge = " + canary("include-filter-smudge") +
                            "\n[core]\n\tpager = " + canary("include-pager") + "\n");
    const std::string gd = "--git-dir=" + q(git_dir) + " ";
    for (const std::string& kv : std::vector<std::string>{
             "core.fsmonitor " + q(canary("fsmonitor")), "core.hooksPath " + q(hooks),
             "core.sshCommand " + q(canary("ssh")), "core.askPass " + q(canary("askpass")),
             "core.editor " + q(canary("editor")),
             "credential.helper " + q("!" + canary("credential")),
             "diff.external " + q(canary("diff-external")),
             "filter.x.clean " + q(canary("filter-clean")),
             "filter.x.smudge " + q(canary("filter-smudge")), std::string("filter.x.required true"),
             "filter.x.process " + q(canary("filter-process")), "include.path " + q(include),
             "core.untrackedCache true", "submodule.recurse true", "status.submoduleSummary true",
             "gpg.program " + q(canary("gpg")), "commit.gpgSign true"})
      git_ok(gd + "config " + kv);
  }

  // A git dir of the agent's own making outside the worktree.
  std::string evil_git_dir() const {
    const std::string evil = dir_ + "/evil.git";
    git_ok("init -q --bare " + q(evil));
    git_ok("--git-dir=" + q(evil) + " config core.bare false");
    poison(evil);
    return evil;
  }

  // The agent's ordinary work: an edit, a new file, a symbolic link to a
  // file outside the tree, attributes asking for the filters above.
  void agent_edits(const std::string& wt) const {
    write_file(dir_ + "/secret", "SECRET\n");
    write_file(wt + "/README.md", "# widgets, by the agent\n");
    write_file(wt + "/src/agent.c", "int agent;\n");
    fs::create_symlink(dir_ + "/secret", wt + "/leak");
    write_file(wt + "/.gitattributes", "* filter=x diff=x\n*.md filter=y\n");
  }

  std::vector<std::string> ran() const {
    std::vector<std::string> names;
    for (auto& e : fs::directory_iterator(spy_)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

  // Everything the app does with a task worktree after a turn; none of it
  // may run a canary, and the commit holds exactly the agent's files.
  void run_the_app_and_check(Workspace& ws, const std::string& wt, const std::string& branch,
                             const std::string& extra_status = "",
                             const std::string& extra_commit = "") {
    for (auto& e : fs::directory_iterator(spy_)) fs::remove(e.path());  // the agent's own runs
    app_steps(ws, wt, branch, extra_status, extra_commit);
    EXPECT_EQ(ran(), std::vector<std::string>{}) << "the app's git ran the agent's programs";
  }

  void app_steps(Workspace& ws, const std::string& wt, const std::string& branch,
                 const std::string& extra_status, const std::string& extra_commit) {
    std::vector<std::string> expected = {".gitattributes", "README.md", "leak", "src/agent.c"};
    if (!extra_status.empty()) expected.push_back(extra_status);
    auto changed = ws.changed_files(wt);
    ASSERT_TRUE(changed.ok()) << changed.error().message;
    EXPECT_EQ(*changed, expected);
    auto head = ws.head_sha(wt);
    ASSERT_TRUE(head.ok()) << head.error().message;
    EXPECT_EQ(*head, remote_sha("main"));

    auto sha = ws.commit_all(wt, "the agent's work");
    ASSERT_TRUE(sha.ok()) << sha.error().message;
    ASSERT_TRUE(sha->has_value());
    auto pushed = ws.push(wt, remote_, branch);
    ASSERT_TRUE(pushed.ok()) << pushed.error().message;
    EXPECT_EQ(remote_sha(branch), **sha);

    const std::string in_cache = "--git-dir=" + q(cache()) + " ";
    EXPECT_EQ(git_ok(in_cache + "diff-tree -r --no-commit-id --name-status " + **sha),
              "A\t.gitattributes\nM\tREADME.md\nA\tleak\nA\tsrc/agent.c\n" + extra_commit);
    EXPECT_EQ(first_line(git_ok(in_cache + "rev-parse " + **sha + "~1")), remote_sha("main"));
    // The link committed as a link, its target's text and not the secret.
    EXPECT_EQ(git_ok(in_cache + "ls-tree " + **sha + " leak").substr(0, 6), "120000");
    EXPECT_EQ(git_ok(in_cache + "cat-file -p " + **sha + ":leak"), dir_ + "/secret");
    EXPECT_EQ(git_ok(in_cache + "cat-file -p " + **sha + ":README.md"),
              "# widgets, by the agent\n");
    EXPECT_EQ(git(in_cache + "cat-file -e " + **sha + ":.git").status == 0, false);

    // More work the app throws away (a review turn).
    write_file(wt + "/README.md", "# scribbled\n");
    write_file(wt + "/junk.txt", "junk\n");
    auto discarded = ws.discard_changes(wt);
    ASSERT_TRUE(discarded.ok()) << discarded.error().message;
    EXPECT_EQ(*discarded, (std::vector<std::string>{"README.md", "junk.txt"}));
    EXPECT_EQ(read_file(wt + "/README.md"), "# widgets, by the agent\n");
    EXPECT_FALSE(fs::exists(wt + "/junk.txt"));
    EXPECT_EQ(read_file(dir_ + "/secret"), "SECRET\n");

    // The next turn reuses the worktree; removing it at the end runs nothing either.
    auto again = ws.prepare_worktree("acme/widgets", remote_, fs::path(wt).filename().string(),
                                     branch, "main");
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_EQ(*ws.head_sha(wt), **sha);
    ASSERT_TRUE(ws.remove_worktree("acme/widgets", fs::path(wt).filename().string()).ok());
    EXPECT_FALSE(fs::exists(wt));
    EXPECT_EQ(read_file(dir_ + "/secret"), "SECRET\n");
  }

  std::string spy_;
};

TEST_F(AgentAttackTest, ADotGitPointingAtTheAgentsGitDirIsNeverRead) {
  Workspace ws(options());
  const std::string branch = "bottega/30-gitfile";
  auto wt = ws.prepare_worktree("acme/widgets", remote_, "acme-widgets-30", branch, "main");
  ASSERT_TRUE(wt.ok()) << wt.error().message;
  ASSERT_TRUE(ws.prepare_agent_view(*wt, dir_ + "/run/git").ok());
  agent_edits(*wt);
  write_file(*wt + "/.git", "gitdir: " + evil_git_dir() + "\n");
  run_the_app_and_check(ws, *wt, branch);
}

TEST_F(AgentAttackTest, ADotGitSymlinkToTheAgentsGitDirIsNeverFollowed) {
  Workspace ws(options());
  const std::string branch = "bottega/31-symlink";
  auto wt = ws.prepare_worktree("acme/widgets", remote_, "acme-widgets-31", branch, "main");
  ASSERT_TRUE(wt.ok()) << wt.error().message;
  agent_edits(*wt);
  fs::remove(*wt + "/.git");
  fs::create_directory_symlink(evil_git_dir(), *wt + "/.git");
  run_the_app_and_check(ws, *wt, branch);
}

TEST_F(AgentAttackTest, APoisonedViewConfigIsTheAgentsAlone) {
  Workspace ws(options());
  const std::string branch = "bottega/32-view";
  auto wt = ws.prepare_worktree("acme/widgets", remote_, "acme-widgets-32", branch, "main");
  ASSERT_TRUE(wt.ok()) << wt.error().message;
  auto view = ws.prepare_agent_view(*wt, dir_ + "/run/git");
  ASSERT_TRUE(view.ok()) << view.error().message;
  agent_edits(*wt);
  fs::create_directories(view->git_dir + "/hooks");
  poison(view->git_dir);
  // Even the view's pointer to the shared objects is the agent's to break.
  write_file(view->git_dir + "/objects/info/alternates", dir_ + "/evil.git/objects\n");
  run_the_app_and_check(ws, *wt, branch);
}

TEST_F(AgentAttackTest, ADotGitDirectoryOfTheAgentsIsNeverRead) {
  Workspace ws(options());
  const std::string branch = "bottega/33-gitdir";
  auto wt = ws.prepare_worktree("acme/widgets", remote_, "acme-widgets-33", branch, "main");
  ASSERT_TRUE(wt.ok()) << wt.error().message;
  agent_edits(*wt);
  fs::remove(*wt + "/.git");
  git_ok("init -q " + q(*wt));
  poison(*wt + "/.git");
  run_the_app_and_check(ws, *wt, branch);
}

TEST_F(AgentAttackTest, ANestedRepositoryIsCommittedAsAGitlinkAndNeverEntered) {
  Workspace ws(options());
  const std::string branch = "bottega/34-nested";
  auto wt = ws.prepare_worktree("acme/widgets", remote_, "acme-widgets-34", branch, "main");
  ASSERT_TRUE(wt.ok()) << wt.error().message;
  ASSERT_TRUE(ws.prepare_agent_view(*wt, dir_ + "/run/git").ok());
  agent_edits(*wt);
  const std::string nested = *wt + "/vendor/lib";
  write_file(nested + "/lib.c", "int lib;\n");
  git_ok("init -q " + q(nested));
  git_ok("-C " + q(nested) + " add -A");
  git_ok("-C " + q(nested) + " -c user.name=a -c user.email=a@example.com commit -q -m lib");
  const std::string nested_head = first_line(git_ok("-C " + q(nested) + " rev-parse HEAD"));
  poison(nested + "/.git");
  write_file(nested + "/lib.c", "int lib; // dirty, so a status would look inside\n");
  write_file(nested + "/untracked.c", "\n");
  run_the_app_and_check(ws, *wt, branch, "vendor/lib/", "A\tvendor/lib\n");
  EXPECT_EQ(git_ok("--git-dir=" + q(cache()) + " ls-tree " + remote_sha(branch) + " vendor/lib"),
            "160000 commit " + nested_head + "\tvendor/lib\n");
}

}  // namespace
}  // namespace bottega::testing
