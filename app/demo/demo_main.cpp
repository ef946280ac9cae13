// bottega-demo: the offline demo (`./deploy/run.sh --demo`, spec/demo.md).
// Starts the fake GitHub in-process (holding acme/greeter, the sample
// repository), `bottega serve` as a child (its embedded PostgreSQL, the
// fake agent or a real harness), then plays a task's story as the people
// on GitHub would (and a stand-in CI, checking each head of the pull
// request), printing the and the pull request's threads as they
// change, and stays up for the web pages until Ctrl-C.
//
//   bottega-demo [--dir DIR] [--port N] [--fast] [--exit-when-done]
//                [--harness claude|codex|opencode --model MODEL]
//                [--bottega PATH] [--fake-agent PATH]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string_view>
#include <thread>

#include "app/demo/demo_setup.h"
#include "app/demo/sample.h"
#include "app/demo/story.h"
#include "app/demo/thread_printer.h"
#include "config/base/log.h"
#include "tests/support/fake_github/fake_github.h"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace bottega::demo {
namespace {

std::atomic<int> g_signal{0};
void on_signal(int sig) { g_signal = sig; }

int usage(const std::string& problem) {
  std::cerr << "bottega-demo: " << problem
            << "\nusage: bottega-demo [--dir DIR] [--port N] [--fast] [--exit-when-done]\n"
               "                    [--harness claude|codex|opencode --model MODEL]\n"
               "                    [--bottega PATH] [--fake-agent PATH]\n";
  return 2;
}

// Polls `done` (printing the threads meanwhile) until it holds, the
// deadline passes or a signal arrives.
bool wait_for(ThreadPrinter& printer, const std::function<bool()>& done,
              std::chrono::seconds deadline, pid_t server) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < until) {
    printer.poll();
    if (done()) return true;
    if (g_signal) return false;
    int status = 0;
    if (waitpid(server, &status, WNOHANG) == server) {
      std::cerr << "demo: bottega serve stopped unexpectedly (see its log)\n";
      g_signal = SIGTERM;
      return false;
    }
    std::this_thread::sleep_for(250ms);
  }
  return false;
}

// Whether GET `path` on 127.0.0.1:port answers 200 (one plain HTTP/1.0 request).
bool http_ok(int port, const std::string& path) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  bool ok = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    const std::string request = "GET " + path + " HTTP/1.0\r\n\r\n";
    char buf[64] = {};
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(request.size()) &&
        ::recv(fd, buf, sizeof buf - 1, 0) > 12)
      ok = std::string_view(buf).substr(8, 5) == " 200 ";
  }
  ::close(fd);
  return ok;
}

void stop_server(pid_t pid) {
  if (pid <= 0) return;
  ::kill(pid, SIGTERM);
  for (int i = 0; i < 300; ++i) {  // 30 s for the drain and the database to stop
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return;
    std::this_thread::sleep_for(100ms);
  }
  std::cerr << "demo: bottega serve did not stop in 30 s; killing it\n";
  ::kill(-pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
}

}  // namespace

int run(int argc, char** argv) {
  DemoOptions o;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (flag == "--fast")
      o.fast = true;
    else if (flag == "--exit-when-done")
      o.exit_when_done = true;
    else if (flag == "--dir")
      o.dir = value();
    else if (flag == "--port")
      o.port = std::atoi(value().c_str());
    else if (flag == "--harness")
      o.harness = value();
    else if (flag == "--model")
      o.model = value();
    else if (flag == "--bottega")
      o.bottega = value();
    else if (flag == "--fake-agent")
      o.fake_agent = value();
    else
      return usage("unknown flag " + flag);
  }
  if (auto problem = check_options(o)) return usage(*problem);
  setup_logging("warn", LogFormat::text);

  // Ctrl-C reaches us only: the server runs in a session of its own and is
  // stopped by us, so its database and agents stop in order.
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  auto prepared = prepare_demo(o);
  if (!prepared) {
    std::cerr << "demo: " << prepared.error().message << "\n";
    return 1;
  }
  fake_github::FakeGitHub github(fake_options(o, *prepared));
  if (auto started = github.start(); !started) {
    std::cerr << "demo: the fake GitHub did not start: " << started.error().message << "\n";
    return 1;
  }
  auto seeded = seed_github(github);
  if (!seeded) {
    std::cerr << "demo: " << seeded.error().message << "\n";
    return 1;
  }
  if (auto written = write_config(o, *prepared, github.base_url()); !written) {
    std::cerr << "demo: " << written.error().message << "\n";
    return 1;
  }
  std::cout << "demo: a stand-in GitHub at " << github.base_url() << " holds " << kOwner << "/"
            << kRepo << " (installation " << *seeded
            << "); starting bottega serve (log: " << prepared->dir << "/serve.log)" << std::endl;
  auto server = start_server(o, *prepared);
  if (!server) {
    std::cerr << "demo: " << server.error().message << "\n";
    return 1;
  }
  const pid_t pid = *server;
  const std::string app_url = "http://127.0.0.1:" + std::to_string(prepared->port);
  int exit_status = 0;
  bool ready = false;
  for (int i = 0; i < 1200 && !g_signal;
       ++i) {  // the first start makes the database: minutes at worst
    if (http_ok(prepared->port, "/readyz")) {
      ready = true;
      break;
    }
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) break;
    std::this_thread::sleep_for(250ms);
  }
  if (!ready) {
    std::cerr << "demo: bottega serve did not become ready; its log: " << prepared->dir
              << "/serve.log\n";
    stop_server(pid);
    github.stop();
    return g_signal ? 130 : 1;
  }
  std::cout << "demo: bottega is up at " << app_url << "\n\n";
  const auto outcome = play_story(github, o, pid, app_url, prepared->dir, wait_for);
  if (outcome.complete) {
    std::cout << "\ndemo: the story is complete: " << outcome.summary << "\n"
              << "demo: the task page: " << app_url << "/tasks/" << outcome.task_id
              << "  (sign in with the stand-in GitHub as `" << kMaintainer << "`)\n"
              << "demo: the board:     " << app_url << "/tasks\n";
  } else if (!g_signal) {
    std::cerr << "\ndemo: the story did not complete: " << outcome.summary << "\n"
              << "demo: bottega's log: " << prepared->dir << "/serve.log\n";
    exit_status = 1;
  }
  if (!o.exit_when_done && !g_signal) {
    std::cout << "demo: still running so you can click around; Ctrl-C stops everything."
              << std::endl;
    while (!g_signal) std::this_thread::sleep_for(200ms);
  }
  std::cout << "\ndemo: stopping bottega serve and the stand-in GitHub…" << std::endl;
  stop_server(pid);
  github.stop();
  std::cout << "demo: stopped." << std::endl;
  return exit_status;
}

}  // namespace bottega::demo

int main(int argc, char** argv) { return bottega::demo::run(argc, argv); }
