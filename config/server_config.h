// The server configuration: one YAML file plus environment variables (the
// environment wins), validated as a whole at start.
//
// Every key has a YAML path (lower case, grouped: `tls.cert`) and an
// environment name (`BOTTEGA_TLS_CERT`); config_keys() lists them all, and
// spec/configuration.md documents each one.
// Thread-safety: ServerConfig is a plain value; load functions are pure
// except for reading the file (and the existence checks of named files).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/base/result.h"

namespace bottega {

enum class LogFormatSetting { automatic, text, json };

// One coding-agent CLI (harnesses.<name>.*): see spec/agents.md.
struct HarnessConfig {
  std::string binary;     // path of the CLI, or a name looked up on PATH
  std::string base_url;   // the model API endpoint; empty: the CLI's default
  std::string api_key;    // resolved: the key itself (an `env:NAME` setting is read at load)
  std::string extra_env;  // "NAME=value;NAME2=value", checked at load
  std::string prices;     // "model=input/cached/output;…" USD per million tokens, checked at load
};

// Which harness, model and effort a workflow role runs with (roles.<role>.*).
struct RoleConfig {
  std::string harness;
  std::string model;
  std::string effort;
};

struct ServerConfig {
  std::string config_file;  // the YAML file it was read from; empty if none

  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 3000;
  std::string public_url;  // https://host[:port], no trailing slash; empty: not set
  std::string data_dir = "./var";
  bool data_dir_configured = false;  // set in the file or the environment (not the default)
  std::size_t max_body_bytes = 25 * 1024 * 1024;
  std::chrono::seconds read_timeout{10};
  std::chrono::seconds idle_timeout{60};
  int http_max_connections = 1024;    // connections open at once
  int http_max_body_memory_mb = 256;  // request bodies held at once, MB

  // Where `worker` serves GET /metrics, /healthz and /readyz (metrics.listen);
  // empty host: it serves none (`serve` answers them on `listen`).
  std::string metrics_listen_host;
  uint16_t metrics_listen_port = 0;

  std::string tls_cert;  // both empty: plain HTTP (behind a proxy)
  std::string tls_key;

  std::string database_url;  // empty: an embedded PostgreSQL under data_dir
  // Webhook intake (intake.*, spec/intake.md): a delivery not committed
  // within commit_timeout is answered 503; the queue waiting for the
  // database holds at most max_pending deliveries and max_pending_bytes.
  std::chrono::milliseconds intake_commit_timeout{5000};
  int intake_max_pending = 4096;
  long long intake_max_pending_bytes = 64LL * 1024 * 1024;

  std::string log_level = "info";
  LogFormatSetting log_format = LogFormatSetting::automatic;

  std::string webhook_secret;
  // 64 hex digits: the key sealing the App credentials the setup page stores
  // in the database (empty: <data_dir>/secret.key).
  std::string secret_key;
  std::string app_id;
  std::string app_client_id;
  std::string app_client_secret;  // for "Sign in with GitHub" (the web pages)
  std::string private_key_file;
  // Not a key: the PEM of an App registered through the setup page (read
  // from the database); used when private_key_file is empty.
  std::string app_private_key_pem;
  std::string github_api_url = "https://api.github.com";
  std::string github_web_url = "https://github.com";
  std::string github_ca_file;  // extra CA bundle to trust (tests, GHES)

  int workers = 4;
  int queue_max_running = 64;
  int queue_max_running_per_installation = 8;
  std::chrono::seconds queue_lease{30};
  // This process's host for job affinity (a task's jobs go where its
  // worktree is); empty: the machine's hostname.
  std::string queue_host;
  std::chrono::seconds reconcile_interval{300};  // 0: never

  // Agents: one entry per harness (claude, codex, opencode), always present.
  std::map<std::string, HarnessConfig> harnesses = {{"claude", {"claude", "", "", "", ""}},
                                                    {"codex", {"codex", "", "", "", ""}},
                                                    {"opencode", {"opencode", "", "", "", ""}}};
  std::map<std::string, RoleConfig> roles;  // plan, implement, review, fix; only those set
  bool agent_sandbox = true;
  // The per-turn egress proxy's allow-list for every repository
  // (agents.egress_allow): "host", "*.suffix", each with an optional ":port".
  std::vector<std::string> agent_egress_allow;
  // "host:port" entries the proxy lets through even at a private, loopback
  // or link-local address (agents.egress_allow_private): a registry mirror
  // on the LAN; never needed for the public internet.
  std::vector<std::string> agent_egress_allow_private;
  // Absolute paths shown read-only inside the sandbox (toolchains, caches)
  // besides /usr and the curated /etc (agents.sandbox_read_paths).
  std::vector<std::string> agent_sandbox_read_paths;
  // Milliseconds because the keys take decimal minutes (tests use seconds).
  std::chrono::milliseconds agent_timeout{std::chrono::minutes(60)};
  std::chrono::milliseconds agent_idle_timeout{std::chrono::minutes(10)};
  int agent_max_running = 2;  // agent turns at once, across every host

  std::string app_slug;  // empty: asked from GET /app
  // Gap between two mutating GitHub requests of one installation (GitHub's
  // secondary rate limits); 0 in tests.
  std::chrono::milliseconds github_mutation_spacing{1000};

  // Tasks (tasks.*): what a repository without .github/bottega.yml gets;
  // config/repo_config.h turns them (and `roles`) into a RepoConfig. Kept as
  // checked names here so the server configuration needs no github/ type.
  std::string task_trigger_label = "bottega";
  std::string task_trigger = "label";  // label | on_open
  int task_max_iterations = 5;
  double task_max_cost_usd = 10.0;                // 0: no cap
  std::string task_command_permission = "write";  // read | triage | write | maintain | admin
  std::string task_approve_permission = "write";
  // Task k's dev-server ports: a block of ports_per_task from port_range_start.
  int task_port_range_start = 41000;
  int task_ports_per_task = 20;

  bool tls_enabled() const { return !tls_cert.empty(); }
};

// One configuration key: where it lives and what it accepts.
struct ConfigKey {
  const char* path;      // YAML path, e.g. "tls.cert"
  const char* env;       // environment variable, e.g. "BOTTEGA_TLS_CERT"
  const char* expected;  // the accepted form, for error messages
  std::function<std::optional<std::string>(ServerConfig&, const std::string&)> apply;
};

// All keys of the server configuration, in documentation order.
const std::vector<ConfigKey>& config_keys();
// A harness or role name as environment variables spell it: "claude" →
// "CLAUDE" (BOTTEGA_HARNESS_CLAUDE_MODEL).
std::string env_case(std::string s);

// Returns the value of an environment variable, or nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup process_environment();

// Agent harness rules: which models and effort levels each harness (claude,
// codex, opencode) takes, and the harness settings that need parsing. They
// live here so the configuration is checked whole at start; engine/agents
// uses the same functions. Pure.
bool is_known_harness(std::string_view name);
// nullopt when `harness` can run `model`, otherwise why not. Claude Code
// takes Anthropic models (claude-…, opus, sonnet, haiku); Codex takes
// OpenAI-style names (not another vendor's, not provider/model); OpenCode
// takes provider/model. An empty model is refused: never a default model.
std::optional<std::string> check_harness_model(std::string_view harness, std::string_view model);
// nullopt when `harness` takes `effort` (empty: the CLI's default).
std::optional<std::string> check_harness_effort(std::string_view harness, std::string_view effort);

// nullopt when `pattern` is an egress allow-list entry: a host name or
// "*.suffix", with an optional ":port" (1-65535); with `port_required`, the
// port must be there (agents.egress_allow_private).
std::optional<std::string> check_egress_pattern(std::string_view pattern, bool port_required);

// nullopt when `label` can be the trigger label: non-empty, at most 50
// characters (GitHub's limit), no comma (labels are listed comma-separated).
std::optional<std::string> check_trigger_label(std::string_view label);

// USD per million tokens, for CLIs that report no cost (Codex).
struct TokenPrice {
  double input = 0;
  double cached_input = 0;
  double output = 0;
};
using TokenPriceTable = std::map<std::string, TokenPrice>;  // by model name
// "model=input/cached/output;…" ("" is an empty table); fails naming the bad entry.
Result<TokenPriceTable> parse_price_table(std::string_view text);
// "NAME=value;NAME2=value"; fails naming the bad entry.
Result<std::map<std::string, std::string>> parse_env_list(std::string_view text);

// The data directory when none is configured: ./var, or /var/lib/bottega for
// root, whose home (where a clone usually is) is closed to the user the
// embedded PostgreSQL runs as.
std::string default_data_dir(bool running_as_root);

// Loads `file` (may be empty: environment and defaults only) and applies
// the environment on top. On failure the error lists every bad key with its
// source (file:line or the variable's name) and the expected form.
Result<ServerConfig> load_server_config(const std::string& file, const EnvLookup& env);

}  // namespace bottega
