#include "engine/worker/task_codec.h"

#include <simdjson.h>

#include <array>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <optional>

namespace bottega {
namespace {

// The reactions the workflow gives, by the names GitHub uses ("eyes", "-1").
constexpr std::array<std::pair<github::Reaction, std::string_view>, 3> kReactions = {{
    {github::Reaction::eyes, "eyes"},
    {github::Reaction::minus_one, "-1"},
    {github::Reaction::confused, "confused"},
}};

std::string reaction_text(github::Reaction r) {
  for (const auto& [reaction, name] : kReactions)
    if (reaction == r) return std::string(name);
  return "eyes";  // not reached: the workflow gives only the reactions above
}

std::optional<github::Reaction> parse_reaction(std::string_view name) {
  for (const auto& [reaction, n] : kReactions)
    if (n == name) return reaction;
  return std::nullopt;
}

using workflow::Action;
using workflow::Task;
namespace json = boost::json;

constexpr std::string_view kCauses[] = {"none", "failure", "verdict", "iteration_cap", "cost_cap"};

json::array strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

// Reads fields of one JSON object, remembering the first problem.
class Reader {
 public:
  explicit Reader(simdjson::dom::object o) : o_(o) {}

  void str(const char* key, std::string& out) {
    std::string_view v;
    if (auto f = o_[key]; !f.error() && !f.get(v))
      out = std::string(v);
    else if (!f.error())
      fail(key);
  }
  template <class Int>
  void num(const char* key, Int& out) {
    auto f = o_[key];
    if (f.error()) return;  // absent: the default (documents written by an older version)
    int64_t i = 0;
    double d = 0;
    if (!f.get(i))
      out = static_cast<Int>(i);
    else if (!f.get(d))
      out = static_cast<Int>(d);
    else
      fail(key);
  }
  void list(const char* key, std::vector<std::string>& out) {
    auto f = o_[key];
    if (f.error()) return;
    simdjson::dom::array a;
    if (f.get(a)) return fail(key);
    for (auto item : a) {
      std::string_view s;
      if (item.get(s)) return fail(key);
      out.emplace_back(s);
    }
  }
  void flag(const char* key, bool& out) {
    auto f = o_[key];
    if (f.error()) return;
    if (f.get(out)) fail(key);
  }
  const std::string& problem() const { return problem_; }
  void fail(const std::string& key) {
    if (problem_.empty()) problem_ = "task state: field " + key + " has the wrong type";
  }

 private:
  simdjson::dom::object o_;
  std::string problem_;
};

}  // namespace

std::string task_to_json(const Task& t) {
  json::object o;
  o["id"] = t.id;
  o["repo"] = t.repo;
  o["issue"] = t.issue;
  o["title"] = t.title;
  o["phase"] = std::string(to_string(t.phase));
  o["resume_phase"] = std::string(to_string(t.resume_phase));
  o["block_cause"] = std::string(kCauses[static_cast<int>(t.block_cause)]);
  o["document"] = t.document;
  o["plan_revision"] = t.plan_revision;
  o["plan_revised_at"] = t.plan_revised_at;
  o["approved_revision"] = t.approved_revision;
  o["approved_by"] = t.approved_by;
  o["guidance"] = t.guidance;
  o["command_permission"] = std::string(to_string(t.command_permission));
  o["approve_permission"] = std::string(to_string(t.approve_permission));
  o["max_iterations"] = t.max_iterations;
  o["max_cost_usd"] = t.max_cost_usd;
  o["turn"] = t.turn;
  o["turn_role"] = std::string(to_string(t.turn_role));
  o["iteration"] = t.iteration;
  o["branch"] = t.branch;
  o["pr_number"] = t.pr_number;
  o["pr_url"] = t.pr_url;
  o["tokens_in"] = t.tokens_in;
  o["tokens_out"] = t.tokens_out;
  o["cost_usd"] = t.cost_usd;
  o["started_at"] = t.started_at;
  o["failure_what"] = t.failure_what;
  o["failure_why"] = t.failure_why;
  o["stderr_tail"] = t.stderr_tail;
  o["notes"] = strings(t.notes);
  o["refused_users"] = strings(t.refused_users);
  // The modes (absent in documents written before them: the defaults).
  o["solo"] = t.solo;
  o["product_reason"] = t.product_reason;
  o["question_rounds"] = t.question_rounds;
  o["solo_by_default"] = t.solo_by_default;
  o["max_question_rounds"] = t.max_question_rounds;
  o["evidence"] = strings(t.evidence);
  o["refine"] = t.refine;
  o["refine_reverted"] = t.refine_reverted;
  return json::serialize(o);
}

Result<Task> task_from_json(std::string_view text) {
  simdjson::dom::parser parser;
  simdjson::dom::object o;
  if (auto err = parser.parse(text.data(), text.size()).get(o))
    return make_error(std::string("task state is not a JSON object: ") +
                      simdjson::error_message(err));
  Task t;
  Reader r(o);
  std::string phase, resume, cause, command_perm, approve_perm, role;
  r.num("id", t.id);
  r.str("repo", t.repo);
  r.num("issue", t.issue);
  r.str("title", t.title);
  r.str("phase", phase);
  r.str("resume_phase", resume);
  r.str("block_cause", cause);
  r.str("document", t.document);
  r.num("plan_revision", t.plan_revision);
  r.num("plan_revised_at", t.plan_revised_at);
  r.num("approved_revision", t.approved_revision);
  r.str("approved_by", t.approved_by);
  r.str("guidance", t.guidance);
  r.str("command_permission", command_perm);
  r.str("approve_permission", approve_perm);
  r.num("max_iterations", t.max_iterations);
  r.num("max_cost_usd", t.max_cost_usd);
  r.num("turn", t.turn);
  r.str("turn_role", role);
  r.num("iteration", t.iteration);
  r.str("branch", t.branch);
  r.num("pr_number", t.pr_number);
  r.str("pr_url", t.pr_url);
  r.num("tokens_in", t.tokens_in);
  r.num("tokens_out", t.tokens_out);
  r.num("cost_usd", t.cost_usd);
  r.num("started_at", t.started_at);
  r.str("failure_what", t.failure_what);
  r.str("failure_why", t.failure_why);
  r.str("stderr_tail", t.stderr_tail);
  r.list("notes", t.notes);
  r.list("refused_users", t.refused_users);
  r.flag("solo", t.solo);
  r.str("product_reason", t.product_reason);
  r.num("question_rounds", t.question_rounds);
  r.flag("solo_by_default", t.solo_by_default);
  r.num("max_question_rounds", t.max_question_rounds);
  r.list("evidence", t.evidence);
  r.flag("refine", t.refine);
  r.flag("refine_reverted", t.refine_reverted);
  if (!r.problem().empty()) return make_error(r.problem());

  auto p = workflow::parse_phase(phase);
  if (!p) return make_error("task state: unknown phase \"" + phase + "\"");
  t.phase = *p;
  t.resume_phase = workflow::parse_phase(resume).value_or(workflow::Phase::idle);
  for (std::size_t i = 0; i < std::size(kCauses); ++i)
    if (kCauses[i] == cause) t.block_cause = static_cast<workflow::BlockCause>(i);
  if (auto perm = parse_permission(command_perm)) t.command_permission = *perm;
  if (auto perm = parse_permission(approve_perm)) t.approve_permission = *perm;
  t.turn_role = workflow::parse_role(role).value_or(workflow::Role::plan);
  return t;
}

bool is_github_effect(const Action& a) {
  return std::holds_alternative<workflow::React>(a) || std::holds_alternative<workflow::Reply>(a) ||
         std::holds_alternative<workflow::SyncPlanComment>(a) ||
         std::holds_alternative<workflow::SyncStatus>(a);
}

std::string effects_to_json(const std::vector<Action>& actions) {
  json::array a;
  for (const auto& action : actions) {
    json::object o;
    if (auto* r = std::get_if<workflow::React>(&action)) {
      o["kind"] = "react";
      o["comment_id"] = r->comment_id;
      o["reaction"] = reaction_text(r->reaction);
    } else if (auto* r = std::get_if<workflow::Reply>(&action)) {
      o["kind"] = "reply";
      o["text"] = r->text;
    } else if (std::holds_alternative<workflow::SyncPlanComment>(action)) {
      o["kind"] = "sync_plan";
    } else if (std::holds_alternative<workflow::SyncStatus>(action)) {
      o["kind"] = "sync_status";
    } else {
      continue;
    }
    a.push_back(std::move(o));
  }
  return json::serialize(a);
}

Result<std::vector<Action>> effects_from_json(std::string_view text) {
  simdjson::dom::parser parser;
  simdjson::dom::array a;
  if (auto err = parser.parse(text.data(), text.size()).get(a))
    return make_error(std::string("task outbox is not a JSON array: ") +
                      simdjson::error_message(err));
  std::vector<Action> out;
  for (auto item : a) {
    simdjson::dom::object o;
    std::string_view kind;
    if (item.get(o) || o["kind"].get(kind)) return make_error("task outbox: an entry has no kind");
    if (kind == "react") {
      int64_t id = 0;
      std::string_view reaction;
      if (o["comment_id"].get(id) || o["reaction"].get(reaction))
        return make_error("task outbox: a react entry is incomplete");
      auto parsed = parse_reaction(reaction);
      if (!parsed) return make_error("task outbox: unknown reaction " + std::string(reaction));
      out.emplace_back(workflow::React{id, *parsed});
    } else if (kind == "reply") {
      std::string_view text_field;
      if (o["text"].get(text_field)) return make_error("task outbox: a reply entry has no text");
      out.emplace_back(workflow::Reply{std::string(text_field)});
    } else if (kind == "sync_plan") {
      out.emplace_back(workflow::SyncPlanComment{});
    } else if (kind == "sync_status") {
      out.emplace_back(workflow::SyncStatus{});
    } else {
      return make_error("task outbox: unknown entry kind \"" + std::string(kind) + "\"");
    }
  }
  return out;
}

}  // namespace bottega
