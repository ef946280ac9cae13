// The bubblewrap sandbox, attacked from inside by the fake agent's tool
// steps: who it runs as, its capabilities, the files, processes, sockets
// and networks it can reach. Each target is first shown reachable without
// the sandbox, so a pass means the sandbox hid it (the tree lives outside
// /tmp for the same reason).
#include <fcntl.h>
#include <unistd.h>

#include <thread>

#include "tests/integration/agents/agent_fixture.h"
#include "tests/integration/agents/socket_fixture.h"

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
    fs::create_directories(root_ / "sockets");
    fs::create_directories(root_ / "data/worktrees/task-2");
    std::ofstream(key_file()) << "-----BEGIN PRIVATE KEY-----KEYSECRET";
    std::ofstream(config_file()) << "webhook:\n  secret: CONFIGSECRET\n";
    std::ofstream(root_ / "data/worktrees/task-2/notes.txt") << "OTHERTASKSECRET";
    std::ofstream(run_dir() + "/probe.py") << kSocketProbe;
  }
  std::string key_file() const { return (root_ / "keys/app.pem").string(); }
  std::string config_file() const { return (root_ / "etc/bottega.yml").string(); }
  std::string probe() const { return "python3 " + run_dir() + "/probe.py "; }

  // The tool results of `tools` (one shell command each), in order.
  std::vector<Event> run(bool sandbox, const std::vector<std::string>& tools,
                         const std::vector<Forward>& forwards = {}) {
    auto o = options(sandbox);
    o.bottega_binary = BOTTEGA_BINARY;
    ProcessAgentRunner runner(o);
    CollectingSink sink;
    std::string text;
    for (const auto& t : tools) text += "tool " + t + "\n";
    text += "signal blocked --reason sandboxed\nresult ok\n";
    auto t = turn("claude", text);
    t.forwards = forwards;
    auto out = runner.run(t, sink);
    EXPECT_TRUE(out);
    if (out) {
      EXPECT_EQ(out->kind, OutcomeKind::succeeded) << out->message << "\n" << out->stderr_tail;
    }
    std::vector<Event> results;
    for (const auto& e : sink.events())
      if (e.kind == EventKind::tool_result) results.push_back(e);
    EXPECT_EQ(results.size(), tools.size());
    results.resize(tools.size());
    return results;
  }
};

TEST_F(SandboxTest, WithoutItTheHostIsReachable) {
  Listener tcp = Listener::tcp_loopback();
  Listener sock = Listener::unix_socket((root_ / "sockets/db.sock").string());
  auto r = run(false, {
                          "cat " + key_file(),
                          "cat " + config_file(),
                          "cat " + (root_ / "data/worktrees/task-2/notes.txt").string(),
                          "tr '\\0' '\\n' < /proc/" + std::to_string(::getpid()) + "/environ",
                          probe() + "unix " + (root_ / "sockets/db.sock").string(),
                          probe() + "tcp 127.0.0.1 " + std::to_string(tcp.port()),
                          "touch " + (root_ / "outside.txt").string(),
                      });
  EXPECT_NE(r[0].text.find("KEYSECRET"), std::string::npos);
  EXPECT_NE(r[1].text.find("CONFIGSECRET"), std::string::npos);
  EXPECT_NE(r[2].text.find("OTHERTASKSECRET"), std::string::npos);
  EXPECT_NE(r[3].text.find("PATH="), std::string::npos) << r[3].text;
  EXPECT_EQ(r[4].text, "connected\n");
  EXPECT_EQ(r[5].text, "connected\n");
  EXPECT_TRUE(fs::exists(root_ / "outside.txt"));
}

TEST_F(SandboxTest, RunsAsAnUnprivilegedUserWithoutCapabilitiesOrMounts) {
  auto r = run(true, {
                         "id -u; id -g; whoami; echo $USER $HOME",
                         "grep ^Cap /proc/self/status",
                         "umount /usr",
                         "mount -o remount,rw /",
                         "mount -o remount,rw /usr",
                         "unshare -U -r true",
                         "echo x > /usr/bottega-was-here",
                         "mkdir /escape",
                         "hostname",
                     });
  EXPECT_EQ(r[0].text, "1000\n1000\nagent\nagent " + run_dir() + "/home\n");
  EXPECT_FALSE(r[0].is_error);
  for (const char* cap :
       {"CapInh:\t0000000000000000", "CapPrm:\t0000000000000000", "CapEff:\t0000000000000000",
        "CapBnd:\t0000000000000000", "CapAmb:\t0000000000000000"})
    EXPECT_NE(r[1].text.find(cap), std::string::npos) << r[1].text;
  for (int i = 2; i <= 7; ++i) EXPECT_TRUE(r[i].is_error) << i << ": " << r[i].text;
  EXPECT_FALSE(fs::exists("/usr/bottega-was-here"));
  EXPECT_EQ(r[8].text, "bottega-sandbox\n");
}

TEST_F(SandboxTest, SeesNoSecretNoOtherWorktreeAndWritesOnlyItsOwn) {
  auto r = run(true, {
                         "cat " + key_file(),
                         "cat " + config_file(),
                         "cat " + (root_ / "data/worktrees/task-2/notes.txt").string(),
                         "ls " + (root_ / "data/worktrees").string(),
                         "cat /etc/shadow",
                         "ls /root",
                         "ls /home /run /var /srv /opt /etc/ssh /etc/ssl/private",
                         "ls /",
                         "grep -c . /etc/passwd; grep ^agent: /etc/passwd",
                         "echo mine > own.txt && cat own.txt",
                         "touch " + (root_ / "outside.txt").string(),
                         "echo x > /tmp/t && cat /tmp/t",
                     });
  EXPECT_EQ(r[0].text.find("KEYSECRET"), std::string::npos) << r[0].text;
  EXPECT_EQ(r[1].text.find("CONFIGSECRET"), std::string::npos) << r[1].text;
  EXPECT_EQ(r[2].text.find("OTHERTASKSECRET"), std::string::npos) << r[2].text;
  for (int i = 0; i <= 2; ++i) EXPECT_TRUE(r[i].is_error) << i;
  EXPECT_EQ(r[3].text, "task-1\n");  // only its own worktree is there
  EXPECT_TRUE(r[4].is_error) << r[4].text;
  EXPECT_EQ(r[4].text.find("root:"), std::string::npos) << r[4].text;
  EXPECT_TRUE(r[5].is_error) << r[5].text;
  EXPECT_TRUE(r[6].is_error) << r[6].text;
  EXPECT_EQ(r[6].text.find("sshd_config"), std::string::npos) << r[6].text;
  for (const char* absent : {"home\n", "root\n", "run\n", "srv\n", "boot\n", "sys\n"})
    EXPECT_EQ(r[7].text.find(absent), std::string::npos) << absent << " in\n" << r[7].text;
  EXPECT_EQ(r[8].text, "2\nagent:x:1000:1000:Bottega agent:" + run_dir() + "/home:/bin/bash\n");
  EXPECT_EQ(r[9].text, "mine\n");
  EXPECT_FALSE(r[9].is_error);
  EXPECT_TRUE(r[10].is_error) << "wrote outside its worktree";
  EXPECT_FALSE(fs::exists(root_ / "outside.txt"));
  EXPECT_EQ(r[11].text, "x\n");
  EXPECT_EQ(read(fs::path(worktree()) / "own.txt"), "mine\n");
  // `bottega signal` works inside and its file lands in the run directory.
  EXPECT_NE(read(fs::path(run_dir()) / "signal.json").find("\"blocked\""), std::string::npos);
  EXPECT_TRUE(fs::exists(root_ / "data/worktrees/task-2/notes.txt"));  // unseen, not harmed
}

TEST_F(SandboxTest, SeesNoHostProcessSocketOrNetwork) {
  Listener tcp = Listener::tcp_loopback();
  Listener sock = Listener::unix_socket((root_ / "sockets/db.sock").string());
  auto r = run(true, {
                         "cat /proc/" + std::to_string(::getpid()) + "/environ",
                         "ls /proc | grep -c '^[0-9]'",
                         probe() + "unix " + (root_ / "sockets/db.sock").string(),
                         probe() + "tcp 127.0.0.1 " + std::to_string(tcp.port()),
                         probe() + "tcp 10.0.0.1 80",
                         probe() + "tcp 169.254.169.254 80",
                         "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '",
                     });
  // Its own PID namespace: the server's pid names nothing (or another
  // process of the sandbox's, never ours).
  EXPECT_TRUE(r[0].is_error) << r[0].text;
  EXPECT_EQ(r[0].text.find("PATH="), std::string::npos) << r[0].text;
  EXPECT_LT(std::stoi(r[1].text), 10) << "more processes than the sandbox's own";
  EXPECT_TRUE(r[2].is_error) << r[2].text;
  EXPECT_TRUE(r[3].is_error) << r[3].text;
  EXPECT_NE(r[3].text.find("refused"), std::string::npos) << r[3].text;
  for (int i : {4, 5}) {
    EXPECT_TRUE(r[i].is_error) << r[i].text;
    EXPECT_NE(r[i].text.find("unreachable"), std::string::npos) << r[i].text;
    EXPECT_NE(r[i].text.find("after 0.0s"), std::string::npos) << "failed at once: " << r[i].text;
  }
  EXPECT_EQ(r[6].text, "lo\n") << "its network has a loopback and nothing else";
}

TEST_F(SandboxTest, ReachesAUnixSocketOnlyThroughTheBridge) {
  const std::string gateway = (root_ / "sockets/gateway.sock").string();
  EchoServer server(gateway);
  Listener other = Listener::unix_socket((root_ / "sockets/other.sock").string());
  auto r = run(true,
               {
                   probe() + "talk 18080",
                   probe() + "talk 18080",
                   probe() + "unix " + (root_ / "sockets/other.sock").string(),
                   "ls " + (root_ / "sockets").string(),
                   probe() + "tcp 127.0.0.1 18081",
               },
               {{18080, gateway}});
  EXPECT_EQ(r[0].text, "pong:ping\n") << r[0].text;
  EXPECT_EQ(r[1].text, "pong:ping\n") << r[1].text;
  EXPECT_EQ(server.served(), 2);
  EXPECT_TRUE(r[2].is_error) << "another socket beside it: " << r[2].text;
  EXPECT_EQ(r[3].text, "gateway.sock\n");
  EXPECT_TRUE(r[4].is_error) << "only the forwarded ports listen: " << r[4].text;
  // The agent still signals through the bridge (same environment, run dir).
  EXPECT_NE(read(fs::path(run_dir()) / "signal.json").find("\"blocked\""), std::string::npos);
}

TEST_F(SandboxTest, CancelReachesEveryProcessInsideTheSandbox) {
  for (bool bridged : {false, true}) {
    SCOPED_TRACE(bridged ? "through the bridge" : "direct");
    const std::string gateway = (root_ / "sockets/gateway.sock").string();
    fs::remove(gateway);
    EchoServer server(gateway);
    auto o = options(true);
    o.bottega_binary = BOTTEGA_BINARY;
    ProcessAgentRunner runner(o);
    CollectingSink sink;
    std::thread canceller;
    int group = 0;
    auto t = turn("codex", "spawn-child " + run_dir() + "/child.pid\ntext started\nhang\n");
    if (bridged) t.forwards = {{18080, gateway}};
    auto out = runner.run(t, sink, [&](AgentProcess* p) {
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
}

}  // namespace
}  // namespace bottega::agents::testing
