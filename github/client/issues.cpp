// Issue endpoints (a pull request is an issue too): comments, reactions to
// an issue and to its comments, the issue's labels.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "github/client/json_read.h"
#include "github/client/request_core.h"

namespace bottega::github {

using namespace detail;

std::string reaction_name(Reaction r) {
  switch (r) {
    case Reaction::plus_one:
      return "+1";
    case Reaction::minus_one:
      return "-1";
    case Reaction::laugh:
      return "laugh";
    case Reaction::confused:
      return "confused";
    case Reaction::heart:
      return "heart";
    case Reaction::hooray:
      return "hooray";
    case Reaction::rocket:
      return "rocket";
    case Reaction::eyes:
      return "eyes";
  }
  return "eyes";
}

namespace {

IssueComment decode_comment(dom::element e) {
  IssueComment c;
  c.id = i64(e, "id");
  c.body = str(e, "body");
  c.user = decode_user(e);
  c.html_url = str(e, "html_url");
  c.created_at = str(e, "created_at");
  c.updated_at = str(e, "updated_at");
  return c;
}

}  // namespace

// --------------------------------------------------------------- comments

GhResult<IssueComment> GitHubClient::create_issue_comment(const Repo& repo, int issue_number,
                                                          const std::string& body) {
  const std::string route = "/repos/{owner}/{repo}/issues/{issue_number}/comments";
  auto r = impl_->call("POST", route, {repo.owner, repo.name, std::to_string(issue_number)},
                       repo.installation_id, to_json({{"body", body}}), "", true);
  return impl_->decode<IssueComment>(r, "POST " + route, decode_comment);
}

GhResult<IssueComment> GitHubClient::update_issue_comment(const Repo& repo, int64_t comment_id,
                                                          const std::string& body) {
  const std::string route = "/repos/{owner}/{repo}/issues/comments/{comment_id}";
  auto r = impl_->call("PATCH", route, {repo.owner, repo.name, std::to_string(comment_id)},
                       repo.installation_id, to_json({{"body", body}}));
  return impl_->decode<IssueComment>(r, "PATCH " + route, decode_comment);
}

GhResult<std::vector<IssueComment>> GitHubClient::list_issue_comments(const Repo& repo,
                                                                      int issue_number) {
  std::vector<IssueComment> out;
  auto r =
      impl_->paginate("/repos/{owner}/{repo}/issues/{issue_number}/comments",
                      {repo.owner, repo.name, std::to_string(issue_number)}, repo.installation_id,
                      "", nullptr, [&](dom::element e) { out.push_back(decode_comment(e)); });
  if (!r) return r.error();
  return out;
}

// -------------------------------------------------------------- reactions

GhResult<void> GitHubClient::react_to_issue_comment(const Repo& repo, int64_t comment_id,
                                                    Reaction reaction) {
  return void_result(
      impl_->call("POST", "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions",
                  {repo.owner, repo.name, std::to_string(comment_id)}, repo.installation_id,
                  to_json({{"content", reaction_name(reaction)}}), "", /*content_creation=*/true,
                  /*acknowledgement=*/true));
}

GhResult<void> GitHubClient::react_to_issue(const Repo& repo, int issue_number, Reaction reaction) {
  return void_result(impl_->call("POST", "/repos/{owner}/{repo}/issues/{issue_number}/reactions",
                                 {repo.owner, repo.name, std::to_string(issue_number)},
                                 repo.installation_id,
                                 to_json({{"content", reaction_name(reaction)}}), "",
                                 /*content_creation=*/true, /*acknowledgement=*/true));
}

// ----------------------------------------------------------------- labels

GhResult<void> GitHubClient::add_labels(const Repo& repo, int issue_number,
                                        const std::vector<std::string>& labels) {
  boost::json::array names;
  for (const auto& l : labels) names.emplace_back(l);
  return void_result(impl_->call("POST", "/repos/{owner}/{repo}/issues/{issue_number}/labels",
                                 {repo.owner, repo.name, std::to_string(issue_number)},
                                 repo.installation_id, to_json({{"labels", names}})));
}

GhResult<std::vector<std::string>> GitHubClient::list_issue_labels(const Repo& repo,
                                                                   int issue_number) {
  std::vector<std::string> out;
  auto r =
      impl_->paginate("/repos/{owner}/{repo}/issues/{issue_number}/labels",
                      {repo.owner, repo.name, std::to_string(issue_number)}, repo.installation_id,
                      "", nullptr, [&](dom::element e) { out.push_back(str(e, "name")); });
  if (!r) return r.error();
  return out;
}

GhResult<void> GitHubClient::remove_label(const Repo& repo, int issue_number,
                                          const std::string& label) {
  auto r = impl_->call("DELETE", "/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}",
                       {repo.owner, repo.name, std::to_string(issue_number), label},
                       repo.installation_id);
  if (!r && r.error().is_not_found()) return {};
  return void_result(r);
}

}  // namespace bottega::github
