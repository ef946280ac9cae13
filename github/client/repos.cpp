// Repository endpoints: file contents, labels of the repository, a
// collaborator's permission, comparing two commits.
#include <boost/json/object.hpp>

#include "github/client/json_read.h"
#include "github/client/request_core.h"
#include "github/jwt.h"

namespace bottega::github {

using namespace detail;

namespace {

constexpr const char* kContentsRoute = "/repos/{owner}/{repo}/contents/{path}";

// GET of the contents route: a file's or a directory's answer at `ref`.
template <class Impl>
auto get_contents(Impl& impl, const Repo& repo, std::string path, const std::string& ref) {
  while (!path.empty() && path.front() == '/') path.erase(0, 1);
  return impl.call("GET", kContentsRoute, {repo.owner, repo.name, path}, repo.installation_id, "",
                   ref.empty() ? "" : "ref=" + percent_encode(ref, false));
}

}  // namespace

GhResult<FileContent> GitHubClient::get_file_contents(const Repo& repo, const std::string& path,
                                                      const std::string& ref) {
  const std::string route = kContentsRoute;
  auto r = get_contents(*impl_, repo, path, ref);
  if (!r) return r.error();
  dom::parser parser;
  dom::element doc;
  if (parser.parse(r->body).get(doc) || str(doc, "type") != "file")
    return Impl::decode_error("GET " + route + " (not a file)");
  FileContent f;
  f.path = str(doc, "path");
  f.sha = str(doc, "sha");
  auto decoded = base64_decode(str(doc, "content"));
  if (!decoded) return Impl::decode_error("GET " + route + " (bad base64)");
  f.content = std::move(*decoded);
  return f;
}

GhResult<std::vector<DirectoryEntry>> GitHubClient::list_directory(const Repo& repo,
                                                                   const std::string& path,
                                                                   const std::string& ref) {
  const std::string route = kContentsRoute;
  auto r = get_contents(*impl_, repo, path, ref);
  if (!r) return r.error();
  dom::parser parser;
  dom::array entries;
  if (parser.parse(r->body).get(entries))
    return Impl::decode_error("GET " + route + " (not a directory)");
  std::vector<DirectoryEntry> out;
  for (dom::element e : entries) {
    DirectoryEntry d{str(e, "name"), str(e, "type")};
    if (d.name.empty()) return Impl::decode_error("GET " + route + " (an entry without a name)");
    out.push_back(std::move(d));
  }
  return out;
}

GhResult<void> GitHubClient::ensure_label(const Repo& repo, const Label& label) {
  auto existing = impl_->call("GET", "/repos/{owner}/{repo}/labels/{name}",
                              {repo.owner, repo.name, label.name}, repo.installation_id);
  if (existing) return {};
  if (!existing.error().is_not_found()) return existing.error();
  boost::json::object o{{"name", label.name},
                        {"color", label.color.empty() ? "ededed" : label.color}};
  if (!label.description.empty()) o["description"] = label.description;
  auto created = impl_->call("POST", "/repos/{owner}/{repo}/labels", {repo.owner, repo.name},
                             repo.installation_id, to_json(o));
  if (!created && created.error().is_validation_failed()) return {};  // created meanwhile
  return void_result(created);
}

GhResult<CollaboratorPermission> GitHubClient::collaborator_permission(
    const Repo& repo, const std::string& username) {
  const std::string route = "/repos/{owner}/{repo}/collaborators/{username}/permission";
  auto r = impl_->call("GET", route, {repo.owner, repo.name, username}, repo.installation_id);
  return impl_->decode<CollaboratorPermission>(r, "GET " + route, [](dom::element e) {
    CollaboratorPermission p;
    p.permission = str(e, "permission");
    p.role_name = str(e, "role_name");
    return p;
  });
}

GhResult<Comparison> GitHubClient::compare(const Repo& repo, const std::string& base,
                                           const std::string& head) {
  const std::string route = "/repos/{owner}/{repo}/compare/{basehead}";
  auto r =
      impl_->call("GET", route, {repo.owner, repo.name, base + "..." + head}, repo.installation_id);
  return impl_->decode<Comparison>(r, "GET " + route, [](dom::element e) {
    Comparison c;
    c.status = str(e, "status");
    c.ahead_by = static_cast<int>(i64(e, "ahead_by"));
    c.behind_by = static_cast<int>(i64(e, "behind_by"));
    c.total_commits = static_cast<int>(i64(e, "total_commits"));
    if (has_object(e, "merge_base_commit"))
      c.merge_base_sha = str(child(e, "merge_base_commit"), "sha");
    dom::array files;
    if (!e["files"].get_array().get(files))
      for (dom::element f : files) c.files.push_back({str(f, "filename"), str(f, "status")});
    return c;
  });
}

}  // namespace bottega::github
