// Process-wide logging setup (spdlog) and secret redaction.
// Thread-safety: setup_logging() is called once at start, before threads;
// redact() and Redactor::add() are safe from any thread.
#pragma once

#include <spdlog/logger.h>

#include <string>
#include <string_view>

namespace bottega {

enum class LogFormat { text, json };

// Installs the default logger: readable text when stderr is a terminal and
// format is text, JSON lines otherwise. level: trace|debug|info|warn|error.
void setup_logging(std::string_view level, LogFormat format);

// The logger for one component ("http", "github", "queue", ...): same
// sink and level as the default logger, its name on every line.
spdlog::logger& component_log(const std::string& component);

// Registers a secret that must never appear in a log line; every line is
// scrubbed of all registered secrets before it is written. Empty or very
// short strings are ignored (they would mangle ordinary words).
void register_secret(std::string secret);

// Replaces every registered secret in text with "[REDACTED]".
std::string redact(std::string_view text);

}  // namespace bottega
