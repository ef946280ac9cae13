// Checks and Actions endpoints: check runs of a commit and their
// annotations, the App's own check runs, a job's log.
#include <algorithm>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "github/client/json_read.h"
#include "github/client/request_core.h"

namespace bottega::github {

using namespace detail;

namespace {

CheckRun decode_check_run(dom::element e) {
  CheckRun r;
  r.id = i64(e, "id");
  r.name = str(e, "name");
  r.head_sha = str(e, "head_sha");
  r.status = str(e, "status");
  r.conclusion = str(e, "conclusion");
  r.html_url = str(e, "html_url");
  r.details_url = str(e, "details_url");
  if (has_object(e, "output")) {
    auto o = child(e, "output");
    r.title = str(o, "title");
    r.summary = str(o, "summary");
    r.annotations_count = static_cast<int>(i64(o, "annotations_count"));
  }
  if (has_object(e, "app")) r.app_slug = str(child(e, "app"), "slug");
  return r;
}

std::string check_run_json(const CheckRunUpdate& u) {
  boost::json::object o;
  auto put = [&](const char* k, const std::string& v) {
    if (!v.empty()) o[k] = v;
  };
  put("name", u.name);
  put("head_sha", u.head_sha);
  put("status", u.status);
  put("conclusion", u.conclusion);
  put("details_url", u.details_url);
  put("external_id", u.external_id);
  if (!u.title.empty() || !u.summary.empty()) {
    boost::json::object out{{"title", u.title}, {"summary", u.summary}};
    if (!u.text.empty()) out["text"] = u.text;
    o["output"] = out;
  }
  return boost::json::serialize(o);
}

}  // namespace

GhResult<std::vector<CheckRun>> GitHubClient::list_check_runs_for_ref(const Repo& repo,
                                                                      const std::string& ref) {
  std::vector<CheckRun> out;
  auto r = impl_->paginate("/repos/{owner}/{repo}/commits/{ref}/check-runs",
                           {repo.owner, repo.name, ref}, repo.installation_id, "", "check_runs",
                           [&](dom::element e) { out.push_back(decode_check_run(e)); });
  if (!r) return r.error();
  return out;
}

GhResult<std::vector<CheckAnnotation>> GitHubClient::list_check_run_annotations(
    const Repo& repo, int64_t check_run_id) {
  std::vector<CheckAnnotation> out;
  auto r = impl_->paginate("/repos/{owner}/{repo}/check-runs/{check_run_id}/annotations",
                           {repo.owner, repo.name, std::to_string(check_run_id)},
                           repo.installation_id, "", nullptr, [&](dom::element e) {
                             CheckAnnotation a;
                             a.path = str(e, "path");
                             a.start_line = static_cast<int>(i64(e, "start_line"));
                             a.end_line = static_cast<int>(i64(e, "end_line"));
                             a.annotation_level = str(e, "annotation_level");
                             a.title = str(e, "title");
                             a.message = str(e, "message");
                             out.push_back(std::move(a));
                           });
  if (!r) return r.error();
  return out;
}

GhResult<CombinedStatus> GitHubClient::get_combined_status(const Repo& repo,
                                                           const std::string& ref) {
  CombinedStatus out;
  auto r =
      impl_->paginate("/repos/{owner}/{repo}/commits/{ref}/status", {repo.owner, repo.name, ref},
                      repo.installation_id, "", "statuses", [&](dom::element e) {
                        CommitStatus s;
                        s.id = i64(e, "id");
                        s.context = str(e, "context");
                        s.state = str(e, "state");
                        s.description = str(e, "description");
                        s.target_url = str(e, "target_url");
                        out.statuses.push_back(std::move(s));
                      });
  if (!r) return r.error();
  // Computed from the statuses (one per context), as GitHub computes it:
  // the pages share no top-level field worth trusting over them.
  out.state = out.statuses.empty() ? "pending" : "success";
  for (const auto& s : out.statuses) {
    if (s.state == "failure" || s.state == "error") out.state = "failure";
    if (s.state == "pending" && out.state != "failure") out.state = "pending";
  }
  return out;
}

GhResult<CheckRun> GitHubClient::create_check_run(const Repo& repo, const CheckRunUpdate& run) {
  const std::string route = "/repos/{owner}/{repo}/check-runs";
  auto r = impl_->call("POST", route, {repo.owner, repo.name}, repo.installation_id,
                       check_run_json(run));
  return impl_->decode<CheckRun>(r, "POST " + route, decode_check_run);
}

GhResult<CheckRun> GitHubClient::update_check_run(const Repo& repo, int64_t check_run_id,
                                                  const CheckRunUpdate& run) {
  const std::string route = "/repos/{owner}/{repo}/check-runs/{check_run_id}";
  auto r = impl_->call("PATCH", route, {repo.owner, repo.name, std::to_string(check_run_id)},
                       repo.installation_id, check_run_json(run));
  return impl_->decode<CheckRun>(r, "PATCH " + route, decode_check_run);
}

// ---------------------------------------------------------------- Actions

GhResult<JobLog> GitHubClient::download_job_log(const Repo& repo, int64_t job_id,
                                                std::size_t max_bytes) {
  Call c;
  c.route = "/repos/{owner}/{repo}/actions/jobs/{job_id}/logs";
  c.path = expand(c.route, {repo.owner, repo.name, std::to_string(job_id)});
  c.installation = repo.installation_id;
  c.max_body_bytes = std::max<std::size_t>(max_bytes, 64 * 1024 * 1024);
  auto r = impl_->execute(c);
  if (!r) return r.error();
  JobLog log;
  log.total_bytes = r->body.size();
  if (r->body.size() > max_bytes) {
    log.truncated = true;
    log.text = r->body.substr(r->body.size() - max_bytes);
  } else {
    log.text = std::move(r->body);
  }
  return log;
}

GhResult<void> GitHubClient::rerun_failed_jobs(const Repo& repo, int64_t run_id) {
  const std::string route = "/repos/{owner}/{repo}/actions/runs/{run_id}/rerun-failed-jobs";
  auto r = impl_->call("POST", route, {repo.owner, repo.name, std::to_string(run_id)},
                       repo.installation_id, "{}");
  if (!r) return r.error();
  return {};
}

}  // namespace bottega::github
