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

Permission RepoLookups::permission(const github::Repo& repo, const std::string& login) {
  const auto key = repo.full_name() + " " + login;
  const auto now = clock_.steady_now();
  {
    std::lock_guard lock(mutex_);
    auto it = permissions_.find(key);
    if (it != permissions_.end() && now - it->second.second < permission_ttl_)
      return it->second.first;
  }
  auto p = gh_.collaborator_permission(repo, login);
  if (!p) {
    component_log("workflow")
        .warn("permission of {} on {}: {}", login, repo.full_name(), p.error().describe());
    return Permission::none;
  }
  auto level = effective_permission(p->permission, p->role_name);
  std::lock_guard lock(mutex_);
  permissions_[key] = {level, now};
  return level;
}

namespace {
constexpr std::size_t kMaxCachedBytes = 16 * 1024 * 1024;
}  // namespace

namespace {
bool is_commit_sha(const std::string& ref) {
  return ref.size() == 40 && ref.find_first_not_of("0123456789abcdef") == std::string::npos;
}
}  // namespace

Result<std::string> RepoLookups::head(const github::Repo& repo, const std::string& branch) {
  if (is_commit_sha(branch)) return branch;
  auto head = gh_.branch_head(repo, branch);
  if (head) return *head;
  // Not a branch (or not now): the ref itself, read as it is.
  if (head.error().is_not_found()) return branch;
  return make_error("where " + branch + " is: " + head.error().describe());
}

Result<std::optional<std::string>> RepoLookups::read(const github::Repo& repo,
                                                     const std::string& path,
                                                     const std::string& ref) {
  auto head = this->head(repo, ref);
  if (!head) return head.error();
  if (!is_commit_sha(*head)) {
    auto file = gh_.get_file_contents(repo, path, *head);
    if (!file && file.error().is_not_found()) return std::optional<std::string>{};
    if (!file) return make_error("cannot read " + path + ": " + file.error().describe());
    return std::optional<std::string>(file->content);
  }
  const std::string key = repo.full_name() + "@" + *head + ":" + path;
  {
    std::lock_guard lock(mutex_);
    if (auto it = files_.find(key); it != files_.end()) return it->second;
  }
  if (absent_by_listing(repo, *head, path)) return std::optional<std::string>{};
  auto file = gh_.get_file_contents(repo, path, *head);
  if (!file && !file.error().is_not_found())
    return make_error("cannot read " + path + ": " + file.error().describe());
  std::optional<std::string> content;
  if (file) content = file->content;
  std::lock_guard lock(mutex_);
  const std::size_t size = key.size() + (content ? content->size() : 0);
  if (files_bytes_ + size > kMaxCachedBytes) {
    files_.clear();
    listings_.clear();
    files_bytes_ = 0;
  }
  if (files_.emplace(key, content).second) files_bytes_ += size;
  return content;
}

bool RepoLookups::absent_by_listing(const github::Repo& repo, const std::string& commit,
                                    const std::string& path) {
  constexpr std::string_view kDir = ".github/";
  // GitHub cuts a listing at 1,000 entries: a longer one cannot say what is not there.
  constexpr std::size_t kMaxListed = 1000;
  if (path.compare(0, kDir.size(), kDir) != 0) return false;
  const std::string name = path.substr(kDir.size(), path.find('/', kDir.size()) - kDir.size());
  const std::string key = repo.full_name() + "@" + commit;
  std::optional<std::set<std::string>> names;
  {
    std::lock_guard lock(mutex_);
    if (auto it = listings_.find(key); it != listings_.end())
      return it->second && !it->second->count(name);
  }
  auto listed = gh_.list_directory(repo, ".github", commit);
  if (listed && listed->size() < kMaxListed) {
    names.emplace();
    for (const auto& entry : *listed) names->insert(entry.name);
  } else if (!listed && listed.error().is_not_found()) {
    names.emplace();  // no .github at all
  } else if (!listed && listed.error().kind != github::GitHubError::Kind::decode) {
    return false;  // GitHub could not be asked: the file is, and says what is wrong
  }                // else (cut short, or not a directory): this commit's listing cannot tell
  std::lock_guard lock(mutex_);
  std::size_t size = key.size();
  if (names)
    for (const auto& n : *names) size += n.size();
  files_bytes_ += size;
  listings_.emplace(key, names);
  return names && !names->count(name);
}

Result<LoadedConfig> RepoLookups::repo_config(const github::Repo& repo, const std::string& ref) {
  auto file = read(repo, std::string(kRepoConfigPath), ref);
  if (!file) return file.error();
  if (!*file) return LoadedConfig{defaults_, ""};
  auto parsed = parse_repo_config(**file, defaults_);
  if (!parsed) return LoadedConfig{defaults_, parsed.error().describe()};
  return LoadedConfig{*parsed, ""};
}

std::optional<std::string> RepoLookups::repo_file(const github::Repo& repo, const std::string& path,
                                                  const std::string& ref) {
  auto file = read(repo, path, ref);
  if (!file) return std::nullopt;
  return *file;
}

std::string RepoLookups::plan_template(const github::Repo& repo, const std::string& ref) {
  if (auto text = repo_file(repo, prompts::override_path("plan-template"), ref)) return *text;
  return std::string(prompts::default_prompt("plan-template").value_or(""));
}

}  // namespace bottega
