// Pull request endpoints: pulls, their reviews and review comments (and
// reactions to those).
#include <boost/json/object.hpp>

#include "github/client/json_read.h"
#include "github/client/request_core.h"

namespace bottega::github {

using namespace detail;

namespace {

PullRequest decode_pull(dom::element e) {
  PullRequest p;
  p.id = i64(e, "id");
  p.number = static_cast<int>(i64(e, "number"));
  p.state = str(e, "state");
  p.title = str(e, "title");
  p.body = str(e, "body");
  p.html_url = str(e, "html_url");
  p.draft = boolean(e, "draft");
  p.merged = boolean(e, "merged");
  p.mergeable = opt_bool(e, "mergeable");
  p.mergeable_state = str(e, "mergeable_state");
  if (has_object(e, "head")) {
    auto h = child(e, "head");
    p.head_ref = str(h, "ref");
    p.head_sha = str(h, "sha");
    if (has_object(h, "repo")) p.head_repo_full_name = str(child(h, "repo"), "full_name");
  }
  if (has_object(e, "base")) {
    auto b = child(e, "base");
    p.base_ref = str(b, "ref");
    p.base_sha = str(b, "sha");
  }
  return p;
}

Review decode_review(dom::element e) {
  Review r;
  r.id = i64(e, "id");
  r.user = decode_user(e);
  r.state = str(e, "state");
  r.body = str(e, "body");
  r.commit_id = str(e, "commit_id");
  r.submitted_at = str(e, "submitted_at");
  return r;
}

ReviewComment decode_review_comment(dom::element e) {
  ReviewComment c;
  c.id = i64(e, "id");
  c.pull_request_review_id = i64(e, "pull_request_review_id");
  c.in_reply_to_id = opt_i64(e, "in_reply_to_id");
  c.user = decode_user(e);
  c.body = str(e, "body");
  c.path = str(e, "path");
  if (auto l = opt_i64(e, "line")) c.line = static_cast<int>(*l);
  c.commit_id = str(e, "commit_id");
  c.diff_hunk = str(e, "diff_hunk");
  c.html_url = str(e, "html_url");
  return c;
}

}  // namespace

// ------------------------------------------------------------------ pulls

GhResult<PullRequest> GitHubClient::create_pull(const Repo& repo, const NewPullRequest& pull) {
  const std::string route = "/repos/{owner}/{repo}/pulls";
  boost::json::object o{{"title", pull.title},
                        {"head", pull.head},
                        {"base", pull.base},
                        {"body", pull.body},
                        {"draft", pull.draft}};
  auto r = impl_->call("POST", route, {repo.owner, repo.name}, repo.installation_id, to_json(o), "",
                       true);
  return impl_->decode<PullRequest>(r, "POST " + route, decode_pull);
}

GhResult<PullRequest> GitHubClient::get_pull(const Repo& repo, int number) {
  const std::string route = "/repos/{owner}/{repo}/pulls/{pull_number}";
  auto r = impl_->call("GET", route, {repo.owner, repo.name, std::to_string(number)},
                       repo.installation_id);
  return impl_->decode<PullRequest>(r, "GET " + route, decode_pull);
}

GhResult<std::optional<PullRequest>> GitHubClient::find_pull_by_head(const Repo& repo,
                                                                     const std::string& branch) {
  const std::string route = "/repos/{owner}/{repo}/pulls";
  auto r = impl_->call("GET", route, {repo.owner, repo.name}, repo.installation_id, "",
                       "head=" + percent_encode(repo.owner + ":" + branch, false) +
                           "&state=all&sort=created&direction=desc&per_page=1");
  if (!r) return r.error();
  dom::parser parser;
  dom::element doc;
  dom::array arr;
  if (parser.parse(r->body).get(doc) || doc.get_array().get(arr))
    return Impl::decode_error("GET " + route);
  for (dom::element e : arr) return std::optional<PullRequest>(decode_pull(e));
  return std::optional<PullRequest>();
}

// ---------------------------------------------------------------- reviews

GhResult<std::vector<Review>> GitHubClient::list_reviews(const Repo& repo, int pull_number) {
  std::vector<Review> out;
  auto r =
      impl_->paginate("/repos/{owner}/{repo}/pulls/{pull_number}/reviews",
                      {repo.owner, repo.name, std::to_string(pull_number)}, repo.installation_id,
                      "", nullptr, [&](dom::element e) { out.push_back(decode_review(e)); });
  if (!r) return r.error();
  return out;
}

GhResult<std::vector<ReviewComment>> GitHubClient::list_review_comments(const Repo& repo,
                                                                        int pull_number) {
  std::vector<ReviewComment> out;
  auto r = impl_->paginate("/repos/{owner}/{repo}/pulls/{pull_number}/comments",
                           {repo.owner, repo.name, std::to_string(pull_number)},
                           repo.installation_id, "", nullptr,
                           [&](dom::element e) { out.push_back(decode_review_comment(e)); });
  if (!r) return r.error();
  return out;
}

GhResult<ReviewComment> GitHubClient::reply_to_review_comment(const Repo& repo, int pull_number,
                                                              int64_t comment_id,
                                                              const std::string& body) {
  const std::string route =
      "/repos/{owner}/{repo}/pulls/{pull_number}/comments/{comment_id}/replies";
  auto r =
      impl_->call("POST", route,
                  {repo.owner, repo.name, std::to_string(pull_number), std::to_string(comment_id)},
                  repo.installation_id, to_json({{"body", body}}), "", true);
  return impl_->decode<ReviewComment>(r, "POST " + route, decode_review_comment);
}

GhResult<void> GitHubClient::react_to_review_comment(const Repo& repo, int64_t comment_id,
                                                     Reaction reaction) {
  return void_result(
      impl_->call("POST", "/repos/{owner}/{repo}/pulls/comments/{comment_id}/reactions",
                  {repo.owner, repo.name, std::to_string(comment_id)}, repo.installation_id,
                  to_json({{"content", reaction_name(reaction)}}), "", /*content_creation=*/true,
                  /*acknowledgement=*/true));
}

}  // namespace bottega::github
