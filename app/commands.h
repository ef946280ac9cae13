// One function per command; each returns the process exit status.
#pragma once

#include "app/cli.h"

namespace bottega {

int run_serve(const ParsedCommand& command);
int run_migrate(const ParsedCommand& command);
int run_doctor(const ParsedCommand& command);
int run_worker(const ParsedCommand& command);
int run_signal(const ParsedCommand& command);
int run_agent(const ParsedCommand& command);
int run_sandbox_exec(const ParsedCommand& command);

// Blocks until SIGINT or SIGTERM arrives; returns the signal number.
// install_stop_signals() must have been called first (before threads).
void install_stop_signals();
int wait_for_stop_signal();

}  // namespace bottega
