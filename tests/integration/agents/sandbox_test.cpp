// The bubblewrap sandbox, on the fake agent: what it can and cannot reach.
// Each secret is first shown readable without the sandbox, so a pass means
// the sandbox hid it (the tree lives outside /tmp for the same reason).
#include <fcntl.h>
#include <unistd.h>

#include <thread>

#include "tests/integration/agents/agent_fixture.h"

namespace bottega::agents::testing {
namespace {

// Live (not zombie) processes whose process group is `group`.
int live_in_group(int group) {
  int live = 0;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    // A process may end between the listing and the read (libstdc++ then
    // throws from the stream): read with plain calls and skip it.
    std::string text;
    int fd = ::open((entry.path() / "stat").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    char buf[1024];
    ssize_t n = ::read(fd, buf, sizeof buf);
    ::close(fd);
    if (n <= 0) continue;
    text.assign(buf, static_cast<std::size_t>(n));
    auto close = text.rfind(')');
    if (close == std::string::npos || close + 2 >= text.size()) continue;
    std::istringstream fields(text.substr(close + 2));
    std::string state;
    int ppid = 0, pgrp = 0;
    fields >> state >> ppid >> pgrp;
    if (pgrp == group && state != "Z") ++live;
  }
  return live;
}

class SandboxTest : public AgentTest {
 protected:
  void SetUp() override {
    AgentTest::SetUp();
    fs::create_directories(root_ / "keys");
    fs::create_directories(root_ / "etc");
    fs::create_directories(root_ / "data/worktrees/task-2");
    std::ofstream(key_file()) << "-----BEGIN PRIVATE KEY-----KEYSECRET";
    std::ofstream(config_file()) << "webhook:\n  secret: CONFIGSECRET\n";
    std::ofstream(root_ / "data/worktrees/task-2/notes.txt") << "OTHERTASKSECRET";
  }
  std::string key_file() const { return (root_ / "keys/app.pem").string(); }
  std::string config_file() const { return (root_ / "etc/bottega.yml").string(); }

  std::string scenario_text() const {
    return "tool cat " + key_file() + "\n" +                                            //
           "tool cat " + config_file() + "\n" +                                         //
           "tool cat " + (root_ / "data/worktrees/task-2/notes.txt").string() + "\n" +  //
           "tool ls " + (root_ / "data/worktrees").string() + "\n" +                    //
           "tool echo mine > own.txt && cat own.txt\n" +                                //
           "tool touch " + (root_ / "outside.txt").string() + "\n" +                    //
           "signal blocked --reason sandboxed\n" +                                      //
           "result ok\n";
  }

  // The tool results, in order.
  std::vector<Event> run(bool sandbox) {
    auto o = options(sandbox);
    o.hidden = {(root_ / "data").string(), config_file(), key_file()};
    ProcessAgentRunner runner(o);
    CollectingSink sink;
    auto out = runner.run(turn("claude", scenario_text()), sink);
    EXPECT_TRUE(out);
    if (out) {
      EXPECT_EQ(out->kind, OutcomeKind::succeeded) << out->message << "\n" << out->stderr_tail;
    }
    std::vector<Event> results;
    for (const auto& e : sink.events())
      if (e.kind == EventKind::tool_result) results.push_back(e);
    return results;
  }
};

TEST_F(SandboxTest, WithoutItTheSecretsAreReadable) {
  auto r = run(false);
  ASSERT_EQ(r.size(), 6u);
  EXPECT_NE(r[0].text.find("KEYSECRET"), std::string::npos);
  EXPECT_NE(r[1].text.find("CONFIGSECRET"), std::string::npos);
  EXPECT_NE(r[2].text.find("OTHERTASKSECRET"), std::string::npos);
  EXPECT_TRUE(fs::exists(root_ / "outside.txt"));
}

TEST_F(SandboxTest, HidesKeysConfigAndOtherWorktreesButLetsItWriteItsOwn) {
  auto r = run(true);
  ASSERT_EQ(r.size(), 6u);
  EXPECT_EQ(r[0].text.find("KEYSECRET"), std::string::npos) << r[0].text;
  EXPECT_EQ(r[1].text.find("CONFIGSECRET"), std::string::npos) << r[1].text;
  EXPECT_EQ(r[2].text.find("OTHERTASKSECRET"), std::string::npos) << r[2].text;
  EXPECT_TRUE(r[2].is_error);
  EXPECT_EQ(r[3].text, "task-1\n");  // only its own worktree is there
  EXPECT_EQ(r[4].text, "mine\n");
  EXPECT_FALSE(r[4].is_error);
  EXPECT_TRUE(r[5].is_error) << "wrote outside its worktree";
  EXPECT_FALSE(fs::exists(root_ / "outside.txt"));
  EXPECT_EQ(read(fs::path(worktree()) / "own.txt"), "mine\n");
  // `bottega signal` works inside and its file lands in the run directory.
  EXPECT_NE(read(fs::path(run_dir()) / "signal.json").find("\"blocked\""), std::string::npos);
  EXPECT_TRUE(fs::exists(root_ / "data/worktrees/task-2/notes.txt"));  // hidden, not harmed
}

TEST_F(SandboxTest, CancelReachesEveryProcessInsideTheSandbox) {
  auto o = options(true);
  o.hidden = {(root_ / "data").string()};
  ProcessAgentRunner runner(o);
  CollectingSink sink;
  std::thread canceller;
  int group = 0;
  auto out =
      runner.run(turn("codex", "spawn-child " + run_dir() + "/child.pid\ntext started\nhang\n"),
                 sink, [&](AgentProcess* p) {
                   if (!p) return;
                   canceller = std::thread([&, p] {
                     while (sink.count(EventKind::assistant) == 0)
                       std::this_thread::sleep_for(std::chrono::milliseconds(10));
                     group = p->process_group();
                     p->cancel();
                   });
                 });
  canceller.join();
  ASSERT_TRUE(out);
  EXPECT_EQ(out->kind, OutcomeKind::cancelled);
  ASSERT_GT(group, 0);
  // The pid file holds a pid of the sandbox's namespace: look at the group
  // instead. SIGKILL is sent when the run ends; dying takes the kernel a moment.
  int live = live_in_group(group);
  for (int i = 0; i < 100 && live > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    live = live_in_group(group);
  }
  EXPECT_EQ(live, 0) << "processes of the sandboxed run outlived the cancel";
}

}  // namespace
}  // namespace bottega::agents::testing
