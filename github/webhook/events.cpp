#include "github/webhook/events.h"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <utility>

namespace bottega {
namespace {

namespace dom = simdjson::dom;

// Thrown inside the decoder only; decode_event() turns it into an Error.
struct DecodeError {
  std::string message;
};

// A JSON object and where it sits in the payload, for error messages.
class Obj {
 public:
  Obj(dom::element el, std::string path) : el_(el), path_(std::move(path)) {
    if (!el_.is_object()) throw DecodeError{"field " + display() + " is not an object"};
  }

  std::optional<dom::element> find(const char* key) const {
    dom::element v;
    if (el_.get_object()[key].get(v) != simdjson::SUCCESS || v.is_null()) return std::nullopt;
    return v;
  }

  std::string req_str(const char* key) const {
    auto v = find(key);
    if (!v) throw missing(key);
    if (!v->is_string()) throw wrong(key, "a string");
    return std::string(std::string_view(*v));
  }
  std::string opt_str(const char* key) const {
    auto v = find(key);
    if (!v) return "";
    if (!v->is_string()) throw wrong(key, "a string");
    return std::string(std::string_view(*v));
  }
  int64_t req_int(const char* key) const {
    auto v = find(key);
    if (!v) throw missing(key);
    return as_int(*v, key);
  }
  int64_t opt_int(const char* key) const {
    auto v = find(key);
    return v ? as_int(*v, key) : 0;
  }
  bool opt_bool(const char* key) const {
    auto v = find(key);
    if (!v) return false;
    if (!v->is_bool()) throw wrong(key, "true or false");
    return bool(*v);
  }
  Obj req_obj(const char* key) const {
    auto v = find(key);
    if (!v) throw missing(key);
    return Obj(*v, child(key));
  }
  std::optional<Obj> opt_obj(const char* key) const {
    auto v = find(key);
    if (!v) return std::nullopt;
    return Obj(*v, child(key));
  }
  // Each element of an array field (absent: none) as an object.
  std::vector<Obj> objects(const char* key) const {
    std::vector<Obj> out;
    auto v = find(key);
    if (!v) return out;
    if (!v->is_array()) throw wrong(key, "an array");
    std::size_t i = 0;
    for (dom::element e : dom::array(*v))
      out.emplace_back(e, child(key) + "[" + std::to_string(i++) + "]");
    return out;
  }

 private:
  int64_t as_int(dom::element v, const char* key) const {
    if (v.is_int64()) return int64_t(v);
    if (v.is_uint64()) return static_cast<int64_t>(uint64_t(v));
    throw wrong(key, "a whole number");
  }
  std::string child(const char* key) const { return path_.empty() ? key : path_ + "." + key; }
  std::string display() const { return path_.empty() ? "(top level)" : path_; }
  DecodeError missing(const char* key) const {
    return DecodeError{"missing required field " + child(key)};
  }
  DecodeError wrong(const char* key, const char* expected) const {
    return DecodeError{"field " + child(key) + " is not " + expected};
  }

  dom::element el_;
  std::string path_;
};

Account account(const Obj& o) {
  return Account{o.req_int("id"), o.req_str("login"), o.opt_str("type")};
}

std::optional<Account> opt_account(const Obj& o, const char* key) {
  if (auto a = o.opt_obj(key)) return account(*a);
  return std::nullopt;
}

Issue issue(const Obj& o) {
  Issue i;
  i.number = o.req_int("number");
  i.title = o.opt_str("title");
  i.body = o.opt_str("body");
  i.state = o.opt_str("state");
  i.user = opt_account(o, "user");
  for (const auto& l : o.objects("labels")) i.labels.push_back(l.req_str("name"));
  for (const auto& a : o.objects("assignees")) i.assignees.push_back(a.req_str("login"));
  i.is_pull_request = o.find("pull_request").has_value();
  return i;
}

Comment comment(const Obj& o) {
  Comment c;
  c.id = o.req_int("id");
  c.body = o.opt_str("body");
  c.user = opt_account(o, "user");
  c.html_url = o.opt_str("html_url");
  c.created_at = o.opt_str("created_at");
  c.in_reply_to_id = o.opt_int("in_reply_to_id");
  c.path = o.opt_str("path");
  return c;
}

GitRef git_ref(const Obj& o) {
  GitRef r{o.opt_str("ref"), o.opt_str("sha"), ""};
  if (auto repo = o.opt_obj("repo")) r.repo_full_name = repo->opt_str("full_name");
  return r;
}

PullRequest pull_request(const Obj& o) {
  PullRequest p;
  p.number = o.req_int("number");
  p.title = o.opt_str("title");
  p.body = o.opt_str("body");
  p.state = o.opt_str("state");
  p.merged = o.opt_bool("merged");
  p.head = git_ref(o.req_obj("head"));
  p.base = git_ref(o.req_obj("base"));
  p.user = opt_account(o, "user");
  return p;
}

std::vector<int64_t> pr_numbers(const Obj& o) {
  std::vector<int64_t> out;
  for (const auto& pr : o.objects("pull_requests")) out.push_back(pr.req_int("number"));
  return out;
}

CheckEvent check_event(const Obj& root, const std::string& name) {
  CheckEvent c;
  Obj o = root.req_obj(name.c_str());
  c.id = o.req_int("id");
  c.status = o.opt_str("status");
  c.conclusion = o.opt_str("conclusion");
  c.head_sha = o.req_str("head_sha");
  c.pull_requests = pr_numbers(o);
  if (name == "check_suite") {
    c.head_branch = o.opt_str("head_branch");
  } else if (name == "check_run") {
    c.name = o.opt_str("name");
    if (auto suite = o.opt_obj("check_suite")) c.head_branch = suite->opt_str("head_branch");
  } else {
    c.name = o.opt_str("name");
    c.head_branch = o.opt_str("head_branch");
  }
  return c;
}

std::vector<std::string> repo_names(const Obj& o, const char* key) {
  std::vector<std::string> out;
  for (const auto& r : o.objects(key)) out.push_back(r.req_str("full_name"));
  return out;
}

EventDetail detail(const std::string& name, const Obj& root) {
  if (name == "installation")
    return InstallationEvent{root.req_obj("installation").req_obj("account").req_str("login"),
                             repo_names(root, "repositories")};
  if (name == "installation_repositories")
    return InstallationRepositoriesEvent{repo_names(root, "repositories_added"),
                                         repo_names(root, "repositories_removed")};
  if (name == "issues") {
    IssuesEvent e{issue(root.req_obj("issue")), "", ""};
    if (auto l = root.opt_obj("label")) e.label = l->req_str("name");
    if (auto a = root.opt_obj("assignee")) e.assignee = a->req_str("login");
    return e;
  }
  if (name == "issue_comment")
    return IssueCommentEvent{issue(root.req_obj("issue")), comment(root.req_obj("comment"))};
  if (name == "pull_request") return PullRequestEvent{pull_request(root.req_obj("pull_request"))};
  if (name == "pull_request_review") {
    Obj review = root.req_obj("review");
    return PullRequestReviewEvent{pull_request(root.req_obj("pull_request")), review.req_int("id"),
                                  review.req_str("state"), review.opt_str("body"),
                                  opt_account(review, "user")};
  }
  if (name == "pull_request_review_comment")
    return PullRequestReviewCommentEvent{pull_request(root.req_obj("pull_request")),
                                         comment(root.req_obj("comment"))};
  if (name == "check_suite" || name == "check_run" || name == "workflow_run")
    return check_event(root, name);
  if (name == "status") {
    StatusEvent s{root.req_str("sha"),
                  root.req_str("state"),
                  root.opt_str("context"),
                  root.opt_str("target_url"),
                  {}};
    for (const auto& b : root.objects("branches")) s.branches.push_back(b.req_str("name"));
    return s;
  }
  // push
  return PushEvent{root.req_str("ref"), root.opt_str("before"), root.req_str("after"),
                   root.opt_bool("forced"), root.opt_bool("deleted")};
}

dom::parser& thread_parser() {
  thread_local dom::parser parser;
  return parser;
}

// The thread's parser keeps the capacity of the largest document it parsed
// (about 15 bytes per byte of JSON: 350 MB after a 24 MB payload); past
// 1 MB it is freed once the document is no longer used. Declare before the
// parsed root, so it runs after the root is gone.
struct ReleaseLargeParser {
  ReleaseLargeParser() = default;
  ReleaseLargeParser(const ReleaseLargeParser&) = delete;
  ReleaseLargeParser& operator=(const ReleaseLargeParser&) = delete;
  ~ReleaseLargeParser() {
    if (thread_parser().capacity() > std::size_t{1} << 20) thread_parser() = dom::parser{};
  }
};

Result<dom::element> parse(std::string_view body) {
  dom::element root;
  auto error = thread_parser().parse(body.data(), body.size(), true).get(root);
  if (error) return make_error(std::string("not valid JSON: ") + simdjson::error_message(error));
  if (!root.is_object()) return make_error("not a JSON object at the top level");
  return root;
}

}  // namespace

bool is_handled(std::string_view event, std::string_view action) {
  using Actions = std::vector<std::string_view>;
  static const std::array<std::pair<std::string_view, Actions>, 12> handled = {{
      {"installation", {"created", "deleted", "suspend", "unsuspend", "new_permissions_accepted"}},
      {"installation_repositories", {"added", "removed"}},
      {"issues",
       {"opened", "edited", "labeled", "unlabeled", "assigned", "closed", "reopened", "transferred",
        "deleted"}},
      {"issue_comment", {"created", "edited", "deleted"}},
      {"pull_request", {"opened", "synchronize", "closed", "reopened", "edited"}},
      {"pull_request_review", {"submitted", "dismissed"}},
      {"pull_request_review_comment", {"created"}},
      {"check_suite", {"completed"}},
      {"check_run", {"completed"}},
      {"workflow_run", {"completed"}},
      {"status", {}},  // no action
      {"push", {}},
  }};
  for (const auto& [name, actions] : handled) {
    if (name != event) continue;
    if (actions.empty()) return action.empty();
    return std::find(actions.begin(), actions.end(), action) != actions.end();
  }
  return false;
}

namespace {

DeliverySummary summary_of(dom::element root) {
  DeliverySummary s;
  dom::object o = dom::object(root);
  std::string_view str;
  if (o["action"].get(str) == simdjson::SUCCESS) s.action = std::string(str);
  int64_t id = 0;
  if (o["installation"]["id"].get(id) == simdjson::SUCCESS) s.installation_id = id;
  if (o["repository"]["full_name"].get(str) == simdjson::SUCCESS) s.repository = std::string(str);
  if (o["sender"]["login"].get(str) == simdjson::SUCCESS) s.sender = std::string(str);
  return s;
}

Result<WebhookEvent> decode_root(std::string_view event, dom::element root) {
  try {
    Obj top(root, "");
    WebhookEvent e;
    e.name = std::string(event);
    e.action = top.opt_str("action");
    if (auto inst = top.opt_obj("installation")) e.installation_id = inst->req_int("id");
    if (auto repo = top.opt_obj("repository"))
      e.repository = RepositoryRef{repo->req_int("id"), repo->req_str("full_name"),
                                   repo->opt_str("default_branch")};
    e.sender = opt_account(top, "sender");
    if (!is_handled(e.name, e.action))
      return make_error("event " + e.name + (e.action.empty() ? "" : "." + e.action) +
                        " is not one the app handles");
    bool repo_scoped = e.name != "installation" && e.name != "installation_repositories";
    if (repo_scoped && !e.repository) return make_error("missing required field repository");
    e.detail = detail(e.name, top);
    return e;
  } catch (const DecodeError& d) {
    return make_error(d.message);
  }
}

}  // namespace

Result<WebhookEvent> decode_event(std::string_view event, std::string_view body) {
  ReleaseLargeParser release;
  auto root = parse(body);
  if (!root) return root.error();
  return decode_root(event, *root);
}

Result<DeliverySummary> summarize_delivery(std::string_view body) {
  ReleaseLargeParser release;
  auto root = parse(body);
  if (!root) return root.error();
  return summary_of(*root);
}

DecodedDelivery decode_delivery(std::string_view event, std::string_view body) {
  ReleaseLargeParser release;
  DecodedDelivery d;
  auto root = parse(body);
  if (!root) {
    d.reason = root.error().message;
    return d;
  }
  d.summary = summary_of(*root);
  if (!is_handled(event, d.summary.action)) {
    d.kind = DecodedDelivery::Kind::ignored;
    d.reason = "event " + std::string(event) +
               (d.summary.action.empty() ? "" : "." + d.summary.action) + " is not handled";
    return d;
  }
  auto decoded = decode_root(event, *root);
  if (!decoded) {
    d.reason = decoded.error().message;
    return d;
  }
  d.kind = DecodedDelivery::Kind::event;
  d.event = std::move(*decoded);
  return d;
}

}  // namespace bottega
