// Every kind of job the app queues, in one list: who enqueues it and who
// handles it (app/jobs.cpp registers a handler for each).
#pragma once

#include <array>
#include <string_view>

namespace bottega {

inline constexpr const char* kGitHubEventJob = "github_event";  // intake → TaskEngine::handle_event
inline constexpr const char* kTaskEffectsJob = "task_effects";  // engine → handle_effects
inline constexpr const char* kAgentTurnJob = "agent_turn";      // engine → handle_turn
inline constexpr const char* kOpenPullJob = "open_pr";          // engine → handle_open_pull
inline constexpr const char* kCleanupJob = "cleanup_task";      // engine → handle_cleanup
inline constexpr const char* kUpdatePullJob = "update_pull";    // engine → handle_update_pull
inline constexpr const char* kReconcileJob = "reconcile_deliveries";  // schedule → the reconciler

inline constexpr std::array<std::string_view, 7> kJobKinds = {
    kGitHubEventJob, kTaskEffectsJob, kAgentTurnJob, kOpenPullJob,
    kCleanupJob,     kReconcileJob,   kUpdatePullJob};

}  // namespace bottega
