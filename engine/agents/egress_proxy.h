// EgressProxy: the sandbox's only way to the network, one per turn. An HTTP
// proxy on a unix socket (the sandbox's forwarder maps a loopback port onto
// it) or on 127.0.0.1 (tests, `sandbox: off`) that lets a connection through
// only to a host on the allow-list, and never to a loopback, private,
// link-local, metadata, multicast or otherwise non-public address unless the
// operator named that exact host:port in `allow_private`.
//
// It speaks `CONNECT host:port` (answers 200, then relays bytes both ways)
// and absolute-form plain HTTP (`GET http://host/path`: the head is
// rewritten to origin-form with `Connection: close`, then relayed). The name
// is resolved here, every address checked, and the connection made to an
// address that was checked (no second lookup, so no DNS rebinding).
// Refusals answer 403 with a one-line reason, are logged and are kept for
// the status comment.
//
// Thread-safety: listen_*() and stop() from one controlling thread;
// refusals() from any thread. Ownership: owns its listener, connections and
// their threads; stop() (or the destructor) ends them.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/base/result.h"

namespace bottega::agents {

struct EgressProxyOptions {
  // "host" or "*.suffix" (any name below suffix, not suffix itself), each
  // with an optional ":port" (without: 443 for CONNECT, 80 for plain HTTP).
  // IPv6 literals in brackets: "[2001:db8::1]:443". Names match in any case,
  // a trailing dot ignored.
  std::vector<std::string> allow;
  // Exact "host:port" entries that may resolve to non-public addresses (a
  // LAN mirror; tests' loopback stand-ins). They must be on `allow` too.
  std::vector<std::string> allow_private;
  std::string label;  // the turn, on every log line
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds header_timeout{10'000};  // the whole request head
  std::chrono::milliseconds idle_timeout{600'000};   // a relay with no traffic either way
  std::size_t max_header_bytes = 16 * 1024;
  int max_connections = 64;
  std::chrono::milliseconds stop_grace{2'000};  // stop() waits this long for threads
};

class EgressProxy {
 public:
  explicit EgressProxy(EgressProxyOptions options);
  ~EgressProxy();  // stop()
  EgressProxy(const EgressProxy&) = delete;
  EgressProxy& operator=(const EgressProxy&) = delete;

  // Start serving on a unix socket at `path` (made 0600; a stale socket is
  // replaced) or on 127.0.0.1 at a free port (returned). Fails on a
  // malformed allow or allow_private entry, a bad path, a bind error, or
  // when already listening.
  Result<void> listen_unix(const std::string& path);
  Result<uint16_t> listen_loopback();

  // Stops accepting, closes every connection, waits for their threads (up
  // to options.stop_grace; a thread inside a DNS lookup ends on its own).
  void stop();

  // The reasons of the refusals so far, deduplicated, in order, at most 50:
  // "bottega egress: evil.example:443 is not on the allow-list".
  std::vector<std::string> refusals() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// The pure rules, for tests and for checking configuration.

// Lower case, trailing dot and IPv6 brackets removed, IPv6 literals in
// canonical form.
std::string normalize_host(std::string_view host);
// Whether `entry` has a valid form ("host", "*.suffix", "[v6]", with an
// optional ":port" from 1 to 65535); `require_port` for allow_private.
bool valid_egress_entry(std::string_view entry, bool require_port);
// Whether host:port matches one allow-list entry; an entry without a port
// stands for `default_port`.
bool egress_allowed(const std::vector<std::string>& allow, std::string_view host, uint16_t port,
                    uint16_t default_port);
// Whether a numeric IPv4 or IPv6 address is a public unicast address: false
// for loopback, unspecified, private, CGNAT, link-local (the metadata
// address included), multicast, broadcast and reserved
// ranges, and IPv4-mapped, -compatible, NAT64 and 6to4 forms of those; false
// for a string that is not a numeric address.
bool is_public_address(std::string_view numeric);

}  // namespace bottega::agents
