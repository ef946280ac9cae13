// The per-repository configuration, `.github/bottega.yml` on the default
// branch: how tasks start there, which harness and model each role runs,
// the caps, who may command and approve, the commands agents are told to
// use, and where the task document is committed. spec/repository-config.md
// documents every key. The server configuration supplies the defaults
// (repo_defaults); the file overrides only what it sets.
// Thread-safety: plain values and pure functions. parse_repo_config never
// throws: the file is untrusted input and every problem is a
// RepoConfigError the status comment can show.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "config/base/permissions.h"
#include "config/base/result.h"
#include "config/server_config.h"

namespace bottega {

// What starts a task besides `/plan` and assigning the App: the trigger
// label being added (label), or also an issue being opened (on_open).
enum class TriggerMode { label, on_open };

std::string_view to_string(TriggerMode mode);  // "label", "on_open"

struct RepoConfig {
  std::string trigger_label = "bottega";
  TriggerMode trigger_mode = TriggerMode::label;
  // plan, implement, review, fix: those configured (by the server or the
  // file); a role given in the file replaces the server's whole.
  std::map<std::string, RoleConfig> roles;
  int max_iterations = 5;      // implement ⇄ review rounds, 1..50
  double max_cost_usd = 10.0;  // per task; 0 = no cap
  Permission command_permission = Permission::write;
  Permission approve_permission = Permission::write;
  std::vector<std::string> setup_commands;  // shell commands, told to the agents
  std::vector<std::string> test_commands;
  // Where the final task document is committed in the PR, relative to the
  // repository root; may contain {issue} (the issue number). "" = not
  // committed.
  std::string plan_commit_path;
  // Hosts the agents of this repository may reach through the egress proxy
  // (network.allow), added to the server's agents.egress_allow: "host" or
  // "*.suffix", optional ":port". Never a private address: only the server
  // can allow one (agents.egress_allow_private).
  std::vector<std::string> egress_allow;

  // --- the modes (spec/repository-config.md, spec/workflow.md "Modes") ---
  // `mode: solo`: every task of the repository runs in solo mode (one
  // agent, no plan gate) unless started otherwise.
  bool solo_mode = false;
  // The label whose addition starts a task in solo mode (solo.label).
  std::string solo_label = "bottega:solo";
  // The product flow: tasks of issues written by these people
  // (product.requesters: GitHub logins) or carrying this label
  // (product.label; "" = none) skip the approval gate.
  std::vector<std::string> product_requesters;
  std::string product_label;
  int max_question_rounds = 3;  // limits.max_question_rounds, 0..10
};

// Why a task of this issue takes the product flow ("@ana is a listed
// requester"), or "" when it does not: its author is one of
// product_requesters (case aside) or it carries product_label.
std::string product_flow_reason(const RepoConfig& config, std::string_view author,
                                const std::vector<std::string>& labels);

// One problem in the file, for a person: the dotted key ("limits.max_iterations";
// "" for the file as a whole), why, and the 1-based line (0 when unknown).
struct RepoConfigError {
  std::string key;
  std::string reason;
  int line = 0;

  // ".github/bottega.yml line 4: limits.max_iterations: expected …"
  std::string describe() const;
};

// The repository path the file is read from.
inline constexpr std::string_view kRepoConfigPath = ".github/bottega.yml";

// The defaults a repository without a file gets: the server's tasks.* and
// roles.* keys. `config` must have been validated by load_server_config.
RepoConfig repo_defaults(const ServerConfig& config);

// Parses the file's text over `defaults`. Empty text (or only comments)
// gives `defaults`. Fails on the first problem in document order: invalid
// YAML (key "", yaml-cpp's message and line), an unknown key at any level
// (with "did you mean" when one is close), a value of the wrong form, a
// role without harness or model, or a model or effort its harness cannot
// take.
Result<RepoConfig, RepoConfigError> parse_repo_config(std::string_view yaml,
                                                      const RepoConfig& defaults);

}  // namespace bottega
