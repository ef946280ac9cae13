#include "engine/agents/sandbox.h"

#include <filesystem>

namespace bottega::agents {

namespace fs = std::filesystem;

const std::vector<std::string>& sandbox_etc_allow_list() {
  static const std::vector<std::string> entries = {"alternatives",
                                                   "bash.bashrc",
                                                   "ca-certificates",
                                                   "ca-certificates.conf",
                                                   "debian_version",
                                                   "gai.conf",
                                                   "host.conf",
                                                   "inputrc",
                                                   "java-17-openjdk",
                                                   "ld.so.cache",
                                                   "ld.so.conf",
                                                   "ld.so.conf.d",
                                                   "locale.alias",
                                                   "localtime",
                                                   "magic",
                                                   "magic.mime",
                                                   "maven",
                                                   "mime.types",
                                                   "nsswitch.conf",
                                                   "os-release",
                                                   "perl",
                                                   "profile",
                                                   "profile.d",
                                                   "protocols",
                                                   "python3",
                                                   "python3.11",
                                                   "services",
                                                   "shells",
                                                   "ssl/certs",
                                                   "ssl/openssl.cnf",
                                                   "terminfo",
                                                   "timezone"};
  return entries;
}

std::vector<std::pair<std::string, std::string>> sandbox_generated_etc(const std::string& home) {
  const std::string uid = std::to_string(kSandboxUid), gid = std::to_string(kSandboxGid);
  const std::string user = kSandboxUser;
  return {
      {"/etc/passwd", user + ":x:" + uid + ":" + gid + ":Bottega agent:" + home + ":/bin/bash\n" +
                          "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"},
      {"/etc/group", user + ":x:" + gid + ":\nnogroup:x:65534:\n"},
      {"/etc/hosts", std::string("127.0.0.1\tlocalhost ") + kSandboxHostname +
                         "\n::1\tlocalhost ip6-localhost ip6-loopback\n"},
  };
}

std::vector<std::string> sandbox_command(const SandboxSpec& spec, const std::string& cwd,
                                         const std::vector<std::string>& command) {
  // No --new-session: the runner's setsid already leaves no controlling
  // terminal, and keeping the process group lets a cancel's SIGTERM reach
  // the agent itself instead of only bwrap.
  std::vector<std::string> a = {spec.bwrap,
                                "--unshare-user",
                                "--unshare-pid",
                                "--unshare-ipc",
                                "--unshare-net",
                                "--unshare-uts",
                                "--unshare-cgroup-try",
                                "--disable-userns",
                                "--die-with-parent",
                                "--uid",
                                std::to_string(kSandboxUid),
                                "--gid",
                                std::to_string(kSandboxGid),
                                "--cap-drop",
                                "ALL",
                                "--hostname",
                                kSandboxHostname,
                                "--ro-bind",
                                "/usr",
                                "/usr"};
  // Merged /usr (Debian 12): /bin, /lib… are symlinks into /usr; elsewhere
  // directories of their own.
  for (const char* top : {"/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32"}) {
    std::error_code ec;
    auto status = fs::symlink_status(top, ec);
    if (ec) continue;
    if (fs::is_symlink(status)) {
      auto target = fs::read_symlink(top, ec);
      if (!ec) a.insert(a.end(), {"--symlink", target.string(), top});
    } else if (fs::is_directory(status)) {
      a.insert(a.end(), {"--ro-bind", top, top});
    }
  }
  a.insert(a.end(), {"--perms", "0755", "--dir", "/etc"});
  for (const auto& entry : sandbox_etc_allow_list()) {
    const std::string path = "/etc/" + entry;
    a.insert(a.end(), {"--ro-bind-try", path, path});
  }
  for (const auto& file : spec.data_files)
    a.insert(a.end(), {"--perms", "0644", "--ro-bind-data", std::to_string(file.fd), file.path});
  a.insert(a.end(), {"--proc", "/proc", "--dev", "/dev", "--tmpfs", "/dev/shm", "--tmpfs", "/tmp"});

  auto bind_as = [&a](const char* how, const std::string& path) {
    if (path.empty()) return;
    std::error_code ec;
    auto canonical = fs::weakly_canonical(path, ec);
    const std::string p = (ec ? fs::path(path) : canonical).string();
    a.insert(a.end(), {how, p, p});
  };
  // Read-only first, then the writable paths: a writable path inside a
  // readable one stays writable.
  for (const auto& r : spec.readable) bind_as("--ro-bind-try", r);
  bind_as("--bind", spec.worktree);
  bind_as("--bind", spec.run_dir);
  for (const auto& w : spec.writable) bind_as("--bind", w);
  for (const auto& s : spec.sockets) bind_as("--bind", s);
  // The root itself (a tmpfs bwrap made) becomes read-only: the agent
  // cannot add top-level directories.
  a.insert(a.end(), {"--remount-ro", "/", "--chdir", cwd.empty() ? spec.worktree : cwd, "--"});
  a.insert(a.end(), command.begin(), command.end());
  return a;
}

}  // namespace bottega::agents
