// The sandbox's bwrap arguments, its generated /etc files, and the
// bridge's --forward syntax.
#include "engine/agents/sandbox.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "engine/agents/bridge.h"

namespace bottega::agents {
namespace {

namespace fs = std::filesystem;
using Args = std::vector<std::string>;

std::ptrdiff_t at(const Args& argv, const Args& seq) {
  auto it = std::search(argv.begin(), argv.end(), seq.begin(), seq.end());
  return it == argv.end() ? -1 : it - argv.begin();
}
bool contains_seq(const Args& argv, const Args& seq) { return at(argv, seq) >= 0; }
bool contains(const Args& argv, const std::string& a) {
  return std::find(argv.begin(), argv.end(), a) != argv.end();
}

SandboxSpec spec() {
  SandboxSpec s;
  s.worktree = "/srv/bottega/data/worktrees/task-1";
  s.run_dir = "/srv/bottega/data/runs/r1";
  s.readable = {"/opt/toolchain"};
  s.writable = {"/srv/bottega/data/repos/x.git/worktrees/task-1"};
  s.sockets = {"/srv/bottega/data/sockets/turn-7/proxy.sock"};
  s.data_files = {{7, "/etc/passwd"}, {8, "/etc/group"}};
  return s;
}

TEST(Sandbox, BuildsFromAnEmptyRootAsAnUnprivilegedUserWithoutCapabilities) {
  auto a = sandbox_command(spec(), "", {"claude", "-p", "x"});
  EXPECT_EQ(a[0], "bwrap");
  EXPECT_FALSE(contains_seq(a, {"/", "/"})) << "the host's root is never bound";
  for (const char* ns :
       {"--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-net", "--unshare-uts",
        "--unshare-cgroup-try", "--disable-userns", "--die-with-parent"})
    EXPECT_TRUE(contains(a, ns)) << ns;
  EXPECT_FALSE(contains(a, "--share-net"));
  EXPECT_TRUE(contains_seq(a, {"--cap-drop", "ALL"}));
  EXPECT_FALSE(contains(a, "--cap-add"));
  EXPECT_TRUE(contains_seq(a, {"--uid", "1000"}));
  EXPECT_TRUE(contains_seq(a, {"--gid", "1000"}));
  EXPECT_TRUE(contains_seq(a, {"--hostname", "bottega-sandbox"}));
  EXPECT_TRUE(contains_seq(a, {"--ro-bind", "/usr", "/usr"}));
  EXPECT_TRUE(contains_seq(a, {"--proc", "/proc"}));
  EXPECT_TRUE(contains_seq(a, {"--dev", "/dev"}));
  EXPECT_TRUE(contains_seq(a, {"--tmpfs", "/tmp"}));
  EXPECT_TRUE(contains_seq(a, {"--remount-ro", "/"}));
  EXPECT_FALSE(contains(a, "--new-session")) << "a cancel's SIGTERM must reach the agent";
}

TEST(Sandbox, ShowsTheHostsTopLevelLinksAsTheyAre) {
  auto a = sandbox_command(spec(), "", {"true"});
  for (const char* top : {"/bin", "/lib", "/lib64"}) {
    std::error_code ec;
    auto status = fs::symlink_status(top, ec);
    if (ec || !fs::exists(status)) continue;
    if (fs::is_symlink(status))
      EXPECT_TRUE(contains_seq(a, {"--symlink", fs::read_symlink(top).string(), top})) << top;
    else
      EXPECT_TRUE(contains_seq(a, {"--ro-bind", top, top})) << top;
  }
}

TEST(Sandbox, ShowsOnlyTheCuratedEtcAndTheGeneratedFiles) {
  auto a = sandbox_command(spec(), "", {"true"});
  EXPECT_FALSE(contains_seq(a, {"/etc", "/etc"})) << "the host's /etc is never bound whole";
  for (const char* secret :
       {"/etc/shadow", "/etc/gshadow", "/etc/sudoers", "/etc/ssh", "/etc/ssl", "/etc/ssl/private",
        "/etc/postgresql", "/etc/machine-id", "/etc/npmrc", "/etc/gitconfig", "/etc/pip.conf",
        "/etc/bottega", "/root", "/home", "/run", "/var", "/srv", "/opt", "/sys"})
    EXPECT_FALSE(contains(a, secret)) << secret;
  EXPECT_TRUE(contains_seq(a, {"--ro-bind-try", "/etc/ssl/certs", "/etc/ssl/certs"}));
  EXPECT_TRUE(contains_seq(a, {"--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache"}));
  EXPECT_TRUE(contains_seq(a, {"--perms", "0644", "--ro-bind-data", "7", "/etc/passwd"}));
  EXPECT_TRUE(contains_seq(a, {"--perms", "0644", "--ro-bind-data", "8", "/etc/group"}));
  for (const auto& entry : sandbox_etc_allow_list()) {
    EXPECT_EQ(entry.find(".."), std::string::npos) << entry;
    EXPECT_NE(entry.rfind("ssl/private", 0), 0u) << entry;
  }
}

TEST(Sandbox, BindsTheRunsPathsReadOnlyFirstThenWritable) {
  SandboxSpec s = spec();
  auto a = sandbox_command(s, "/srv/bottega/data/worktrees/task-1/sub", {"claude", "-p", "x"});
  auto tmp = at(a, {"--tmpfs", "/tmp"});
  auto ro = at(a, {"--ro-bind-try", "/opt/toolchain", "/opt/toolchain"});
  auto wt = at(a, {"--bind", s.worktree, s.worktree});
  ASSERT_GE(tmp, 0);
  ASSERT_GE(ro, 0);
  ASSERT_GE(wt, 0);
  EXPECT_LT(tmp, ro);
  EXPECT_LT(ro, wt);
  EXPECT_TRUE(contains_seq(a, {"--bind", s.run_dir, s.run_dir}));
  EXPECT_TRUE(contains_seq(a, {"--bind", s.writable[0], s.writable[0]}));
  EXPECT_TRUE(contains_seq(a, {"--bind", s.sockets[0], s.sockets[0]}));
  EXPECT_FALSE(contains(a, "/srv/bottega/data")) << "the data directory itself is not bound";
  EXPECT_TRUE(contains_seq(
      a, {"--chdir", "/srv/bottega/data/worktrees/task-1/sub", "--", "claude", "-p", "x"}));
  EXPECT_EQ(a.back(), "x");
  auto plain = sandbox_command(s, "", {"true"});
  EXPECT_TRUE(contains_seq(plain, {"--chdir", s.worktree, "--", "true"}));
}

TEST(Sandbox, GeneratesPasswdGroupAndHostsForTheAgentUser) {
  auto files = sandbox_generated_etc("/srv/bottega/data/runs/r1/home");
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0].first, "/etc/passwd");
  EXPECT_EQ(files[0].second.rfind("agent:x:1000:1000:", 0), 0u) << files[0].second;
  EXPECT_NE(files[0].second.find(":/srv/bottega/data/runs/r1/home:/bin/bash\n"), std::string::npos);
  EXPECT_EQ(files[0].second.find("root"), std::string::npos);
  EXPECT_EQ(files[1].first, "/etc/group");
  EXPECT_EQ(files[1].second.rfind("agent:x:1000:", 0), 0u);
  EXPECT_EQ(files[2].first, "/etc/hosts");
  EXPECT_NE(files[2].second.find("127.0.0.1\tlocalhost"), std::string::npos);
}

TEST(Forward, ParsesLoopbackPortEqualsAbsoluteSocket) {
  auto f = parse_forward("127.0.0.1:8080=/srv/bottega/run/proxy.sock");
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f->port, 8080);
  EXPECT_EQ(f->socket, "/srv/bottega/run/proxy.sock");
  EXPECT_EQ(format_forward(*f), "127.0.0.1:8080=/srv/bottega/run/proxy.sock");
  EXPECT_TRUE(parse_forward("127.0.0.1:65535=/s"));
  for (const char* bad :
       {"", "127.0.0.1:8080", "0.0.0.0:8080=/s", "localhost:8080=/s", "127.0.0.1:0=/s",
        "127.0.0.1:65536=/s", "127.0.0.1:80x=/s", "127.0.0.1:=/s", "127.0.0.1:8080=relative.sock",
        "127.0.0.1:8080=", "127.0.0.1:8080=/a\nb"})
    EXPECT_FALSE(parse_forward(bad)) << bad;
  EXPECT_FALSE(parse_forward("127.0.0.1:1=/" + std::string(120, 'x')));  // sun_path holds 107
}

}  // namespace
}  // namespace bottega::agents
