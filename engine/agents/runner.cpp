#include "engine/agents/runner.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/readable_pipe.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/process/v2/detail/last_error.hpp>
#include <boost/process/v2/environment.hpp>
#include <boost/process/v2/process.hpp>
#include <boost/process/v2/start_dir.hpp>
#include <boost/process/v2/stdio.hpp>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "config/base/log.h"
#include "engine/process/inherit.h"
#include "engine/process/run.h"

namespace bottega::agents {

namespace asio = boost::asio;
namespace bp = boost::process::v2;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// Puts the child in a session (and process group) of its own, so that a
// cancel reaches every process it starts, and nothing of ours; and kills it
// if the server dies (SIGKILL, a crash), so a turn run again after a
// restart never meets the old agent in the worktree (the sandbox's
// --die-with-parent does the same for sandboxed runs).
struct NewSession {
  template <class Launcher>
  boost::system::error_code on_exec_setup(Launcher&, const boost::filesystem::path&,
                                          const char* const*&) {
    ::setsid();
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    return {};
  }
};

// Lets the child inherit `fds` (the sandbox's generated files, which bwrap
// reads). Passed after CloseInheritedFds, which marked every descriptor
// close-on-exec. They also go on the launcher's whitelist (in the parent,
// before the fork): Boost closes every descriptor not on it after these
// initializers ran, and, with its off-by-range bug, which ones depended on
// their numbers, so concurrent turns saw bwrap fail with EBADF.
struct KeepFds {
  std::vector<int> fds;
  template <class Launcher>
  boost::system::error_code on_setup(Launcher& launcher, const boost::filesystem::path&,
                                     const char* const*) {
    launcher.fd_whitelist.insert(launcher.fd_whitelist.end(), fds.begin(), fds.end());
    return {};
  }
  template <class Launcher>
  boost::system::error_code on_exec_setup(Launcher&, const boost::filesystem::path&,
                                          const char* const*&) {
    for (int fd : fds) ::fcntl(fd, F_SETFD, 0);
    return {};
  }
};

// Anonymous in-memory files holding the generated /etc files; closed with
// the object (after the child started: bwrap has its own copies).
struct DataFiles {
  std::vector<int> fds;
  DataFiles() = default;
  DataFiles(const DataFiles&) = delete;
  DataFiles& operator=(const DataFiles&) = delete;
  ~DataFiles() {
    for (int fd : fds) ::close(fd);
  }
  // A descriptor holding `content`, positioned at its start; -1 on failure.
  int add(const std::string& content) {
    int fd = ::memfd_create("bottega-sandbox", MFD_CLOEXEC);
    if (fd < 0) return -1;
    fds.push_back(fd);
    std::size_t done = 0;
    while (done < content.size()) {
      ssize_t n = ::write(fd, content.data() + done, content.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return -1;
      done += static_cast<std::size_t>(n);
    }
    return ::lseek(fd, 0, SEEK_SET) == 0 ? fd : -1;
  }
};

}  // namespace

const std::vector<std::string>& environment_allow_list() {
  static const std::vector<std::string> names = {
      "PATH", "LANG", "LANGUAGE", "LC_ALL",        "LC_CTYPE",     "LC_MESSAGES",        "TZ",
      "TERM", "USER", "LOGNAME",  "SSL_CERT_FILE", "SSL_CERT_DIR", "NODE_EXTRA_CA_CERTS"};
  return names;
}

std::map<std::string, std::string> build_environment(
    const RunSpec& spec,
    const std::function<std::optional<std::string>(const std::string&)>& parent) {
  std::map<std::string, std::string> env;
  for (const auto& name : environment_allow_list())
    if (auto v = parent(name)) env[name] = *v;
  std::string path = env.count("PATH") ? env["PATH"] : "/usr/local/bin:/usr/bin:/bin";
  for (auto it = spec.path_prepend.rbegin(); it != spec.path_prepend.rend(); ++it)
    path = *it + ":" + path;
  env["PATH"] = path;
  const std::string home = spec.run_dir + "/home";
  env["HOME"] = home;
  env["CODEX_HOME"] = home + "/.codex";
  env["XDG_CONFIG_HOME"] = home + "/.config";
  env["XDG_DATA_HOME"] = home + "/.local/share";
  env["XDG_CACHE_HOME"] = home + "/.cache";
  env["XDG_STATE_HOME"] = home + "/.local/state";
  env["TMPDIR"] = spec.sandbox ? "/tmp" : spec.run_dir + "/tmp";
  env["BOTTEGA_RUN_DIR"] = spec.run_dir;
  if (spec.sandbox) {
    env["USER"] = kSandboxUser;
    env["LOGNAME"] = kSandboxUser;
  }
  for (const auto& [k, v] : spec.plan.env) env[k] = v;
  for (const auto& [k, v] : spec.extra_env) env[k] = v;
  return env;
}

struct AgentProcess::Impl {
  Impl(RunSpec s, std::unique_ptr<StreamDecoder> d, Capabilities c)
      : spec(std::move(s)),
        decoder(std::move(d)),
        caps(c),
        wall(ctx),
        idle(ctx),
        grace(ctx),
        drain(ctx) {}

  asio::io_context ctx;
  RunSpec spec;
  std::unique_ptr<StreamDecoder> decoder;
  Capabilities caps;
  std::optional<asio::readable_pipe> out, err;
  std::optional<bp::process> proc;
  asio::steady_timer wall, idle, grace, drain;
  std::atomic<int> pgid{0};
  std::atomic<bool> cancel_requested{false};
  EventSink* sink = nullptr;

  ProcessEnd end;
  bool exited = false, out_eof = false, err_eof = false, terminating = false;
  Clock::time_point last_output;
  std::string line;
  bool discarding = false;
  std::array<char, 64 * 1024> out_chunk{}, err_chunk{};
  std::string stderr_buf;
  std::vector<Event> events;

  void deliver() {
    for (const auto& e : events) sink->on_event(e);
    events.clear();
  }

  void signal_group(int sig) {
    int g = pgid.load();
    if (g > 0) ::kill(-g, sig);
  }

  enum class Why { cancel, timeout, idle };
  void terminate(Why why) {
    if (exited || terminating) return;
    terminating = true;
    if (why == Why::cancel) end.cancelled = true;
    if (why == Why::timeout) end.timed_out = true;
    if (why == Why::idle) end.idle_timed_out = true;
    signal_group(SIGTERM);
    grace.expires_after(spec.limits.grace);
    grace.async_wait([this](boost::system::error_code ec) {
      if (ec || exited) return;
      component_log("agents").warn("agent process group {} ignored SIGTERM; killing it",
                                   pgid.load());
      signal_group(SIGKILL);
    });
  }

  void read_out() {
    out->async_read_some(asio::buffer(out_chunk),
                         [this](boost::system::error_code ec, std::size_t n) {
                           if (n > 0) {
                             last_output = Clock::now();
                             take(std::string_view(out_chunk.data(), n));
                             deliver();
                           }
                           if (ec) {
                             if (!line.empty() && !discarding) decoder->decode(line, events);
                             line.clear();
                             deliver();
                             out_eof = true;
                             maybe_finish();
                             return;
                           }
                           read_out();
                         });
  }

  void take(std::string_view chunk) {
    while (!chunk.empty()) {
      auto nl = chunk.find('\n');
      std::string_view piece = chunk.substr(0, nl);
      if (discarding) {
        // The rest of an over-long line: skip it.
      } else if (line.size() + piece.size() > spec.limits.max_line_bytes) {
        Event e;
        e.kind = EventKind::system;
        e.subtype = "malformed";
        e.text = "a line longer than " + std::to_string(spec.limits.max_line_bytes) +
                 " bytes was dropped";
        events.push_back(std::move(e));
        line.clear();
        discarding = true;
      } else if (nl != std::string_view::npos && line.empty()) {
        decoder->decode(piece, events);  // the common case: no copy
      } else {
        line.append(piece);
        if (nl != std::string_view::npos) decoder->decode(line, events);
      }
      if (nl == std::string_view::npos) return;
      line.clear();
      discarding = false;
      chunk.remove_prefix(nl + 1);
    }
  }

  void read_err() {
    err->async_read_some(asio::buffer(err_chunk), [this](boost::system::error_code ec,
                                                         std::size_t n) {
      if (n > 0) {
        last_output = Clock::now();
        stderr_buf.append(err_chunk.data(), n);
        if (stderr_buf.size() > 2 * spec.limits.stderr_tail_bytes)
          stderr_buf.erase(
              0, stderr_buf.size() - utf8_suffix(stderr_buf, spec.limits.stderr_tail_bytes).size());
      }
      if (ec) {
        err_eof = true;
        maybe_finish();
        return;
      }
      read_err();
    });
  }

  void arm_idle(std::chrono::milliseconds after) {
    idle.expires_after(after);
    idle.async_wait([this](boost::system::error_code ec) {
      if (ec || exited) return;
      auto quiet =
          std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - last_output);
      if (quiet >= spec.limits.idle) {
        terminate(Why::idle);
        return;
      }
      arm_idle(spec.limits.idle - quiet);
    });
  }

  void on_exit() {
    exited = true;
    int status = proc->native_exit_code();
    if (WIFEXITED(status)) {
      end.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
      end.signal = WTERMSIG(status);
    }
    // Whatever the leader left running in its group goes with it.
    signal_group(SIGKILL);
    wall.cancel();
    idle.cancel();
    grace.cancel();
    // A descendant outside the group could still hold the pipes: bound the wait for EOF.
    drain.expires_after(std::chrono::seconds(2));
    drain.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      boost::system::error_code ignored;
      if (!out_eof) out->close(ignored);
      if (!err_eof) err->close(ignored);
    });
    maybe_finish();
  }

  void maybe_finish() {
    if (exited && out_eof && err_eof) drain.cancel();
  }
};

AgentProcess::AgentProcess(RunSpec spec, std::unique_ptr<StreamDecoder> decoder, Capabilities caps)
    : impl_(std::make_shared<Impl>(std::move(spec), std::move(decoder), caps)) {}

AgentProcess::~AgentProcess() = default;

int AgentProcess::process_group() const { return impl_->pgid.load(); }

void AgentProcess::cancel() {
  impl_->cancel_requested = true;
  std::weak_ptr<Impl> weak = impl_;
  asio::post(impl_->ctx, [weak] {
    if (auto self = weak.lock()) self->terminate(Impl::Why::cancel);
  });
}

namespace {

Outcome failed_start(const std::string& message) {
  Outcome o;
  o.kind = OutcomeKind::crashed;
  o.message = message;
  return o;
}

}  // namespace

Outcome AgentProcess::run(EventSink& sink) {
  Impl& m = *impl_;
  m.sink = &sink;
  const RunSpec& spec = m.spec;
  if (spec.plan.argv.empty()) return failed_start("nothing to run (empty command line)");

  std::error_code fec;
  const std::string home = spec.run_dir + "/home";
  for (const auto& dir :
       {spec.run_dir, home, home + "/.codex", home + "/.config", home + "/.local/share",
        home + "/.cache", home + "/.local/state", spec.run_dir + "/tmp"}) {
    fs::create_directories(dir, fec);
    if (fec) return failed_start("cannot create " + dir + ": " + fec.message());
  }
  for (const auto& [path, content] : spec.plan.files) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << content;
    if (!f) return failed_start("cannot write " + path);
  }

  auto env = build_environment(spec, [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    return v ? std::optional<std::string>(v) : std::nullopt;
  });
  std::vector<std::string> env_list;
  for (const auto& [k, v] : env) env_list.push_back(k + "=" + v);

  std::vector<std::string> argv = spec.plan.argv;
  const std::string cwd = spec.plan.cwd.empty() ? spec.run_dir : spec.plan.cwd;
  if (!spec.forwards.empty() || spec.sandbox) {
    // bwrap and the bridge find the program on the child's PATH, inside.
    argv[0] = find_program(argv[0], env["PATH"]);
    if (argv[0].empty())
      return failed_start("program '" + spec.plan.argv[0] + "' not found on PATH");
  }
  const std::string program = argv[0];
  if (!spec.forwards.empty()) {
    if (spec.bottega_binary.empty() || spec.bottega_binary[0] != '/')
      return failed_start("forwards need the absolute path of bottega (RunSpec::bottega_binary)");
    std::vector<std::string> bridged = {spec.bottega_binary, "sandbox-exec"};
    for (const auto& f : spec.forwards)
      bridged.insert(bridged.end(), {"--forward", format_forward(f)});
    bridged.push_back("--");
    bridged.insert(bridged.end(), argv.begin(), argv.end());
    argv = std::move(bridged);
  }
  DataFiles data_files;
  std::vector<int> inherited;
  if (spec.sandbox) {
    SandboxSpec sandbox = *spec.sandbox;
    // The program's directory, and where its symlink leads, read-only.
    auto add_program = [&sandbox](const std::string& path) {
      sandbox.readable.push_back(fs::path(path).parent_path().string());
      std::error_code cec;
      auto resolved = fs::canonical(path, cec);
      if (cec) return;
      sandbox.readable.push_back(resolved.parent_path().string());
      // An npm-installed CLI loads sibling packages (its native binary):
      // keep the whole node_modules tree it lives in.
      for (auto dir = resolved.parent_path(); dir.has_relative_path(); dir = dir.parent_path()) {
        if (dir.filename() == "node_modules") {
          sandbox.readable.push_back(dir.string());
          break;
        }
      }
    };
    add_program(program);
    if (!spec.forwards.empty()) add_program(spec.bottega_binary);
    // So is `bottega` itself, which the agent runs to signal its verdict.
    for (const auto& dir : spec.path_prepend) sandbox.readable.push_back(dir);
    for (const auto& f : spec.forwards) sandbox.sockets.push_back(f.socket);
    for (const auto& [path, content] : sandbox_generated_etc(env["HOME"])) {
      int fd = data_files.add(content);
      if (fd < 0) return failed_start("cannot prepare the sandbox's " + path);
      sandbox.data_files.push_back({fd, path});
      inherited.push_back(fd);
    }
    argv = sandbox_command(sandbox, cwd, argv);
  }
  std::string exe = find_program(argv[0], env["PATH"]);
  if (exe.empty()) return failed_start("program '" + argv[0] + "' not found on PATH");
  std::vector<std::string> args(argv.begin() + 1, argv.end());

  int out_fds[2], err_fds[2];
  if (::pipe2(out_fds, O_CLOEXEC) != 0) return failed_start("cannot create a pipe");
  if (::pipe2(err_fds, O_CLOEXEC) != 0) {
    ::close(out_fds[0]);
    ::close(out_fds[1]);
    return failed_start("cannot create a pipe");
  }
  m.out.emplace(m.ctx, out_fds[0]);
  m.err.emplace(m.ctx, err_fds[0]);
  try {
    m.proc.emplace(m.ctx, exe, args, bp::process_stdio{nullptr, out_fds[1], err_fds[1]},
                   bp::process_start_dir(cwd), bp::process_environment(env_list), NewSession{},
                   CloseInheritedFds{}, KeepFds{inherited});
  } catch (const std::exception& e) {
    ::close(out_fds[1]);
    ::close(err_fds[1]);
    return failed_start("cannot start " + exe + ": " + e.what());
  }
  ::close(out_fds[1]);
  ::close(err_fds[1]);
  m.pgid = m.proc->id();
  component_log("agents").debug("started {} (pid {}) in {}", exe, m.pgid.load(), cwd);

  m.last_output = Clock::now();
  m.read_out();
  m.read_err();
  m.wall.expires_after(spec.limits.wall);
  m.wall.async_wait([&m](boost::system::error_code ec) {
    if (!ec) m.terminate(Impl::Why::timeout);
  });
  m.arm_idle(spec.limits.idle);
  m.proc->async_wait([&m](boost::system::error_code ec, int) {
    if (ec) component_log("agents").warn("waiting for the agent process failed: {}", ec.message());
    m.on_exit();
  });
  if (m.cancel_requested) m.terminate(Impl::Why::cancel);
  try {
    m.ctx.run();
  } catch (const std::exception& e) {
    // A sink or decoder failed: never leave the agent running behind us.
    m.signal_group(SIGKILL);
    boost::system::error_code ignored;
    m.proc->wait(ignored);
    Outcome o = failed_start(std::string("the run failed inside the app: ") + e.what());
    o.session_id = m.decoder->state().session_id;
    return o;
  }

  m.decoder->finish(m.events);
  m.deliver();
  // Cut on a character boundary, then made storable: stderr is any bytes.
  m.end.stderr_tail = clean_text(utf8_suffix(m.stderr_buf, spec.limits.stderr_tail_bytes));
  return classify(m.caps, m.decoder->state(), m.end);
}

Result<Outcome> ProcessAgentRunner::run(const Turn& turn, EventSink& sink,
                                        const ProcessObserver& on_process) {
  if (!turn.harness) return make_error("no harness given");
  auto plan = turn.harness->plan(turn.request, turn.settings);
  if (!plan) return plan.error();
  RunSpec spec;
  spec.plan = std::move(*plan);
  spec.run_dir = turn.request.run_dir;
  spec.extra_env = turn.settings.extra_env;
  spec.path_prepend = options_.path_prepend;
  spec.forwards = turn.forwards;
  spec.bottega_binary = options_.bottega_binary;
  spec.limits = options_.limits;
  if (options_.sandbox) {
    SandboxSpec sb;
    sb.bwrap = options_.bwrap;
    sb.worktree = turn.request.worktree;
    sb.run_dir = turn.request.run_dir;
    sb.readable = options_.readable;
    sb.readable.insert(sb.readable.end(), turn.sandbox_readable.begin(),
                       turn.sandbox_readable.end());
    sb.writable = turn.sandbox_writable;
    spec.sandbox = std::move(sb);
  }
  AgentProcess process(std::move(spec), turn.harness->decoder(turn.request, turn.settings),
                       turn.harness->capabilities());
  if (on_process) on_process(&process);
  Outcome outcome = process.run(sink);
  if (on_process) on_process(nullptr);
  return outcome;
}

}  // namespace bottega::agents
