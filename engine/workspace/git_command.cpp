#include "engine/workspace/git_command.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/readable_pipe.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/process/v2/process.hpp>
#include <functional>
#include <optional>

#include "engine/process/spawn.h"

namespace bottega::workspace_detail {

namespace asio = boost::asio;
namespace bp = boost::process::v2;

namespace {

constexpr std::size_t kMaxStdout = 64 * 1024 * 1024;
constexpr std::size_t kMaxStderr = 64 * 1024;
// After git exits, how long a straggler holding the pipes may delay us.
constexpr std::chrono::seconds kDrain{2};

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

Result<GitOutput> run_git(const GitCommand& command) {
  int out_fds[2], err_fds[2];
  if (::pipe2(out_fds, O_CLOEXEC) != 0) return make_error("cannot create a pipe for git");
  Fd out_read{out_fds[0]}, out_write{out_fds[1]};
  if (::pipe2(err_fds, O_CLOEXEC) != 0) return make_error("cannot create a pipe for git");
  Fd err_read{err_fds[0]}, err_write{err_fds[1]};

  try {
    asio::io_context ctx;
    asio::readable_pipe out(ctx, out_read.fd);
    out_read.fd = -1;
    asio::readable_pipe err(ctx, err_read.fd);
    err_read.fd = -1;
    // A session (and process group) of its own: a timeout kills git and
    // every helper it started, and no terminal is reachable for a prompt.
    // posix_spawn, not a fork: see spawn.h.
    SpawnOptions spawn{command.exe,  command.args, command.env,         command.cwd,
                       out_write.fd, err_write.fd, /*new_session=*/true};
    auto spawned = spawn_process(spawn);
    if (!spawned) return spawned.error();
    const int pid = *spawned;
    std::optional<bp::process> proc;
    try {
      proc.emplace(ctx.get_executor(), pid);  // waits through a pidfd
    } catch (const std::exception& e) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      return make_error("cannot watch " + command.exe + ": " + e.what());
    }
    // Only the child holds the write ends now: EOF means it (and its
    // children) are done with them.
    ::close(out_write.fd);
    out_write.fd = -1;
    ::close(err_write.fd);
    err_write.fd = -1;

    GitOutput result;
    bool exited = false, out_eof = false, err_eof = false;
    asio::steady_timer deadline(ctx), drain(ctx);
    std::array<char, 64 * 1024> out_buf{}, err_buf{};

    auto finish_if_done = [&] {
      if (exited && out_eof && err_eof) {
        deadline.cancel();
        drain.cancel();
      }
    };
    std::function<void()> read_out = [&] {
      out.async_read_some(asio::buffer(out_buf), [&](boost::system::error_code ec, std::size_t n) {
        if (ec) {
          out_eof = true;
          return finish_if_done();
        }
        if (result.out.size() < kMaxStdout)
          result.out.append(out_buf.data(), std::min(n, kMaxStdout - result.out.size()));
        read_out();
      });
    };
    std::function<void()> read_err = [&] {
      err.async_read_some(asio::buffer(err_buf), [&](boost::system::error_code ec, std::size_t n) {
        if (ec) {
          err_eof = true;
          return finish_if_done();
        }
        result.err.append(err_buf.data(), n);
        if (result.err.size() > 2 * kMaxStderr) result.err.erase(0, result.err.size() - kMaxStderr);
        read_err();
      });
    };
    read_out();
    read_err();

    deadline.expires_after(command.timeout);
    deadline.async_wait([&](boost::system::error_code ec) {
      if (ec) return;
      result.timed_out = true;
      ::kill(-pid, SIGKILL);
    });
    proc->async_wait([&](boost::system::error_code ec, int code) {
      exited = true;
      result.exit_code = ec ? -1 : code;
      // git is reaped: its pid may be reused, so no signal is sent from now on.
      deadline.cancel();
      if (!(out_eof && err_eof)) {
        drain.expires_after(kDrain);
        drain.async_wait([&](boost::system::error_code dec) {
          if (dec) return;
          boost::system::error_code ignored;
          out.close(ignored);
          err.close(ignored);
        });
      }
      finish_if_done();
    });
    ctx.run();

    if (result.timed_out) result.exit_code = -1;
    if (result.err.size() > kMaxStderr) result.err.erase(0, result.err.size() - kMaxStderr);
    return result;
  } catch (const std::exception& e) {
    return make_error("running " + command.exe + " failed: " + e.what());
  }
}

}  // namespace bottega::workspace_detail
