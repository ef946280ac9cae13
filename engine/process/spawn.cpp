#include "engine/process/spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>

#include <cstring>

namespace bottega {

namespace {

std::vector<char*> c_strings(const std::vector<std::string>& strings, const std::string* first) {
  std::vector<char*> out;
  if (first) out.push_back(const_cast<char*>(first->c_str()));
  for (const auto& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

}  // namespace

Result<pid_t> spawn_process(const SpawnOptions& o) {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  if (posix_spawn_file_actions_init(&actions) != 0) return make_error("cannot start " + o.exe);
  if (posix_spawnattr_init(&attr) != 0) {
    posix_spawn_file_actions_destroy(&actions);
    return make_error("cannot start " + o.exe);
  }
  struct Destroy {
    posix_spawn_file_actions_t* actions;
    posix_spawnattr_t* attr;
    ~Destroy() {
      posix_spawn_file_actions_destroy(actions);
      posix_spawnattr_destroy(attr);
    }
  } destroy{&actions, &attr};

  int rc = posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  auto bind = [&](int fd, int target) {
    if (rc != 0) return;
    rc = fd >= 0 ? posix_spawn_file_actions_adddup2(&actions, fd, target)
                 : posix_spawn_file_actions_addopen(&actions, target, "/dev/null", O_WRONLY, 0);
  };
  bind(o.stdout_fd, 1);
  bind(o.stderr_fd, 2);
  if (rc == 0 && !o.cwd.empty()) rc = posix_spawn_file_actions_addchdir_np(&actions, o.cwd.c_str());
  if (rc == 0) rc = posix_spawn_file_actions_addclosefrom_np(&actions, 3);

  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  if (o.new_session) flags |= POSIX_SPAWN_SETSID;
  if (rc == 0) rc = posix_spawnattr_setsigmask(&attr, &none);
  if (rc == 0) rc = posix_spawnattr_setsigdefault(&attr, &defaults);
  if (rc == 0) rc = posix_spawnattr_setflags(&attr, flags);
  if (rc != 0) return make_error("cannot start " + o.exe + ": " + std::strerror(rc));

  auto argv = c_strings(o.args, &o.exe);
  auto envp = c_strings(o.env, nullptr);
  pid_t pid = 0;
  rc = posix_spawn(&pid, o.exe.c_str(), &actions, &attr, argv.data(), envp.data());
  if (rc != 0) return make_error("cannot start " + o.exe + ": " + std::strerror(rc));
  return pid;
}

}  // namespace bottega
