// The bridge inside the sandbox: TCP ports on the sandbox's own loopback,
// each forwarded to a unix socket the app serves on the host (the per-turn
// egress proxy, the model-API gateway), around the agent program.
//
// The sandbox has a network namespace of its own with nothing but `lo`;
// the only way out is a unix socket bound into it. CLIs speak TCP (an
// HTTP(S)_PROXY URL, a model API base URL), so `bottega sandbox-exec`
// listens on 127.0.0.1:<port> inside and copies each connection to a new
// connection on the socket, both ways, half-close aware. It runs as the
// sandbox user and holds nothing secret: what a connection may do is
// decided by the server behind the socket.
//
// Thread-safety: run_bridge() blocks the calling thread, which it expects
// to be the only one receiving SIGCHLD, SIGTERM, SIGINT and SIGHUP (it
// blocks them while it runs and restores the mask); it starts one thread
// per direction of each connection and joins them all before returning.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/base/result.h"

namespace bottega::agents {

// 127.0.0.1:<port> inside the sandbox, forwarded to the unix socket at
// `socket` (an absolute path, bound into the sandbox at the same path).
struct Forward {
  std::uint16_t port = 0;
  std::string socket;
};

// "127.0.0.1:PORT=/abs/path.sock" (the form `--forward` takes). Fails on
// another host, a port outside 1..65535, a relative path, a path longer
// than a unix socket address holds, or control characters.
[[nodiscard]] Result<Forward> parse_forward(std::string_view text);
std::string format_forward(const Forward& forward);

// The exit status run_bridge() returns when it cannot listen on a port
// (and nothing was started); 126/127 when the program cannot be started
// (not executable / not found), as a shell does.
inline constexpr int kBridgeSetupFailed = 125;

// Listens on every forward's port, starts `argv` (searched on PATH; same
// process group and environment as ours), forwards SIGTERM, SIGINT and
// SIGHUP to it, and serves connections until it exits. Returns its exit
// status, or 128 + the signal that killed it. Then closes the listeners,
// cuts the open connections and joins their threads. Messages go to stderr.
int run_bridge(const std::vector<Forward>& forwards, const std::vector<std::string>& argv);

}  // namespace bottega::agents
