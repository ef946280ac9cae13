// TurnNetwork: one agent turn's ways out, started before the turn and ended
// after it: the model-API gateway (the model key stays here; the CLI gets a
// per-turn token) and the egress proxy (the allow-list). In the sandbox both
// listen on unix sockets in a private directory, which the bridge maps to
// fixed ports on the sandbox's own loopback; without the sandbox they listen
// on 127.0.0.1.
//
// While it lives, the gateway's token is a registered secret (redactor.h;
// the gateway registers it):
// keep it alive until whatever the turn produced has been redacted and
// checked (the task document, the stderr tail, the files to commit).
//
// Thread-safety: start() and the destructor from one thread; the getters
// from any. Ownership: owns both servers and the socket directory.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/base/result.h"
#include "engine/agents/runner.h"

namespace bottega::agents {

// The ports inside the sandbox (its own network namespace: they never
// collide with the host's or another turn's).
inline constexpr std::uint16_t kSandboxGatewayPort = 9401;
inline constexpr std::uint16_t kSandboxProxyPort = 9402;

struct TurnNetworkOptions {
  bool sandboxed = true;
  std::string harness;  // claude, codex, opencode
  std::string model;    // the turn's
  std::vector<std::string> egress_allow;
  std::vector<std::string> egress_allow_private;
  std::optional<double> budget_usd;       // what is left of the task's budget
  std::function<void()> on_budget_spent;  // from a gateway thread, once
  std::string label;                      // the turn, for log lines ("acme/widgets#7 turn 3")
  std::string ca_file;                    // PEM bundle for the model API; "" = system roots
};

class TurnNetwork {
 public:
  // Starts both servers for a turn of `turn.harness` with `turn.settings`
  // (its base_url, or the provider's public API, and its api_key are the
  // upstream). Fails when the upstream is unknown (an OpenCode provider with
  // no base_url) or a server cannot listen.
  [[nodiscard]] static Result<std::unique_ptr<TurnNetwork>> start(const AgentRunner::Turn& turn,
                                                                  TurnNetworkOptions options);
  ~TurnNetwork();
  TurnNetwork(const TurnNetwork&) = delete;
  TurnNetwork& operator=(const TurnNetwork&) = delete;

  // Points the turn at the gateway (base URL, the token as its key) and the
  // proxy (HTTP(S)_PROXY, NO_PROXY for the gateway), and adds the forwards.
  void apply(AgentRunner::Turn& turn) const;

  // What the gateway metered; no requests: nothing metered.
  Usage usage() const;
  std::size_t model_requests() const;
  bool budget_spent() const;
  // The proxy's refusals, for the status comment of a failed turn.
  std::vector<std::string> refusals() const;

 private:
  TurnNetwork() = default;
  struct Parts;
  std::unique_ptr<Parts> parts_;
};

// What the turn's network saw, into its outcome: a stop by the gateway is
// budget_reached; the API's own usage, when the gateway was asked, beats
// what the CLI reported (its cost too, when the price table knew the
// model); a failed turn's message names what the proxy refused. The
// message and stderr tail come out redacted (the token is still known).
void account_network(const TurnNetwork& network, Outcome& outcome);

}  // namespace bottega::agents
