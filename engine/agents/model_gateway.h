// ModelGateway: the model API as the sandbox sees it, one per turn, so the
// model key never enters the sandbox. The CLI is given the base URL
// `http://127.0.0.1:<port><upstream path>` (gateway_base_url()) and, as its
// API key, a random per-turn token (token()). The gateway listens on a unix
// socket (the sandbox's forwarder maps that port onto it) or on 127.0.0.1,
// checks the token (x-api-key or Authorization: Bearer, in constant time;
// else 401, nothing forwarded), forwards each request to the upstream with
// the real key in the same header style, relays the answer (buffered: the
// CLIs act on a whole message anyway), meters tokens and cost from the
// answer's usage (Anthropic Messages, OpenAI Responses, OpenAI chat
// completions; SSE or JSON) and enforces what is left of the task's budget
// during the turn: once the metered cost reaches it, on_budget_spent runs
// once and every later request gets a non-retryable 400 in the provider's
// error shape without being forwarded.
//
// Neither the key nor the token is ever logged (both are registered with
// the log redactor), and the request log holds no bodies and no headers.
//
// Thread-safety: listen_*() and stop() from one controlling thread; token(),
// usage(), requests() and budget_spent() from any thread. on_budget_spent
// runs on a connection thread, before that request's answer is written; it
// may call stop() (which then does not wait for its own thread).
// Ownership: owns its listener, connections, their threads and its HTTPS
// transport.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/base/result.h"
#include "engine/agents/event.h"
#include "engine/agents/settings.h"

namespace bottega::agents {

struct ModelGatewayOptions {
  // The upstream API's base URL: https://api.anthropic.com,
  // https://api.openai.com/v1 (http:// for tests). Requests go to its
  // origin with the path and query the CLI sent.
  std::string upstream;
  std::string api_key;  // the real key; "" forwards with no auth header
  // The turn's model: prices a request whose body names no model, or one
  // the price table lacks ("provider/model" is tried for OpenCode's names).
  std::string model;
  PriceTable prices;
  std::optional<double> budget_usd;       // what is left of the task's budget; nullopt: none
  std::function<void()> on_budget_spent;  // called once, when the metered cost reaches it
  std::string label;                      // the turn, on every log line
  std::string ca_file;                    // PEM bundle for the upstream; "" = system roots
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds read_timeout{600'000};   // one upstream answer
  std::chrono::milliseconds header_timeout{10'000};  // a request head, once begun
  std::chrono::milliseconds idle_timeout{120'000};   // between requests on one connection
  std::size_t max_request_bytes = 32 * 1024 * 1024;
  std::size_t max_response_bytes = 64 * 1024 * 1024;
  int max_connections = 64;
  std::chrono::milliseconds stop_grace{2'000};  // stop() waits this long for threads
};

// One request as the gateway saw it: no bodies, no headers.
struct GatewayRequest {
  std::string method;
  std::string path;  // without the query
  int status = 0;    // what the CLI got: the upstream's, or 401/400/413/502 from the gateway
  bool forwarded = false;
  std::string model;  // from the request body; "" when none
  Usage usage;        // metered from this answer; cost_usd when priced
};

class ModelGateway {
 public:
  // Makes the token (32 random bytes from OpenSSL, hex). Never fails: a
  // broken random source aborts, as no safe token could be made.
  explicit ModelGateway(ModelGatewayOptions options);
  ~ModelGateway();  // stop()
  ModelGateway(const ModelGateway&) = delete;
  ModelGateway& operator=(const ModelGateway&) = delete;

  // Start serving on a unix socket at `path` (0600) or on 127.0.0.1 at a
  // free port (returned). Fails on an unusable upstream URL, a bad path, a
  // bind error, or when already listening.
  Result<void> listen_unix(const std::string& path);
  Result<uint16_t> listen_loopback();

  // Stops accepting, closes every connection, waits for their threads up to
  // options.stop_grace (one waiting on the upstream ends on its own, without
  // calling on_budget_spent). Idempotent.
  void stop();

  // The token the CLI must send as its API key.
  const std::string& token() const;
  // The turn's totals so far; cost_usd set when at least one answer was priced.
  Usage usage() const;
  // Every request so far, in order (at most 10,000 kept).
  std::vector<GatewayRequest> requests() const;
  bool budget_spent() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// http://127.0.0.1:PORT followed by the upstream URL's path without a
// trailing slash: https://api.openai.com/v1 → http://127.0.0.1:PORT/v1.
std::string gateway_base_url(std::string_view upstream_base_url, uint16_t port);

// The provider's public API for a harness and model: claude →
// https://api.anthropic.com; codex → https://api.openai.com/v1; opencode by
// the model's provider prefix (anthropic/ → https://api.anthropic.com/v1,
// openai/ → https://api.openai.com/v1); "" when it must be configured.
std::string default_upstream(std::string_view harness, std::string_view model);

// The token usage an API answer reports, SSE stream or JSON body, in any of
// the three shapes; zeros when it reports none. Counts out of range or
// negative are ignored, absurd ones clamped; cost is not set.
Usage metered_usage(std::string_view body);

}  // namespace bottega::agents
