// One task as the engine's shell holds it: the workflow's state plus what
// the executor keeps beside it (comment ids, the label applied, the outbox,
// the host holding the worktree), and the names derived from it.
#pragma once

#include <cstdint>
#include <string>

#include "engine/workflow/workflow.h"
#include "github/types.h"

namespace bottega {

struct TaskRow {
  int64_t installation_id = 0;
  std::string base_branch;
  workflow::Task task;
  int64_t plan_comment_id = 0;
  int64_t status_comment_id = 0;
  std::string applied_label;
  // The App's check run on the PR's head (sql/0010_check_run.sql): its id
  // (0: none on check_run_head; -1: look for it), the head, and what it
  // last said.
  int64_t check_run_id = 0;
  std::string check_run_head;
  std::string check_run_said;
  std::string outbox = "[]";
  std::string worktree_host;  // where the worktree is; "" = nowhere yet
};

// "owner/repo#N": the task's name in logs and the prefix of its job keys.
std::string task_key(const std::string& repo, int64_t issue);

github::Repo repo_of(int64_t installation_id, const std::string& full_name);

// The task's worktree directory name: "owner-repo-N".
std::string task_dir(const workflow::Task& t);

}  // namespace bottega
