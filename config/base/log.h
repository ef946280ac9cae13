// Process-wide logging setup (spdlog). Every line is scrubbed by the one
// redactor (config/base/redactor.h) before it is written.
// Thread-safety: setup_logging() is called once at start, before threads;
// component_log() and logging are safe from any thread.
#pragma once

#include <spdlog/logger.h>

#include <string>
#include <string_view>

#include "config/base/redactor.h"  // register_secret(), redact(): callers of this header use them

namespace bottega {

enum class LogFormat { text, json };

// Installs the default logger: readable text when stderr is a terminal and
// format is text, JSON lines otherwise. level: trace|debug|info|warn|error.
void setup_logging(std::string_view level, LogFormat format);

// The logger for one component ("http", "github", "queue", ...): same
// sink and level as the default logger, its name on every line.
spdlog::logger& component_log(const std::string& component);

}  // namespace bottega
