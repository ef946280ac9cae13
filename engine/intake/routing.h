// Which jobs a delivery implies: a pure function of the decoded event.
// Thread-safety: pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/queue/job_kinds.h"
#include "engine/queue/queue.h"
#include "github/webhook/events.h"

namespace bottega {

// The task a delivery concerns, if any: "owner/repo#N" for an issue or pull
// request (they share one number space per repository), "owner/repo@branch"
// for checks and pushes tied to a branch. Jobs with one key never run at
// the same time.
std::optional<std::string> task_key_for(const WebhookEvent& event);

// Whether a handler acts on the event: the one place that decides which
// deliveries become work (spec/intake.md, "Routing"). Every delivery is
// stored; only these are queued.
bool acted_on(const WebhookEvent& event);

// The jobs to enqueue for an accepted delivery (not yet carrying its id):
// none for an event no handler acts on.
std::vector<JobSpec> jobs_for(const WebhookEvent& event);

// A comment on an issue that holds no command may answer the questions of
// the task (spec/workflow.md, "Clarifying questions"): its job,
// queued only when that task awaits answers (the intake checks the task in
// the same statement). Empty for every other event, and for events
// jobs_for() routes.
std::vector<JobSpec> answer_jobs_for(const WebhookEvent& event);

// The payload of a delivery's jobs: {"delivery_id":…,"event":…,"action":…}.
// Each value reads back exactly: quotes, backslashes and control characters
// are escaped (the latter as \u00XX), never dropped.
std::string job_payload(std::string_view delivery_id, std::string_view event,
                        std::string_view action);

}  // namespace bottega
