#include "engine/worker/mode_texts.h"

namespace bottega {

using workflow::Phase;

std::optional<std::string> mode_plan_footer(const workflow::Task& t) {
  const std::string perm(to_string(t.command_permission));
  if (t.phase == Phase::awaiting_answers)
    return "❓ **This plan asks questions** (round " + std::to_string(t.question_rounds) + " of " +
           std::to_string(t.max_question_rounds) +
           " at most). Answer them in a comment on this issue (anyone with " + perm +
           " permission; a comment that is not a command, or `/answer <text>`), or with "
           "`/revise <answers>`: the plan is revised with the answers. `/approve` waits for a "
           "revision without open questions.";
  if (!t.product_reason.empty() && t.approved_revision == t.plan_revision &&
      t.approved_by.empty() && t.plan_revision > 0)
    return "▶️ **The work started without approval**: " + t.product_reason +
           ". Otherwise a person with " + std::string(to_string(t.approve_permission)) +
           " permission would have approved this plan. `/cancel` stops the work; "
           "`/revise <feedback>` stops it and plans again.";
  return std::nullopt;
}

std::string mode_detail(const workflow::Task& t) {
  if (t.solo) return "solo mode: one agent plans, implements and checks its work";
  if (!t.product_reason.empty()) return "product flow: no approval gate";
  return "";
}

std::string mode_next_step(const workflow::Task& t) {
  if (t.phase == Phase::awaiting_answers)
    return "Answer the plan's questions in a comment here (or `/revise <answers>`).";
  return "";
}

std::string mode_pull_note(const workflow::Task& t) {
  if (t.solo)
    return "Made in **solo mode**: one agent planned, implemented and checked this change (no "
           "plan approval, no separate review agent).";
  if (!t.product_reason.empty() && t.approved_by.empty())
    return "Made in the **product flow**: the plan was not approved by a person (" +
           t.product_reason + ").";
  return "";
}

}  // namespace bottega
