#include "engine/agents/sandbox.h"

#include <filesystem>

namespace bottega::agents {

std::vector<std::string> sandbox_command(const SandboxSpec& spec, const std::string& cwd,
                                         const std::vector<std::string>& command) {
  std::vector<std::string> a = {spec.bwrap,
                                "--die-with-parent",
                                "--unshare-pid",
                                "--unshare-ipc",
                                "--ro-bind",
                                "/",
                                "/",
                                "--dev",
                                "/dev",
                                "--proc",
                                "/proc",
                                "--tmpfs",
                                "/tmp"};
  // Hide first, then bind the writable paths: a worktree inside the hidden
  // data directory reappears on top of the empty tmpfs, its siblings do not.
  for (const auto& path : spec.hidden) {
    std::error_code ec;
    if (path.empty() || !std::filesystem::exists(path, ec)) continue;
    auto canonical = std::filesystem::weakly_canonical(path, ec).string();
    if (std::filesystem::is_directory(path, ec))
      a.insert(a.end(), {"--tmpfs", canonical});
    else
      a.insert(a.end(), {"--ro-bind", "/dev/null", canonical});
  }
  auto bind_as = [&a](const char* how, const std::string& path) {
    if (path.empty()) return;
    std::error_code ec;
    auto canonical = std::filesystem::weakly_canonical(path, ec).string();
    a.insert(a.end(), {how, canonical, canonical});
  };
  for (const auto& r : spec.readable) bind_as("--ro-bind-try", r);
  auto bind = [&](const std::string& path) { bind_as("--bind", path); };
  bind(spec.worktree);
  bind(spec.run_dir);
  for (const auto& w : spec.writable) bind(w);
  a.insert(a.end(), {"--chdir", cwd.empty() ? spec.worktree : cwd, "--"});
  a.insert(a.end(), command.begin(), command.end());
  return a;
}

}  // namespace bottega::agents
