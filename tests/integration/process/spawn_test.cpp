// spawn_process with real programs: what the child gets (its stdio, its
// directory, its environment, its session, no descriptor of ours, a clean
// signal state) and how a program that cannot start is reported.
#include "engine/process/spawn.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <sstream>
#include <string>

namespace bottega {
namespace {

struct Pipe {
  int read = -1, write = -1;
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) == 0) {
      read = fds[0];
      write = fds[1];
    }
  }
  ~Pipe() {
    if (read >= 0) ::close(read);
    if (write >= 0) ::close(write);
  }
  std::string drain() {  // after the child is started: our write end goes first
    ::close(write);
    write = -1;
    std::string out;
    char buf[4096];
    for (ssize_t n; (n = ::read(read, buf, sizeof buf)) > 0;)
      out.append(buf, static_cast<std::size_t>(n));
    return out;
  }
};

int wait_exit(pid_t pid) {
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Runs `script` with /bin/sh; stdout and stderr both to the returned text.
std::pair<int, std::string> run_sh(const std::string& script, SpawnOptions o = {}) {
  Pipe p;
  o.exe = "/bin/sh";
  o.args = {"-c", script};
  o.stdout_fd = o.stderr_fd = p.write;
  auto pid = spawn_process(o);
  if (!pid) return {-1, pid.error().message};
  std::string out = p.drain();
  return {wait_exit(*pid), out};
}

TEST(SpawnProcess, GivesTheChildItsDirectoryEnvironmentAndOutputs) {
  SpawnOptions o;
  o.cwd = "/usr";
  o.env = {"GREETING=hello", "PATH=/usr/bin:/bin"};
  auto [code, out] = run_sh("pwd; echo $GREETING; echo oops >&2; env | grep -c . ; exit 3", o);
  EXPECT_EQ(code, 3);
  // Three variables: the two given and the PWD the shell sets itself.
  EXPECT_EQ(out, "/usr\nhello\noops\n3\n");
}

TEST(SpawnProcess, StdinIsEmptyAndNoOtherDescriptorIsInherited) {
  int inheritable = ::open("/dev/null", O_RDONLY);  // no O_CLOEXEC on purpose
  ASSERT_GE(inheritable, 3);
  auto [code, out] = run_sh("cat; ls /proc/self/fd | sort -n | tr '\\n' ' '");
  ::close(inheritable);
  EXPECT_EQ(code, 0);
  // 0-2, and the descriptor ls opens to read the directory.
  EXPECT_EQ(out, "0 1 2 3 ") << "descriptor " << inheritable << " leaked?";
}

TEST(SpawnProcess, ANewSessionLeadsItsOwnProcessGroup) {
  SpawnOptions o;
  o.new_session = true;
  auto [code, out] = run_sh("ps -o pid=,pgid=,sid= -p $$", o);
  EXPECT_EQ(code, 0);
  std::istringstream fields(out);
  long pid = 0, pgid = 0, sid = 0;
  fields >> pid >> pgid >> sid;
  EXPECT_GT(pid, 0) << out;
  EXPECT_EQ(pgid, pid) << out;
  EXPECT_EQ(sid, pid) << out;
  EXPECT_NE(::getsid(0), sid);
}

TEST(SpawnProcess, SignalsAreUnblockedAndSigpipeIsDefaultInTheChild) {
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  ::pthread_sigmask(SIG_BLOCK, &block, &old);
  auto previous = ::signal(SIGPIPE, SIG_IGN);  // as a server does
  auto [code, out] = run_sh("grep -E '^Sig(Blk|Ign)' /proc/self/status");
  ::signal(SIGPIPE, previous);
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  EXPECT_EQ(code, 0);
  auto mask = [&](const std::string& name) {
    auto at = out.find(name + ":\t");
    return at == std::string::npos ? ~0ULL
                                   : std::stoull(out.substr(at + name.size() + 2, 16), nullptr, 16);
  };
  EXPECT_EQ(mask("SigBlk"), 0ULL) << out;
  EXPECT_EQ(mask("SigIgn") & (1ULL << (SIGPIPE - 1)), 0ULL) << out;
}

TEST(SpawnProcess, AProgramThatCannotStartIsNamedWithTheReason) {
  SpawnOptions o;
  o.exe = "/nonexistent/git";
  auto pid = spawn_process(o);
  ASSERT_FALSE(pid);
  EXPECT_NE(pid.error().message.find("/nonexistent/git"), std::string::npos) << pid.error().message;
  EXPECT_NE(pid.error().message.find("No such file"), std::string::npos) << pid.error().message;
}

}  // namespace
}  // namespace bottega
