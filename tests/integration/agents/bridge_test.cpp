// The bridge outside any sandbox: run_bridge() in process, and `bottega
// sandbox-exec` as the runner starts it (repeated --forward, signals).
#include "engine/agents/bridge.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/integration/agents/socket_fixture.h"
#include "tests/support/child_process.h"
#include "tests/support/shell.h"

namespace bottega::agents::testing {
namespace {

namespace fs = std::filesystem;
using bottega::testing::free_port;
using bottega::testing::run_shell;
using bottega::testing::shell_quote;

class BridgeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::path(BOTTEGA_TEST_SCRATCH) /
            ("bridge-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
    std::ofstream(probe_path()) << kSocketProbe;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  std::string probe_path() const { return (root_ / "probe.py").string(); }
  std::string sock(const std::string& name) const { return (root_ / name).string(); }
  // A shell command whose output goes to `out` in the tree.
  std::vector<std::string> sh(const std::string& command) const {
    return {"/bin/sh", "-c",
            "(" + command + ") > " + shell_quote((root_ / "out").string()) + " 2>&1"};
  }
  std::string out() const {
    std::ifstream in(root_ / "out");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  fs::path root_;
};

TEST_F(BridgeTest, ForwardsEachConnectionBothWaysWithHalfClose) {
  EchoServer server(sock("gw.sock"));
  const int port = free_port();
  const std::string talk = "python3 " + probe_path() + " talk " + std::to_string(port);
  int status = run_bridge({{static_cast<std::uint16_t>(port), sock("gw.sock")}},
                          sh(talk + " && " + talk + " 3000000"));
  EXPECT_EQ(status, 0) << out();
  EXPECT_EQ(out(), "pong:ping\npong:3000000 bytes\n");
  EXPECT_EQ(server.served(), 2);
}

TEST_F(BridgeTest, ClosesAConnectionItCannotForward) {
  const int port = free_port();
  int status = run_bridge({{static_cast<std::uint16_t>(port), sock("nobody-listens.sock")}},
                          sh("python3 " + probe_path() + " talk " + std::to_string(port)));
  // The client sees EOF at once, or a reset when its bytes were unread.
  EXPECT_TRUE(status == 0 || status == 1) << status;
  EXPECT_EQ(out().find("pong"), std::string::npos) << out();
  EXPECT_EQ(out().find("timed out"), std::string::npos) << out();
}

TEST_F(BridgeTest, ReturnsTheProgramsStatusOrItsSignal) {
  EXPECT_EQ(run_bridge({}, {"/bin/sh", "-c", "exit 7"}), 7);
  EXPECT_EQ(run_bridge({}, {"/bin/sh", "-c", "kill -KILL $$"}), 128 + 9);
  EXPECT_EQ(run_bridge({}, {"sh", "-c", "exit 0"}), 0);  // found on PATH
  EXPECT_EQ(run_bridge({}, {(root_ / "no-such-program").string()}), 127);
  EXPECT_EQ(run_bridge({}, {}), kBridgeSetupFailed);
}

TEST_F(BridgeTest, StartsNothingWhenAPortIsTaken) {
  Listener taken = Listener::tcp_loopback();
  int status = run_bridge({{static_cast<std::uint16_t>(taken.port()), sock("gw.sock")}},
                          {"/bin/sh", "-c", "touch " + shell_quote((root_ / "ran").string())});
  EXPECT_EQ(status, kBridgeSetupFailed);
  EXPECT_FALSE(fs::exists(root_ / "ran"));
}

TEST_F(BridgeTest, TheCommandTakesRepeatedForwardsAndPassesSigtermOn) {
  const std::string bottega = shell_quote(BOTTEGA_BINARY);
  EchoServer a(sock("a.sock")), b(sock("b.sock"));
  const int pa = free_port(), pb = free_port();
  const std::string probe = "python3 " + probe_path() + " talk ";
  auto r = run_shell(
      bottega + " sandbox-exec --forward 127.0.0.1:" + std::to_string(pa) + "=" + sock("a.sock") +
      " --forward=127.0.0.1:" + std::to_string(pb) + "=" + sock("b.sock") + " -- sh -c " +
      shell_quote(probe + std::to_string(pa) + " && " + probe + std::to_string(pb)) + " 2>&1");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(r.out, "pong:ping\npong:ping\n");
  EXPECT_EQ(a.served(), 1);
  EXPECT_EQ(b.served(), 1);

  // SIGTERM to the bridge alone reaches the program, whose status it returns.
  r = run_shell(bottega + " sandbox-exec -- sh -c " +
                shell_quote("trap 'echo terminated; exit 42' TERM; echo up; "
                            "sleep 30 > /dev/null 2>&1 & wait") +
                " & pid=$!; sleep 1; kill -TERM $pid; wait $pid; echo status=$?");
  EXPECT_EQ(r.out, "up\nterminated\nstatus=42\n");

  for (const char* bad : {"127.0.0.1:0=/x.sock", "10.0.0.1:80=/x.sock", "127.0.0.1:80=rel.sock"}) {
    r = run_shell(bottega + " sandbox-exec --forward " + bad + " -- true 2>&1");
    EXPECT_EQ(r.status, 2) << bad << ": " << r.out;
  }
  r = run_shell(bottega + " sandbox-exec --forward 127.0.0.1:80=/x.sock 2>&1");
  EXPECT_EQ(r.status, 2) << "no program: " << r.out;
}

}  // namespace
}  // namespace bottega::agents::testing
