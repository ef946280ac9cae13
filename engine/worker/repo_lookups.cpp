#include "engine/worker/repo_lookups.h"

#include "config/base/log.h"
#include "engine/prompts/prompts.h"
#include "engine/worker/github_port.h"

namespace bottega {

RepoLookups::RepoLookups(GitHubPort& gh, const Clock& clock, RepoConfig defaults,
                         std::chrono::seconds permission_ttl)
    : gh_(gh), clock_(clock), defaults_(std::move(defaults)), permission_ttl_(permission_ttl) {}

std::string RepoLookups::bot() {
  const std::string slug = gh_.app_slug();
  return slug.empty() ? "" : slug + "[bot]";
}

github::Permission RepoLookups::permission(const github::Repo& repo, const std::string& login) {
  const auto key = repo.full_name() + " " + login;
  const auto now = clock_.steady_now();
  {
    std::lock_guard lock(mutex_);
    auto it = permissions_.find(key);
    if (it != permissions_.end() && now - it->second.second < permission_ttl_) return it->second.first;
  }
  auto p = gh_.collaborator_permission(repo, login);
  if (!p) {
    component_log("workflow").warn("permission of {} on {}: {}", login, repo.full_name(), p.error().describe());
    return github::Permission::none;
  }
  auto level = github::effective_permission(p->permission, p->role_name);
  std::lock_guard lock(mutex_);
  permissions_[key] = {level, now};
  return level;
}

Result<LoadedConfig> RepoLookups::repo_config(const github::Repo& repo, const std::string& ref) {
  auto file = gh_.get_file_contents(repo, std::string(kRepoConfigPath), ref);
  if (!file) {
    if (file.error().is_not_found()) return LoadedConfig{defaults_, ""};
    return make_error("cannot read " + std::string(kRepoConfigPath) + ": " + file.error().describe());
  }
  auto parsed = parse_repo_config(file->content, defaults_);
  if (!parsed) return LoadedConfig{defaults_, parsed.error().describe()};
  return LoadedConfig{*parsed, ""};
}

std::optional<std::string> RepoLookups::repo_file(const github::Repo& repo, const std::string& path,
                                                  const std::string& ref) {
  auto file = gh_.get_file_contents(repo, path, ref);
  if (!file) return std::nullopt;
  return file->content;
}

std::string RepoLookups::plan_template(const github::Repo& repo, const std::string& ref) {
  if (auto text = repo_file(repo, prompts::override_path("plan-template"), ref)) return *text;
  return std::string(prompts::default_prompt("plan-template").value_or(""));
}

}  // namespace bottega
