#include "engine/worker/pull_side_codec.h"

#include <boost/json/array.hpp>

namespace bottega {
namespace {

namespace json = boost::json;
using workflow::FailedCheck;
using workflow::Feedback;

// Reads fields of one object; absent ones keep their defaults.
class Fields {
 public:
  Fields(simdjson::dom::object o, std::string& problem) : o_(o), problem_(problem) {}
  void str(const char* key, std::string& out) {
    auto f = o_[key];
    if (f.error()) return;
    std::string_view v;
    if (f.get(v)) return fail(key);
    out = std::string(v);
  }
  template <class Int>
  void num(const char* key, Int& out) {
    auto f = o_[key];
    if (f.error()) return;
    int64_t i = 0;
    if (f.get(i)) return fail(key);
    out = static_cast<Int>(i);
  }
  void flag(const char* key, bool& out) {
    auto f = o_[key];
    if (f.error()) return;
    if (f.get(out)) fail(key);
  }
  template <class Each>
  void objects(const char* key, Each each) {
    auto f = o_[key];
    if (f.error()) return;
    simdjson::dom::array a;
    if (f.get(a)) return fail(key);
    for (auto item : a) {
      simdjson::dom::object o;
      if (item.get(o)) return fail(key);
      each(o);
    }
  }
  void ids(const char* key, std::vector<int64_t>& out) {
    auto f = o_[key];
    if (f.error()) return;
    simdjson::dom::array a;
    if (f.get(a)) return fail(key);
    for (auto item : a) {
      int64_t id = 0;
      if (item.get(id)) return fail(key);
      out.push_back(id);
    }
  }
  void strings(const char* key, std::vector<std::string>& out) {
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

 private:
  void fail(const char* key) {
    if (problem_.empty())
      problem_ = std::string("task state: field pull.") + key + " has the wrong type";
  }
  simdjson::dom::object o_;
  std::string& problem_;
};

json::object feedback_json(const Feedback& f) {
  return {{"author", f.author},
          {"review_id", f.review_id},
          {"comment_id", f.comment_id},
          {"inline", f.inline_comment},
          {"path", f.path},
          {"line", f.line},
          {"side", f.side},
          {"diff_hunk", f.diff_hunk},
          {"thread", f.thread},
          {"body", f.body}};
}

Feedback feedback_from(simdjson::dom::object o, std::string& problem) {
  Feedback f;
  Fields r(o, problem);
  r.str("author", f.author);
  r.num("review_id", f.review_id);
  r.num("comment_id", f.comment_id);
  r.flag("inline", f.inline_comment);
  r.str("path", f.path);
  r.num("line", f.line);
  r.str("side", f.side);
  r.str("diff_hunk", f.diff_hunk);
  r.str("thread", f.thread);
  r.str("body", f.body);
  return f;
}

json::array feedback_list(const std::vector<Feedback>& items) {
  json::array a;
  for (const auto& f : items) a.push_back(feedback_json(f));
  return a;
}

json::array ids_list(const std::vector<int64_t>& ids) {
  json::array a;
  for (int64_t id : ids) a.emplace_back(id);
  return a;
}

json::array string_list(const std::vector<std::string>& items) {
  json::array a;
  for (const auto& s : items) a.emplace_back(s);
  return a;
}

}  // namespace

json::object pull_side_to_json(const workflow::PullSide& p) {
  json::array answers;
  for (const auto& [id, text] : p.answers)
    answers.push_back(json::object{{"comment_id", id}, {"text", text}});
  json::array failing;
  for (const auto& c : p.failing)
    failing.push_back(json::object{{"check_run_id", c.check_run_id},
                                   {"name", c.name},
                                   {"conclusion", c.conclusion},
                                   {"workflow_run_id", c.workflow_run_id},
                                   {"commit_status", c.commit_status}});
  return {{"fixing", std::string(to_string(p.fixing))},
          {"pending", feedback_list(p.pending)},
          {"addressing", feedback_list(p.addressing)},
          {"reviewer", p.reviewer},
          {"head_sha", p.head_sha},
          {"checks", p.checks},
          {"failing", std::move(failing)},
          {"ci_spent_head", p.ci_spent_head},
          {"rerun_head", p.rerun_head},
          {"rerun_checks", ids_list(p.rerun_checks)},
          {"passed_checks", string_list(p.passed_checks)},
          {"ci_fixes", p.ci_fixes},
          {"max_ci_fixes", p.max_ci_fixes},
          {"conflict_fixes", p.conflict_fixes},
          {"max_conflict_fixes", p.max_conflict_fixes},
          {"base_sha", p.base_sha},
          {"conflicted_files", string_list(p.conflicted_files)},
          {"review_fixes", p.review_fixes},
          {"update_owed", p.update_owed},
          {"rebase", p.rebase},
          {"unpushed_sha", p.unpushed_sha},
          {"fix_reviews", p.fix_reviews},
          {"fix_findings", p.fix_findings},
          {"answers", std::move(answers)}};
}

std::string pull_side_from_json(simdjson::dom::object o, workflow::PullSide& p) {
  std::string problem;
  Fields r(o, problem);
  std::string fixing;
  r.str("fixing", fixing);
  p.fixing = workflow::parse_fix_kind(fixing).value_or(workflow::FixKind::none);
  r.objects("pending",
            [&](simdjson::dom::object f) { p.pending.push_back(feedback_from(f, problem)); });
  r.objects("addressing",
            [&](simdjson::dom::object f) { p.addressing.push_back(feedback_from(f, problem)); });
  r.str("reviewer", p.reviewer);
  r.str("head_sha", p.head_sha);
  r.str("checks", p.checks);
  r.objects("failing", [&](simdjson::dom::object f) {
    FailedCheck c;
    Fields fr(f, problem);
    fr.num("check_run_id", c.check_run_id);
    fr.str("name", c.name);
    fr.str("conclusion", c.conclusion);
    fr.num("workflow_run_id", c.workflow_run_id);
    fr.flag("commit_status", c.commit_status);
    p.failing.push_back(std::move(c));
  });
  r.str("ci_spent_head", p.ci_spent_head);
  r.str("rerun_head", p.rerun_head);
  r.ids("rerun_checks", p.rerun_checks);
  r.strings("passed_checks", p.passed_checks);
  r.num("ci_fixes", p.ci_fixes);
  r.num("max_ci_fixes", p.max_ci_fixes);
  r.num("conflict_fixes", p.conflict_fixes);
  r.num("max_conflict_fixes", p.max_conflict_fixes);
  r.str("base_sha", p.base_sha);
  r.strings("conflicted_files", p.conflicted_files);
  r.flag("review_fixes", p.review_fixes);
  r.flag("update_owed", p.update_owed);
  r.flag("rebase", p.rebase);
  r.str("unpushed_sha", p.unpushed_sha);
  r.num("fix_reviews", p.fix_reviews);
  r.str("fix_findings", p.fix_findings);
  r.objects("answers", [&](simdjson::dom::object a) {
    Fields fa(a, problem);
    int64_t id = 0;
    std::string text;
    fa.num("comment_id", id);
    fa.str("text", text);
    p.answers.emplace_back(id, std::move(text));
  });
  return problem;
}

}  // namespace bottega
