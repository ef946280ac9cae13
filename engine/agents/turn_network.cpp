#include "engine/agents/turn_network.h"

#include <cstdlib>
#include <filesystem>

#include "config/base/log.h"
#include "config/base/redactor.h"
#include "engine/agents/egress_proxy.h"
#include "engine/agents/model_gateway.h"

namespace bottega::agents {

namespace fs = std::filesystem;

struct TurnNetwork::Parts {
  std::unique_ptr<ModelGateway> gateway;
  std::unique_ptr<EgressProxy> proxy;
  std::string socket_dir;  // "" without the sandbox
  std::string gateway_url;
  uint16_t proxy_port = 0;
  bool sandboxed = false;

  ~Parts() {
    if (proxy) proxy->stop();
    if (gateway) gateway->stop();
    if (!socket_dir.empty()) {
      std::error_code ec;
      fs::remove_all(socket_dir, ec);
    }
  }
};

Result<std::unique_ptr<TurnNetwork>> TurnNetwork::start(const AgentRunner::Turn& turn,
                                                        TurnNetworkOptions options) {
  if (!turn.harness) return make_error("no harness given");
  const std::string harness(turn.harness->name());
  std::string upstream = turn.settings.base_url;
  if (upstream.empty()) upstream = default_upstream(harness, turn.request.model);
  if (upstream.empty())
    return make_error("harnesses." + harness + ".base_url is not set, and the model " +
                      turn.request.model + " names no provider whose API the app knows");

  std::unique_ptr<TurnNetwork> network(new TurnNetwork());
  network->parts_ = std::make_unique<Parts>();
  Parts& p = *network->parts_;
  p.sandboxed = options.sandboxed;

  ModelGatewayOptions g;
  g.upstream = upstream;
  g.api_key = turn.settings.api_key;
  g.model = turn.request.model;
  g.prices = turn.settings.prices;
  g.budget_usd = options.budget_usd;
  g.on_budget_spent = std::move(options.on_budget_spent);
  g.label = options.label;
  g.ca_file = options.ca_file;
  p.gateway = std::make_unique<ModelGateway>(std::move(g));  // registers its token as a secret

  EgressProxyOptions e;
  e.allow = options.egress_allow;
  e.allow_private = options.egress_allow_private;
  e.label = options.label;
  p.proxy = std::make_unique<EgressProxy>(std::move(e));

  if (options.sandboxed) {
    // A short private directory: a unix socket's path holds ~107 bytes.
    std::string pattern = "/tmp/bottega-net-XXXXXX";
    if (!::mkdtemp(pattern.data()))
      return make_error("cannot create a directory for the turn's sockets under /tmp");
    p.socket_dir = pattern;
    if (auto r = p.gateway->listen_unix(p.socket_dir + "/gateway.sock"); !r)
      return make_error("the model gateway: " + r.error().message);
    if (auto r = p.proxy->listen_unix(p.socket_dir + "/egress.sock"); !r)
      return make_error("the egress proxy: " + r.error().message);
    p.gateway_url = gateway_base_url(upstream, kSandboxGatewayPort);
    p.proxy_port = kSandboxProxyPort;
  } else {
    auto gport = p.gateway->listen_loopback();
    if (!gport) return make_error("the model gateway: " + gport.error().message);
    auto pport = p.proxy->listen_loopback();
    if (!pport) return make_error("the egress proxy: " + pport.error().message);
    p.gateway_url = gateway_base_url(upstream, *gport);
    p.proxy_port = *pport;
  }
  return network;
}

TurnNetwork::~TurnNetwork() = default;

void TurnNetwork::apply(AgentRunner::Turn& turn) const {
  const Parts& p = *parts_;
  turn.settings.base_url = p.gateway_url;
  turn.settings.api_key = p.gateway->token();
  const std::string proxy = "http://127.0.0.1:" + std::to_string(p.proxy_port);
  for (const char* name : {"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"})
    turn.settings.extra_env[name] = proxy;
  // The gateway is on the loopback: never through the proxy.
  for (const char* name : {"NO_PROXY", "no_proxy"})
    turn.settings.extra_env[name] = "127.0.0.1,localhost";
  if (p.sandboxed) {
    turn.forwards.push_back({kSandboxGatewayPort, p.socket_dir + "/gateway.sock"});
    turn.forwards.push_back({kSandboxProxyPort, p.socket_dir + "/egress.sock"});
  }
}

Usage TurnNetwork::usage() const { return parts_->gateway->usage(); }

std::size_t TurnNetwork::model_requests() const { return parts_->gateway->requests().size(); }

bool TurnNetwork::budget_spent() const { return parts_->gateway->budget_spent(); }

std::vector<std::string> TurnNetwork::refusals() const { return parts_->proxy->refusals(); }

void account_network(const TurnNetwork& network, Outcome& outcome) {
  if (network.budget_spent()) {
    outcome.kind = OutcomeKind::budget_reached;
    outcome.message = "the model gateway stopped the turn once the task's budget was spent";
  }
  if (network.model_requests() > 0) {
    Usage metered = network.usage();
    if (!metered.cost_usd) metered.cost_usd = outcome.usage.cost_usd;
    outcome.usage = metered;
  }
  if (outcome.kind != OutcomeKind::succeeded) {
    std::string refused;
    for (const auto& r : network.refusals()) refused += (refused.empty() ? "" : "; ") + r;
    if (!refused.empty())
      outcome.message += (outcome.message.empty() ? "" : "; ") +
                         std::string("refused by the egress proxy: ") + refused;
  }
  outcome.message = redact(outcome.message);
  outcome.stderr_tail = redact(outcome.stderr_tail);
}

}  // namespace bottega::agents
