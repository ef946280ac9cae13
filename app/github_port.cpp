#include "app/github_port.h"

#include <simdjson.h>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace bottega {

std::string GitHubClientPort::app_slug() {
  {
    std::lock_guard lock(mutex_);
    if (!slug_.empty()) return slug_;
  }
  // Asked outside the lock: two threads asking at once get the same answer.
  auto app = client_.request("GET", "/app", {}, 0);
  simdjson::dom::parser parser;
  std::string_view s;
  if (!app || parser.parse(app->body).get_object()["slug"].get(s)) return "";
  std::lock_guard lock(mutex_);
  slug_ = std::string(s);
  return slug_;
}

github::GhResult<std::string> GitHubClientPort::branch_head(const github::Repo& repo,
                                                            const std::string& branch) {
  auto ref = client_.request("GET", "/repos/{owner}/{repo}/git/ref/heads/{branch}",
                             {repo.owner, repo.name, branch}, repo.installation_id);
  if (!ref) return ref.error();
  simdjson::dom::parser parser;
  std::string_view sha;
  if (parser.parse(ref->body)["object"]["sha"].get(sha) || sha.empty())
    return github::GitHubError::local(
        github::GitHubError::Kind::decode,
        "the branch's ref names no commit: " + ref->body.substr(0, 200));
  return std::string(sha);
}

github::GhResult<void> GitHubClientPort::ensure_label(const github::Repo& repo,
                                                      const github::Label& label) {
  boost::json::object o{{"name", label.name},
                        {"color", label.color.empty() ? "ededed" : label.color}};
  if (!label.description.empty()) o["description"] = label.description;
  auto created = client_.request("POST", "/repos/{owner}/{repo}/labels", {repo.owner, repo.name},
                                 repo.installation_id, boost::json::serialize(o));
  if (!created && !created.error().is_validation_failed()) return created.error();
  return {};
}

}  // namespace bottega
