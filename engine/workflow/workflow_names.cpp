// The names of the workflow's enums (phases, roles, signals, outcomes, fix
// kinds), their labels, and the commands valid per phase.
#include <array>

#include "engine/workflow/workflow.h"

namespace bottega::workflow {
namespace {

using github::CommandName;

constexpr std::array<std::pair<Phase, std::string_view>, 13> kPhases = {{
    {Phase::idle, "idle"},
    {Phase::planning, "planning"},
    {Phase::awaiting_approval, "awaiting_approval"},
    {Phase::awaiting_answers, "awaiting_answers"},
    {Phase::implementing, "implementing"},
    {Phase::reviewing, "reviewing"},
    {Phase::refining, "refining"},
    {Phase::opening_pr, "opening_pr"},
    {Phase::pr_open, "pr_open"},
    {Phase::fixing, "fixing"},
    {Phase::blocked, "blocked"},
    {Phase::cancelled, "cancelled"},
    {Phase::done, "done"},
}};

}  // namespace

// A switch without a default: a phase added without a name does not compile.
std::string_view to_string(Phase phase) {
  switch (phase) {
    case Phase::idle:
      return "idle";
    case Phase::planning:
      return "planning";
    case Phase::awaiting_approval:
      return "awaiting_approval";
    case Phase::awaiting_answers:
      return "awaiting_answers";
    case Phase::implementing:
      return "implementing";
    case Phase::reviewing:
      return "reviewing";
    case Phase::refining:
      return "refining";
    case Phase::opening_pr:
      return "opening_pr";
    case Phase::pr_open:
      return "pr_open";
    case Phase::fixing:
      return "fixing";
    case Phase::blocked:
      return "blocked";
    case Phase::cancelled:
      return "cancelled";
    case Phase::done:
      return "done";
  }
  return "idle";  // not reached: every enumerator returns above
}

std::string_view to_string(Signal signal) {
  switch (signal) {
    case Signal::none:
      return "";
    case Signal::plan_ready:
      return "plan-ready";
    case Signal::ready:
      return "ready";
    case Signal::needs_work:
      return "needs-work";
    case Signal::blocked:
      return "blocked";
    case Signal::questions:
      return "questions";
  }
  return "";  // not reached: every enumerator returns above
}

std::optional<Signal> parse_signal(std::string_view name) {
  for (Signal s :
       {Signal::plan_ready, Signal::ready, Signal::needs_work, Signal::blocked, Signal::questions})
    if (to_string(s) == name) return s;
  return std::nullopt;
}

std::optional<Phase> parse_phase(std::string_view name) {
  for (const auto& [p, n] : kPhases)
    if (n == name) return p;
  return std::nullopt;
}

std::string_view phase_label(Phase phase) {
  switch (phase) {
    case Phase::idle:
      return "";
    case Phase::planning:
      return "bottega:planning";
    case Phase::awaiting_approval:
      return "bottega:awaiting-approval";
    case Phase::awaiting_answers:
      return "bottega:needs-answers";
    case Phase::implementing:
    case Phase::reviewing:
    case Phase::refining:
    case Phase::opening_pr:
    case Phase::fixing:
      return "bottega:working";
    case Phase::pr_open:
      return "bottega:pr-open";
    case Phase::blocked:
      return "bottega:blocked";
    case Phase::cancelled:
      return "bottega:cancelled";
    case Phase::done:
      return "bottega:done";
  }
  return "";
}

const std::vector<std::string_view>& all_phase_labels() {
  static const std::vector<std::string_view> labels = {
      "bottega:planning", "bottega:awaiting-approval", "bottega:working", "bottega:pr-open",
      "bottega:blocked",  "bottega:cancelled",         "bottega:done",    "bottega:needs-answers"};
  return labels;
}

std::string_view to_string(Role role) {
  switch (role) {
    case Role::plan:
      return "plan";
    case Role::implement:
      return "implement";
    case Role::review:
      return "review";
    case Role::solo:
      return "solo";
    case Role::refine:
      return "refine";
    case Role::fix:
      return "fix";
  }
  return "plan";
}

std::optional<Role> parse_role(std::string_view name) {
  for (Role r : {Role::plan, Role::implement, Role::review, Role::solo, Role::refine, Role::fix})
    if (to_string(r) == name) return r;
  return std::nullopt;
}

std::string_view to_string(TurnOutcome outcome) {
  switch (outcome) {
    case TurnOutcome::succeeded:
      return "succeeded";
    case TurnOutcome::agent_error:
      return "agent_error";
    case TurnOutcome::timed_out:
      return "timed_out";
    case TurnOutcome::cancelled:
      return "cancelled";
    case TurnOutcome::crashed:
      return "crashed";
    case TurnOutcome::setup_failed:
      return "setup_failed";
    case TurnOutcome::budget_reached:
      return "budget_reached";
    case TurnOutcome::refused:
      return "refused";
  }
  return "crashed";
}

bool is_running(Phase phase) {
  return phase == Phase::planning || phase == Phase::implementing || phase == Phase::reviewing ||
         phase == Phase::refining || phase == Phase::opening_pr || phase == Phase::fixing;
}

std::vector<github::CommandName> commands_in(Phase phase) {
  using C = CommandName;
  switch (phase) {
    case Phase::idle:
      return {C::plan, C::status, C::help};
    case Phase::planning:
      return {C::cancel, C::status, C::help};
    case Phase::awaiting_approval:
      return {C::approve, C::revise, C::plan, C::cancel, C::status, C::help};
    case Phase::awaiting_answers:
      return {C::revise, C::plan, C::cancel, C::status, C::help};
    case Phase::implementing:
    case Phase::reviewing:
    case Phase::refining:
    case Phase::opening_pr:
      return {C::cancel, C::status, C::help};
    case Phase::pr_open:
    case Phase::fixing:
      return {C::fix, C::cancel, C::status, C::help};
    case Phase::blocked:
      return {C::retry, C::plan, C::revise, C::cancel, C::status, C::help};
    case Phase::cancelled:
      return {C::plan, C::status, C::help};
    case Phase::done:
      return {C::status, C::help};
  }
  return {C::help};
}

std::string_view to_string(FixKind kind) {
  switch (kind) {
    case FixKind::none:
      return "";
    case FixKind::ci:
      return "fix-ci";
    case FixKind::conflicts:
      return "resolve-conflicts";
    case FixKind::review:
      return "address-review";
  }
  return "";
}

std::optional<FixKind> parse_fix_kind(std::string_view name) {
  for (FixKind k : {FixKind::none, FixKind::ci, FixKind::conflicts, FixKind::review})
    if (to_string(k) == name) return k;
  return std::nullopt;
}

}  // namespace bottega::workflow
