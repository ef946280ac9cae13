#include "engine/agents/egress_proxy.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <mutex>

#include "config/base/log.h"
#include "engine/agents/local_server.h"

namespace bottega::agents {
namespace {

using local::Clock;
using local::Io;

constexpr std::size_t kMaxRefusals = 50;

// ---- names, entries and addresses -------------------------------------

struct HostPort {
  std::string host;  // normalized
  int port = 0;      // 0: none given
};

bool parse_port(std::string_view text, int& port) {
  if (text.empty() || text.size() > 5) return false;
  int value = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || p != text.data() + text.size() || value < 1 || value > 65535)
    return false;
  port = value;
  return true;
}

// "host", "host:port", "[v6]", "[v6]:port", or a bare IPv6 literal.
bool split_host_port(std::string_view text, HostPort& out) {
  out = {};
  std::string_view host = text;
  if (!text.empty() && text.front() == '[') {
    std::size_t close = text.find(']');
    if (close == std::string_view::npos) return false;
    host = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':' || !parse_port(rest.substr(1), out.port)) return false;
    }
    in6_addr a{};
    if (::inet_pton(AF_INET6, std::string(host).c_str(), &a) != 1) return false;
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    std::size_t colon = text.find(':');
    host = text.substr(0, colon);
    if (!parse_port(text.substr(colon + 1), out.port)) return false;
  }
  if (host.empty()) return false;
  out.host = normalize_host(host);
  return !out.host.empty();
}

bool valid_name(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  in6_addr a{};
  if (host.find(':') != std::string_view::npos)
    return ::inet_pton(AF_INET6, std::string(host).c_str(), &a) == 1;
  return std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
  });
}

bool host_matches(std::string_view pattern, std::string_view host) {
  if (pattern.starts_with("*.")) {
    std::string_view suffix = pattern.substr(1);  // ".example.com"
    return host.size() > suffix.size() && host.ends_with(suffix);
  }
  return pattern == host;
}

// The documentation (TEST-NET) and benchmarking ranges are let through:
// they reach nothing of the host's or the LAN's, and some networks (this
// project's CI among them) resolve public names such as the npm registry
// into them.
bool public_v4(uint32_t a) {
  struct Range {
    uint32_t net;
    int bits;
  };
  static constexpr Range kBlocked[] = {
      {0x00000000, 8},   // "this network"
      {0x0A000000, 8},   // private
      {0x64400000, 10},  // CGNAT
      {0x7F000000, 8},   // loopback
      {0xA9FE0000, 16},  // link-local, the cloud metadata address
      {0xAC100000, 12},  // private
      {0xC0000000, 24},  // IETF protocol assignments
      {0xC0586300, 24},  // 6to4 relay anycast
      {0xC0A80000, 16},  // private
      {0xE0000000, 4},   // multicast
      {0xF0000000, 4},   // reserved, broadcast
  };
  for (const auto& r : kBlocked) {
    uint32_t mask = r.bits == 0 ? 0 : ~uint32_t{0} << (32 - r.bits);
    if ((a & mask) == r.net) return false;
  }
  return true;
}

uint32_t v4_at(const uint8_t* b) {
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | uint32_t{b[3]};
}

bool public_v6(const uint8_t* b) {
  auto zeros = [&](int from, int to) {
    return std::all_of(b + from, b + to, [](uint8_t x) { return x == 0; });
  };
  if (zeros(0, 10) && b[10] == 0xff && b[11] == 0xff) return public_v4(v4_at(b + 12));  // mapped
  if (zeros(0, 12)) return false;  // unspecified, loopback, IPv4-compatible (deprecated)
  if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b) {  // NAT64
    if (zeros(4, 12)) return public_v4(v4_at(b + 12));
    return false;  // 64:ff9b:1::/48, local use
  }
  if (b[0] == 0x20 && b[1] == 0x02) return public_v4(v4_at(b + 2));                // 6to4
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x00 && b[3] == 0x00) return false;  // Teredo
  return (b[0] & 0xe0) == 0x20;  // global unicast 2000::/3; fc00::/7, fe80::/10, ff00::/8 are not
}

bool public_sockaddr(const sockaddr* sa) {
  if (sa->sa_family == AF_INET)
    return public_v4(ntohl(reinterpret_cast<const sockaddr_in*>(sa)->sin_addr.s_addr));
  if (sa->sa_family == AF_INET6)
    return public_v6(reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr.s6_addr);
  return false;
}

std::string numeric(const sockaddr* sa) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (sa->sa_family == AF_INET)
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, buf, sizeof buf);
  else if (sa->sa_family == AF_INET6)
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, buf, sizeof buf);
  return buf;
}

std::string show(const std::string& host, int port) {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
         std::to_string(port);
}

bool is_hop_by_hop(const std::string& lname) {
  return lname == "connection" || lname == "proxy-connection" || lname == "keep-alive" ||
         lname == "proxy-authorization" || lname == "proxy-authenticate" || lname == "te" ||
         lname == "trailer" || lname == "upgrade";
}

}  // namespace

std::string normalize_host(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  std::string h = local::lower(host);
  while (!h.empty() && h.back() == '.') h.pop_back();
  if (h.find(':') != std::string::npos) {
    in6_addr a{};
    char buf[INET6_ADDRSTRLEN] = {};
    if (::inet_pton(AF_INET6, h.c_str(), &a) == 1 && ::inet_ntop(AF_INET6, &a, buf, sizeof buf))
      h = buf;
  }
  return h;
}

bool valid_egress_entry(std::string_view entry, bool require_port) {
  HostPort hp;
  if (!split_host_port(entry, hp)) return false;
  if (require_port && hp.port == 0) return false;
  std::string_view host = hp.host;
  if (host.starts_with("*.")) {
    if (require_port) return false;
    host.remove_prefix(2);
  }
  return valid_name(host) && host.find('*') == std::string_view::npos;
}

bool egress_allowed(const std::vector<std::string>& allow, std::string_view host, uint16_t port,
                    uint16_t default_port) {
  std::string h = normalize_host(host);
  if (h.empty()) return false;
  for (const auto& entry : allow) {
    HostPort e;
    if (!split_host_port(entry, e)) continue;
    int want = e.port == 0 ? default_port : e.port;
    if (want == port && host_matches(e.host, h)) return true;
  }
  return false;
}

bool is_public_address(std::string_view text) {
  std::string s = normalize_host(text);
  in_addr v4{};
  if (::inet_pton(AF_INET, s.c_str(), &v4) == 1) return public_v4(ntohl(v4.s_addr));
  in6_addr v6{};
  if (::inet_pton(AF_INET6, s.c_str(), &v6) == 1) return public_v6(v6.s6_addr);
  return false;
}

// ---- the proxy ----------------------------------------------------------

struct EgressProxy::Impl {
  EgressProxyOptions options;
  std::unique_ptr<local::LocalServer> server;
  mutable std::mutex mutex;
  std::vector<std::string> refusals;

  spdlog::logger& log() const { return component_log("egress"); }

  Clock::time_point soon() const { return Clock::now() + std::chrono::seconds(5); }

  void answer(int fd, int stop_fd, int status, const std::string& text) {
    (void)local::write_all(fd, stop_fd, soon(), local::simple_response(status, text + "\n"));
  }

  void refuse(int fd, int stop_fd, const std::string& what, const std::string& reason) {
    log().warn("{}: refused {}: {}", options.label, what, reason);
    {
      std::lock_guard lock(mutex);
      if (refusals.size() < kMaxRefusals &&
          std::find(refusals.begin(), refusals.end(), reason) == refusals.end())
        refusals.push_back(reason);
    }
    answer(fd, stop_fd, 403, reason);
  }

  bool private_allowed(const std::string& host, int port) const {
    for (const auto& entry : options.allow_private) {
      HostPort e;
      if (split_host_port(entry, e) && e.port == port && e.host == host) return true;
    }
    return false;
  }

  void serve(int fd, int stop_fd) {
    std::string buffer, text;
    Io io = local::read_head(fd, stop_fd, Clock::now() + options.header_timeout,
                             options.header_timeout, options.max_header_bytes, buffer, text);
    if (io == Io::too_large)
      return answer(fd, stop_fd, 431, "bottega egress: request head too large");
    if (io == Io::timeout) {
      log().info("{}: dropped a client that sent no complete request head in time", options.label);
      return answer(fd, stop_fd, 408, "bottega egress: request head timed out");
    }
    if (io != Io::ok) return;
    local::RequestHead head;
    if (!local::parse_request_head(text, head))
      return answer(fd, stop_fd, 400, "bottega egress: malformed request");

    const bool tunnel = head.method == "CONNECT";
    HostPort target;
    std::string origin_target;  // plain HTTP: path and query
    std::string authority;      // plain HTTP: as written in the URL
    if (tunnel) {
      if (!split_host_port(head.target, target))
        return answer(fd, stop_fd, 400, "bottega egress: CONNECT needs host:port");
      if (target.port == 0) target.port = 443;
    } else {
      std::string_view url = head.target;
      std::string scheme = local::lower(url.substr(0, std::min<std::size_t>(url.size(), 8)));
      if (scheme.starts_with("https://"))
        return answer(fd, stop_fd, 400, "bottega egress: use CONNECT for https");
      if (!scheme.starts_with("http://"))
        return answer(fd, stop_fd, 400,
                      "bottega egress: not a proxy request (absolute http:// URL or CONNECT)");
      url.remove_prefix(7);
      std::size_t end = url.find_first_of("/?#");
      authority = std::string(url.substr(0, end));
      std::string rest = end == std::string_view::npos ? "" : std::string(url.substr(end));
      if (auto hash = rest.find('#'); hash != std::string::npos) rest.resize(hash);
      origin_target = rest.empty() || rest.front() != '/' ? "/" + rest : rest;
      if (authority.find('@') != std::string::npos || !split_host_port(authority, target))
        return answer(fd, stop_fd, 400, "bottega egress: bad host in " + head.target);
      if (target.port == 0) target.port = 80;
    }
    if (!valid_name(target.host))
      return answer(fd, stop_fd, 400, "bottega egress: bad host name " + target.host);
    const std::string where = show(target.host, target.port);
    const std::string what = head.method + " " + where;
    if (!egress_allowed(options.allow, target.host, static_cast<uint16_t>(target.port),
                        tunnel ? 443 : 80))
      return refuse(fd, stop_fd, what, "bottega egress: " + where + " is not on the allow-list");

    // Resolve once, check every address, connect only to checked ones.
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    int rc = ::getaddrinfo(target.host.c_str(), nullptr, &hints, &found);
    if (rc != 0 || found == nullptr) {
      log().info("{}: cannot resolve {}: {}", options.label, target.host, ::gai_strerror(rc));
      return answer(
          fd, stop_fd, 502,
          "bottega egress: cannot resolve " + target.host + " (" + ::gai_strerror(rc) + ")");
    }
    std::vector<sockaddr_storage> addresses;
    std::string blocked;
    for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
      if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
      if (!public_sockaddr(ai->ai_addr) && blocked.empty()) blocked = numeric(ai->ai_addr);
      sockaddr_storage ss{};
      std::memcpy(&ss, ai->ai_addr, std::min<std::size_t>(ai->ai_addrlen, sizeof ss));
      if (ai->ai_family == AF_INET)
        reinterpret_cast<sockaddr_in*>(&ss)->sin_port = htons(static_cast<uint16_t>(target.port));
      else
        reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port = htons(static_cast<uint16_t>(target.port));
      addresses.push_back(ss);
    }
    ::freeaddrinfo(found);
    if (addresses.empty())
      return answer(fd, stop_fd, 502, "bottega egress: no address for " + target.host);
    if (!blocked.empty() && !private_allowed(target.host, target.port))
      return refuse(
          fd, stop_fd, what,
          "bottega egress: " + where + " resolves to a private address (" + blocked + ")");

    std::string error;
    int up = connect_any(addresses, stop_fd, error);
    if (up < 0) {
      log().info("{}: cannot connect to {}: {}", options.label, where, error);
      return answer(fd, stop_fd, 502,
                    "bottega egress: cannot connect to " + where + " (" + error + ")");
    }
    log().debug("{}: {} allowed", options.label, what);

    std::string to_upstream;
    if (tunnel) {
      if (local::write_all(fd, stop_fd, soon(), "HTTP/1.1 200 Connection established\r\n\r\n") !=
          Io::ok) {
        ::close(up);
        return;
      }
    } else {
      to_upstream = rewrite_head(head, origin_target, authority);
    }
    to_upstream += buffer;  // bytes the client sent past the head
    relay(fd, up, stop_fd, std::move(to_upstream));
    ::close(up);
  }

  static std::string rewrite_head(const local::RequestHead& head, const std::string& target,
                                  const std::string& authority) {
    std::vector<std::string> listed;  // headers the client's Connection header names
    for (const auto& [k, v] : head.headers) {
      std::string lk = local::lower(k);
      if (lk != "connection" && lk != "proxy-connection") continue;
      std::string_view rest = v;
      while (!rest.empty()) {
        std::size_t comma = rest.find(',');
        std::string_view item = rest.substr(0, comma);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        if (!item.empty()) listed.push_back(local::lower(item));
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      }
    }
    std::string out = head.method + " " + target + " " + head.version + "\r\n";
    out += "Host: " + authority + "\r\n";
    for (const auto& [k, v] : head.headers) {
      std::string lk = local::lower(k);
      if (lk == "host" || is_hop_by_hop(lk) ||
          std::find(listed.begin(), listed.end(), lk) != listed.end())
        continue;
      out += k + ": " + v + "\r\n";
    }
    out += "Connection: close\r\n\r\n";
    return out;
  }

  int connect_any(const std::vector<sockaddr_storage>& addresses, int stop_fd,
                  std::string& error) const {
    const auto deadline = Clock::now() + options.connect_timeout;
    for (const auto& ss : addresses) {
      int s = ::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (s < 0) {
        error = std::strerror(errno);
        continue;
      }
      socklen_t len = ss.ss_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
      int rc = ::connect(s, reinterpret_cast<const sockaddr*>(&ss), len);
      if (rc != 0 && errno == EINPROGRESS) {
        Io w = local::wait_fd(s, POLLOUT, stop_fd, deadline);
        if (w == Io::ok) {
          int err = 0;
          socklen_t elen = sizeof err;
          ::getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &elen);
          rc = err == 0 ? 0 : -1;
          errno = err;
        } else {
          error = w == Io::timeout ? "timed out" : "stopped";
          ::close(s);
          if (w == Io::stopped || Clock::now() >= deadline) return -1;
          continue;
        }
      }
      if (rc == 0) return s;
      error = std::strerror(errno);
      ::close(s);
    }
    return -1;
  }

  // Relays bytes both ways until both sides have finished (each end of
  // stream is passed on as a half-close), an error, the idle timeout, or
  // stop. `pending` goes to the upstream first.
  void relay(int client, int upstream, int stop_fd, std::string pending) const {
    struct Way {
      int from, to;
      std::string buf;
      std::size_t off = 0;
      bool eof = false, shut = false;
    };
    Way ways[2] = {{client, upstream, std::move(pending)}, {upstream, client, {}}};
    constexpr std::size_t kChunk = 64 * 1024;
    auto idle_deadline = Clock::now() + options.idle_timeout;
    for (;;) {
      for (Way& w : ways) {
        if (w.eof && w.off == w.buf.size() && !w.shut) {
          ::shutdown(w.to, SHUT_WR);
          w.shut = true;
        }
      }
      if (ways[0].shut && ways[1].shut) return;
      pollfd fds[3] = {{client, 0, 0}, {upstream, 0, 0}, {stop_fd, POLLIN, 0}};
      for (int i = 0; i < 2; ++i) {
        Way& w = ways[i];
        pollfd& from = fds[i];
        pollfd& to = fds[1 - i];
        if (!w.eof && w.off == w.buf.size()) from.events |= POLLIN;
        if (w.off < w.buf.size()) to.events |= POLLOUT;
      }
      // A socket nothing is waited for is left out: a peer that closed both
      // ways would otherwise report POLLHUP at once, forever.
      for (int i = 0; i < 2; ++i)
        if (fds[i].events == 0) fds[i].fd = -1;
      auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(idle_deadline - Clock::now());
      if (left.count() <= 0) return;
      int n = ::poll(fds, 3, static_cast<int>(std::min<int64_t>(left.count() + 1, 60'000)));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 || (fds[2].revents & POLLIN)) return;
      if (n == 0) continue;
      idle_deadline = Clock::now() + options.idle_timeout;
      for (int i = 0; i < 2; ++i) {
        Way& w = ways[i];
        if ((fds[i].revents & POLLERR) != 0) return;
        if ((fds[i].revents & (POLLIN | POLLHUP)) != 0 && !w.eof && w.off == w.buf.size()) {
          w.buf.resize(kChunk);
          w.off = 0;
          ssize_t got = ::recv(w.from, w.buf.data(), kChunk, 0);
          if (got > 0) {
            w.buf.resize(static_cast<std::size_t>(got));
          } else {
            w.buf.clear();
            if (got == 0) {
              w.eof = true;
            } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
              return;
            }
          }
        }
      }
      for (int i = 0; i < 2; ++i) {
        Way& w = ways[i];
        if (w.off >= w.buf.size()) continue;
        if ((fds[1 - i].revents & (POLLOUT | POLLERR | POLLHUP)) == 0) continue;
        ssize_t sent = ::send(w.to, w.buf.data() + w.off, w.buf.size() - w.off, MSG_NOSIGNAL);
        if (sent > 0) {
          w.off += static_cast<std::size_t>(sent);
          if (w.off == w.buf.size()) {
            w.buf.clear();
            w.off = 0;
          }
        } else if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
          return;
        }
      }
    }
  }
};

EgressProxy::EgressProxy(EgressProxyOptions options) : impl_(std::make_shared<Impl>()) {
  impl_->options = std::move(options);
  std::weak_ptr<Impl> weak = impl_;
  impl_->server = std::make_unique<local::LocalServer>("egress", impl_->options.max_connections,
                                                       [weak](int fd, int stop_fd) {
                                                         if (auto self = weak.lock())
                                                           self->serve(fd, stop_fd);
                                                       });
}

EgressProxy::~EgressProxy() { stop(); }

namespace {

Result<void> check_entries(const EgressProxyOptions& o) {
  for (const auto& e : o.allow)
    if (!valid_egress_entry(e, false))
      return make_error("egress allow-list: bad entry \"" + e +
                        "\" (expected host, *.suffix or [IPv6], with an optional :port)");
  for (const auto& e : o.allow_private)
    if (!valid_egress_entry(e, true))
      return make_error("egress allow_private: bad entry \"" + e + "\" (expected host:port)");
  return {};
}

}  // namespace

Result<void> EgressProxy::listen_unix(const std::string& path) {
  if (auto ok = check_entries(impl_->options); !ok) return ok;
  return impl_->server->listen_unix(path);
}

Result<uint16_t> EgressProxy::listen_loopback() {
  if (auto ok = check_entries(impl_->options); !ok) return ok.error();
  return impl_->server->listen_loopback();
}

void EgressProxy::stop() { impl_->server->stop(impl_->options.stop_grace); }

std::vector<std::string> EgressProxy::refusals() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->refusals;
}

}  // namespace bottega::agents
