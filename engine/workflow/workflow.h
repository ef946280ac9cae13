// The task workflow: a pure state machine from (task, event) to (task',
// actions), the lifecycle of spec/workflow.md.
//
//   idle → planning → awaiting_approval ──/approve──▶ implementing ⇄ reviewing
//           ▲ ▲   │          │ /revise, plan edited                 │ ready
//           │ └───┼──────────┘                                      ▼
//           │     ▼ signal questions                  opening_pr → pr_open → done
//           └── awaiting_answers ◀ a writer's comment (or /revise) answers
//   blocked ◀── caps, failures, a BLOCKED verdict
//   any ──/cancel, issue closed──▶ cancelled
// The modes (spec/workflow.md, "Modes"): solo (one agent, role solo, runs
// in implementing; no plan gate, no reviewer) and the product flow (a ready
// plan goes straight to implementing).
//
// decide() does no I/O and reads no clock: time arrives in the events,
// permissions are looked up by the caller and carried in the events, and
// effects come back as Actions the caller executes (each keyed and
// idempotent, so a crashed executor can run them again).
// Thread-safety: pure functions over values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/base/permissions.h"
#include "github/commands.h"
#include "github/types.h"

namespace bottega::workflow {

enum class Phase {
  idle,               // known issue, no work started (or refused to start)
  planning,           // a planning turn runs
  awaiting_approval,  // the plan is posted; waits for /approve or /revise
  awaiting_answers,   // the plan asks questions; a writer's comment answers them
  implementing,       // an implementation turn runs
  reviewing,          // a review turn runs
  refining,           // the refinement pass runs (roles.refine): simplify, secure, tests
  opening_pr,         // commit, push and open the pull request
  pr_open,            // the PR is open; a human reviews and merges
  fixing,             // a fix turn runs on the open PR (checks, conflicts, review)
  blocked,            // stopped: a failure, a cap or a BLOCKED verdict; /retry resumes
  cancelled,
  done,
};
std::string_view to_string(Phase phase);
std::optional<Phase> parse_phase(std::string_view name);
// The issue label that shows the phase ("bottega:planning", ...).
std::string_view phase_label(Phase phase);
const std::vector<std::string_view>& all_phase_labels();

// solo: one agent plans, implements and checks its own work (solo mode).
// refine: the optional pass between the review and the PR (roles.refine).
// fix: a turn on the open pull request (fix-ci, resolve-conflicts, address-review).
enum class Role { plan, implement, review, solo, refine, fix };
std::string_view to_string(Role role);
std::optional<Role> parse_role(std::string_view name);

// Why a task is blocked, so /retry knows what to lift.
enum class BlockCause { none, failure, verdict, iteration_cap, cost_cap, ci_cap, conflict_cap };

// --- the pull request side (spec/shepherd.md) ---------------------------------
// What a fix turn on the open pull request does.
enum class FixKind { none, ci, conflicts, review };
std::string_view to_string(FixKind kind);  // "fix-ci", "resolve-conflicts", "address-review"
std::optional<FixKind> parse_fix_kind(std::string_view name);

// One piece of review feedback for an address-review turn: a review's body,
// an inline review comment, or a `/fix` / `@app` comment on the PR's
// conversation. Only text from people with the command permission (or a
// trusted bot) is ever one.
struct Feedback {
  std::string author;
  int64_t review_id = 0;   // the review it belongs to (0: a conversation comment)
  int64_t comment_id = 0;  // the inline comment (replied to in its thread) or conversation comment
  bool inline_comment = false;
  std::string path;  // inline: the file, line and side
  int line = 0;
  std::string side;
  std::string diff_hunk;
  std::string thread;  // inline: the thread's earlier comments, "@who: text" per line
  std::string body;
};

// A failed check on the PR's head, as the fix-ci turn is told.
struct FailedCheck {
  int64_t check_run_id = 0;
  std::string name;
  std::string conclusion;       // failure, timed_out
  int64_t workflow_run_id = 0;  // GitHub Actions: the run to re-run (0: not Actions)
  // A commit status (the Statuses API; name is its context, conclusion its
  // state `failure` or `error`), not a check run: never re-run.
  bool commit_status = false;
};

// The task's view of its open pull request.
struct PullSide {
  FixKind fixing = FixKind::none;          // the fix turn running (phase fixing) or blocked
  std::vector<Feedback> pending;           // arrived; for the next address-review turn
  std::vector<Feedback> addressing;        // what the running address-review turn answers
  std::string reviewer;                    // "addressing review by @x"
  std::string head_sha;                    // the PR head as last judged
  std::string checks;                      // "", "pending", "passing", "failing"
  std::vector<FailedCheck> failing;        // on head_sha
  std::string ci_spent_head;               // the head a fix-ci turn or a re-run was spent on
  std::string rerun_head;                  // the head whose failed checks were re-run once
  std::vector<int64_t> rerun_checks;       // the failed check runs re-run there (results awaited)
  std::vector<std::string> passed_checks;  // names that passed on some head of this PR
  int ci_fixes = 0;
  int max_ci_fixes = 3;
  int conflict_fixes = 0;
  int max_conflict_fixes = 3;
  std::string base_sha;  // resolve-conflicts: the base head to merge
  std::vector<std::string> conflicted_files;
  // Check each fix with a review turn before it is pushed
  // (shepherd.review_fixes): the fix's commit waits unpushed (unpushed_sha)
  // with the agent's answers; a review that sends it back gives the fix
  // agent its findings (fix_findings) for another try.
  bool review_fixes = true;
  std::string unpushed_sha;
  int fix_reviews = 0;  // reviews of the fix now under way (capped by max_iterations)
  std::string fix_findings;
  std::vector<std::pair<int64_t, std::string>> answers;
  // The base branch moved while a turn ran (or the task was blocked): the
  // branch is brought up to date when the task is idle on its PR again.
  bool update_owed = false;
  bool rebase = false;  // shepherd.update: rebase (else the base is merged)
};

struct Task {
  int64_t id = 0;
  std::string repo;  // "owner/name"
  int64_t issue = 0;
  std::string title;
  Phase phase = Phase::idle;
  Phase resume_phase = Phase::idle;  // blocked: where /retry picks up
  BlockCause block_cause = BlockCause::none;

  // The task document: the request quoted verbatim and the plan
  // (engine/report/task_document.h). Set by the caller when the task is made.
  std::string document;
  int plan_revision = 0;        // 0: no plan yet
  int64_t plan_revised_at = 0;  // unix seconds the current revision was made
  int approved_revision = 0;    // 0: not approved
  std::string approved_by;
  std::string guidance;  // for the next planning turn (/plan text, /revise feedback)

  // Limits, from the repository config when the task started.
  Permission command_permission = Permission::write;
  Permission approve_permission = Permission::write;
  int max_iterations = 5;
  double max_cost_usd = 0;  // 0: no cap

  int turn = 0;  // the last turn started; turns are numbered 1, 2, ... per task
  Role turn_role = Role::plan;
  int iteration = 0;  // implement⇄review round, 1-based

  std::string branch;
  int64_t pr_number = 0;
  std::string pr_url;

  int64_t tokens_in = 0;
  int64_t tokens_out = 0;
  double cost_usd = 0;
  int64_t started_at = 0;  // unix seconds of the trigger

  // The last failure, shown in the status comment until work resumes.
  std::string failure_what;
  std::string failure_why;
  std::string stderr_tail;
  std::vector<std::string> notes;          // things the status comment should say
  std::vector<std::string> refused_users;  // got their one refusal reply

  // --- the modes (spec/workflow.md, "Modes") ---
  // Solo mode: one agent (role solo) plans its own to-do list, implements
  // and checks it; no plan gate, no reviewer. Chosen when the task starts.
  bool solo = false;
  // The product flow: the plan is not approved by a person; the work starts
  // when it is ready. Why ("@ana is a listed requester"); "" = the usual gate.
  std::string product_reason;
  int question_rounds = 0;  // times the planner asked questions in this task
  // The last review's (or solo turn's) QA evidence, as TurnFinished::evidence.
  std::vector<std::string> evidence;
  // Policy, from the repository config (applied like the limits above).
  bool solo_by_default = false;  // `mode: solo`
  bool refine = false;           // roles.refine is configured: the refinement pass runs
  // The refinement was not kept: whatever a refinement turn left
  // uncommitted (one that died) is thrown away before the PR commits.
  bool refine_reverted = false;
  int max_question_rounds = 3;
  PullSide pull = {};  // the open pull request's side (pr_open, fixing)
};

// Who sent a command, as the caller found out.
struct Actor {
  std::string login;
  bool is_bot = false;
  Permission permission = Permission::none;
};

// A command from a comment, or a trigger (label, assignment, opened issue),
// which arrives as a `plan` command with comment_id 0. A trigger starts a
// task only when it is idle or cancelled; on a task with a plan or work
// under way it does nothing and says nothing (a `/plan` comment is refused
// with a reply instead).
struct CommandEvent {
  Actor actor;
  github::CommandName name = github::CommandName::help;
  std::string args;
  int64_t comment_id = 0;  // 0: not from a comment
  int64_t written_at = 0;  // unix seconds the comment was written (0: unknown)
  // The repository config is invalid: say so and start nothing.
  std::string config_error;
  int64_t now = 0;
  // A trigger by the solo label (`/plan --solo` says it in its args).
  bool solo = false;
  // The issue qualifies for the product flow (its author is a listed
  // requester, or it carries the product label): why. Read when a task starts.
  std::string product_reason;
  bool on_pull = false;  // written on the task's pull request (replies go there)

  bool is_trigger() const { return comment_id == 0 && name == github::CommandName::plan; }
};

// A comment line that looks like a mistyped command ("/aprove").
struct MistypedCommand {
  Actor actor;
  std::string typed;
  std::string suggestion;
  int64_t comment_id = 0;
};

// Someone edited the plan comment. plan: the text between its begin and end
// markers (report::extract_plan); nullopt when either marker is gone (or the
// comment showed a cut plan without them). Such an edit is not read back:
// the plan comment is put back. A `plan` that opens with the plan comment's
// own marker is the whole comment, not a plan, and is treated the same.
struct PlanEdited {
  Actor actor;
  std::optional<std::string> plan;
  int64_t now = 0;
};

// budget_reached: the model gateway stopped the turn when the task's cost
// budget was spent. refused: the turn ran, but the app would not take its
// work (a secret in a changed file, a path that leads out of the worktree).
enum class TurnOutcome {
  succeeded,
  agent_error,
  timed_out,
  cancelled,
  crashed,
  setup_failed,
  budget_reached,
  refused
};
std::string_view to_string(TurnOutcome outcome);

// What the agent said it reached (`bottega signal ...`). questions: the
// planner wrote a Questions section and waits for answers.
enum class Signal { none, plan_ready, ready, needs_work, blocked, questions };
std::string_view to_string(Signal signal);  // "plan-ready", ...; "" for none
// "plan-ready", "ready", "needs-work", "blocked", "questions"; nullopt for anything else.
std::optional<Signal> parse_signal(std::string_view name);

struct TurnFinished {
  int turn = 0;
  Role role = Role::plan;
  TurnOutcome outcome = TurnOutcome::succeeded;
  std::string message;  // what ended the run, or why it could not start
  std::string stderr_tail;
  Signal signal = Signal::none;
  std::string signal_reason;
  std::string document;                      // the task document as the agent left it
  std::vector<std::string> discarded_files;  // changes a plan or review turn made, undone
  // QA evidence the turn's agent saved and the app kept: one markdown line
  // each for the pull request's body (a link, or the name and the run).
  std::vector<std::string> evidence;
  // A refinement turn whose work the app threw away (the tests failed after
  // it, a secret in it): why. "" when it was kept (or for other roles).
  std::string refine_reverted;
  int64_t tokens_in = 0;
  int64_t tokens_out = 0;
  double cost_usd = 0;
  int64_t now = 0;
  // Fix turns: the commit pushed ("" when nothing changed), and the agent's
  // answer per review comment id (its replies file).
  std::string pushed_sha = {};
  std::vector<std::pair<int64_t, std::string>> answers = {};
  // A fix turn whose work waits for its review (shepherd.review_fixes): the
  // commit made and not pushed ("" when nothing changed).
  std::string committed_sha = {};
  // A person pushed to the branch while the fix turn ran: their commits
  // were merged with the fix before the push (never overwritten).
  bool person_pushed = false;
};

struct PullRequestOpened {
  int64_t number = 0;
  std::string url;
  std::string branch;
  std::string head_sha = {};
};
struct PullRequestFailed {
  std::string why;
};
struct PullRequestClosed {
  bool merged = false;
};
struct IssueClosed {};
// The issue was transferred to another repository or deleted: nothing can
// be written to it any more.
struct IssueGone {
  std::string why;  // "The issue was deleted."
};
// The App lost the repository (uninstalled, suspended, or the repository
// taken out of the installation): nothing can be written to it any more,
// the pull request included.
struct AccessLost {
  std::string why;  // "The App was uninstalled."
};

// A comment on the issue that holds no command (or opens with `/answer`),
// sent only while the task awaits answers: the answers to the plan's
// questions. text: the comment without a leading `/answer`.
struct Answer {
  Actor actor;
  std::string text;
  int64_t comment_id = 0;
  int64_t now = 0;
};

// --- pull request side events ------------------------------------------------------
// The task's PR was reopened: watched again.
struct PullRequestReopened {};
// Review feedback on the task's PR: a submitted review with changes
// requested, or a comment (conversation or review) that mentions the App or
// is `/fix <request>`. comment_id: the conversation comment to react to (0:
// none). The caller filters nothing: permission and bots are judged here.
struct FeedbackArrived {
  Actor actor;
  bool trusted_bot = false;  // a bot named in shepherd.trusted_bots
  std::vector<Feedback> items;
  int64_t comment_id = 0;
  bool is_command = false;  // `/fix` (refusals are answered)
};
// Every check on `head_sha` (the PR's head) has completed; `failing` are
// those that failed (failure, timed_out). Empty: the checks pass.
struct ChecksCompleted {
  std::string head_sha;
  std::vector<FailedCheck> failing;
  std::vector<std::string> passed;  // names of the checks that passed
};
// The PR's head moved (a push by the app or a person): checks start over.
struct PullHeadMoved {
  std::string head_sha;
};
// GitHub computed the PR's mergeability against `base_sha`: not mergeable
// means the base must be merged in. merged_cleanly: the app already merged
// it without conflicts and pushed (no turn needed); conflicted_files: the
// merge conflicts.
struct MergeabilityKnown {
  std::string base_sha;
  bool mergeable = true;
  bool merged_cleanly = false;
  bool rebased = false;  // shepherd.update: rebase, done without conflicts
  // Rebasing conflicted and the base was merged instead: why ("" otherwise).
  std::string rebase_fallback = {};
  std::string pushed_sha;
  std::vector<std::string> conflicted_files;
  // The base changed this GitHub Actions workflow: the App may not push a
  // merge carrying it, so the branch was left as it is ("" otherwise).
  std::string workflow_change = {};
};

// The base branch moved while the task was busy with a fix turn (or
// blocked on its PR side): the update is owed, never dropped.
struct BaseMoved {};

using Event = std::variant<CommandEvent, MistypedCommand, PlanEdited, TurnFinished,
                           PullRequestOpened, PullRequestFailed, PullRequestClosed, IssueClosed,
                           IssueGone, AccessLost, Answer, PullRequestReopened, FeedbackArrived,
                           ChecksCompleted, PullHeadMoved, MergeabilityKnown, BaseMoved>;

// --- actions -------------------------------------------------------------------
struct React {
  int64_t comment_id = 0;
  github::Reaction reaction =
      github::Reaction::eyes;  // eyes: accepted; minus_one: refused; confused
};
struct Reply {
  std::string text;
  bool on_pull = false;  // on the PR's conversation (a command given there) instead of the issue
};
// Make the plan comment show the task's current plan revision.
struct SyncPlanComment {};
// Make the status comment and the phase label show the task's state.
struct SyncStatus {};
// Run agent turn `turn` in `role` (the task's worktree, its document).
struct StartTurn {
  Role role = Role::plan;
  int turn = 0;
};
// Stop the running turn `turn` (its process group), if it still runs.
struct CancelTurn {
  int turn = 0;
};
// Commit, push the task branch and open (or find) its pull request.
struct OpenPullRequest {};

// A reply in an inline review comment's thread (keyed by the turn, so a
// crash never posts it twice: the reply carries a marker found again).
struct ReplyInThread {
  int64_t comment_id = 0;
  int turn = 0;
  std::string text;
};
// Re-run the failed jobs of a GitHub Actions run (a possibly flaky check).
struct RerunFailedJobs {
  int64_t workflow_run_id = 0;
};

// Bring the PR's branch up to date with its base (an update_pull job): the
// base moved while the task was busy.
struct UpdatePull {};

using Action = std::variant<React, Reply, SyncPlanComment, SyncStatus, StartTurn, CancelTurn,
                            OpenPullRequest, ReplyInThread, RerunFailedJobs, UpdatePull>;

struct Decision {
  Task task;
  std::vector<Action> actions;
};

// The one entry point: what `event` does to `task`. Events that do not
// apply (a stale turn, a bot) leave the task unchanged with no actions.
Decision decide(const Task& task, const Event& event);

// The commands valid in `phase` (what /help lists).
std::vector<github::CommandName> commands_in(Phase phase);

// Whether an agent turn or the PR step is under way in `phase`.
bool is_running(Phase phase);

}  // namespace bottega::workflow
