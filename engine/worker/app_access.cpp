#include "engine/worker/app_access.h"

#include <boost/algorithm/string/predicate.hpp>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "config/base/log.h"
#include "engine/worker/github_port.h"
#include "engine/worker/task_applier.h"
#include "engine/worker/task_store.h"

namespace bottega {

Result<void> AppAccess::handle(const WebhookEvent& ev) {
  const int64_t installation = ev.installation_id;
  if (installation == 0) return {};
  std::optional<std::vector<std::string>> repos;  // none: every repository of the installation
  std::string why;
  if (std::holds_alternative<InstallationEvent>(ev.detail)) {
    if (ev.action == "unsuspend" || ev.action == "created") {
      component_log("workflow")
          .info("installation {}: {}; its repositories are served", installation, ev.action);
      return set_suspended(installation, false);
    }
    if (ev.action == "suspend") {
      if (auto marked = set_suspended(installation, true); !marked) return marked;
      why = "The App's installation was suspended.";
    } else if (ev.action == "deleted") {
      why = "The App was uninstalled.";
    } else {
      return {};
    }
    gh_.forget_installation_token(installation);
  } else if (auto* e = std::get_if<InstallationRepositoriesEvent>(&ev.detail)) {
    if (ev.action != "removed" || e->removed.empty()) return {};
    repos = e->removed;
    why = "The repository was removed from the App's installation.";
  }
  auto found = task_store::on_own_connection(
      db_, "looking for the installation's tasks",
      [&](pqxx::nontransaction& tx) { return task_store::live_tasks(tx, installation); });
  if (!found) return found.error();
  auto& live = *found;
  std::erase_if(live, [&](const auto& task) {
    auto named = [&](const std::string& n) { return boost::algorithm::iequals(n, task.second); };
    return repos && std::none_of(repos->begin(), repos->end(), named);
  });
  component_log("workflow")
      .info("installation {}: {} ({} task(s) ended)", installation, ev.name + "." + ev.action,
            live.size());
  for (const auto& [task_id, repo] : live) {
    Incoming in;
    in.installation_id = installation;
    in.repo = repo;
    in.event = workflow::AccessLost{why};
    if (auto applied = applier_.apply(in, "", task_id); !applied) return applied.error();
  }
  return {};
}

Result<bool> AppAccess::suspended(int64_t installation) {
  return task_store::on_own_connection(
      db_, "reading the installation's suspension",
      [&](pqxx::nontransaction& tx) { return task_store::is_suspended(tx, installation); });
}

Result<void> AppAccess::set_suspended(int64_t installation, bool suspended) {
  return task_store::on_own_connection(
      db_, "recording the installation's suspension",
      [&](pqxx::nontransaction& tx) { task_store::set_suspended(tx, installation, suspended); });
}

}  // namespace bottega
