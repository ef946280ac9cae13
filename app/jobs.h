// The job handlers the workers run, by job kind, and the options that the
// server configuration gives the worker pool.
#pragma once

#include "config/server_config.h"
#include "engine/queue/worker_pool.h"

namespace bottega {

WorkerPoolOptions worker_options(const ServerConfig& config);

// Registers a handler for every job kind the app enqueues.
void register_job_handlers(WorkerPool& pool);

}  // namespace bottega
