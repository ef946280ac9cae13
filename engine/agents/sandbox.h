// The bubblewrap sandbox around an agent process, as a pure function from
// the run's paths to the bwrap command line.
//
// Built from an empty root, never from the host's: the agent runs as the
// unprivileged user `agent` (uid and gid 1000) in user, PID, IPC, network,
// UTS and cgroup namespaces of its own, with no capabilities and no way to
// open a further user namespace. It sees:
//   - /usr read-only, and /bin, /sbin, /lib* as the host has them (the
//     same symlinks on a merged-/usr system, read-only binds otherwise);
//   - in /etc only the entries of sandbox_etc_allow_list() (read-only) and
//     the generated passwd, group and hosts (sandbox_generated_etc());
//   - a fresh /proc (its own processes only), a minimal /dev, an empty /tmp;
//   - the worktree, the run directory, `writable` and the unix `sockets`
//     read-write; `readable` read-only; each at the same path as outside.
// Nothing else of the host exists inside: no /home, /root, /run, /var,
// /srv, /opt, no data directory, no other worktree, no host /tmp. Its
// network is its own loopback only (see bridge.h for the way out).
//
// When the server runs as root, uid 1000 inside maps to root outside: the
// agent reads and writes whatever is bound as the owner would, so only
// what is bound is reachable, and nothing secret may be bound.
//
// Thread-safety: pure functions (sandbox_command reads which of /bin, /lib…
// are symlinks on the host, the only I/O).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace bottega::agents {

// The user the agent runs as inside the sandbox.
inline constexpr int kSandboxUid = 1000;
inline constexpr int kSandboxGid = 1000;
inline constexpr const char* kSandboxUser = "agent";
inline constexpr const char* kSandboxHostname = "bottega-sandbox";

// A file bwrap creates inside from the content of a descriptor the caller
// opened (and keeps open, without close-on-exec, until bwrap has started).
struct SandboxDataFile {
  int fd = -1;
  std::string path;  // absolute, inside the sandbox
};

struct SandboxSpec {
  std::string bwrap = "bwrap";        // the bubblewrap binary
  std::string worktree;               // writable
  std::string run_dir;                // writable (HOME, signal files)
  std::vector<std::string> writable;  // more writable paths (a worktree's git metadata)
  // Read-only: the program's directories, the git object store a worktree
  // uses, toolchains the configuration names. Missing paths are skipped.
  std::vector<std::string> readable;
  // Unix sockets the agent may connect to (the bridge's targets), bound
  // one by one at the same path; each must exist when the sandbox starts.
  std::vector<std::string> sockets;
  // The generated /etc files (passwd, group, hosts), as descriptors.
  std::vector<SandboxDataFile> data_files;
};

// The /etc entries the sandbox shows, read-only, when the host has them:
// what dynamic linking, TLS, locales, time zones, name lookup of
// `localhost` and the usual interpreters need. Never shadow, gshadow,
// sudoers, ssh, ssl/private, the server's configuration, postgresql,
// machine-id, or files that may hold credentials (npmrc, pip.conf,
// gitconfig, wgetrc).
const std::vector<std::string>& sandbox_etc_allow_list();

// The generated /etc files, as (path, content): passwd and group naming the
// agent user (home `home`) and `nobody`, and hosts naming only loopback.
std::vector<std::pair<std::string, std::string>> sandbox_generated_etc(const std::string& home);

// The bwrap arguments (argv[0] is `bwrap`) that run `command` in `cwd`
// (default: the worktree) inside the sandbox.
std::vector<std::string> sandbox_command(const SandboxSpec& spec, const std::string& cwd,
                                         const std::vector<std::string>& command);

}  // namespace bottega::agents
