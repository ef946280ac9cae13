#include "config/base/log.h"

#include <spdlog/details/null_mutex.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <mutex>

namespace bottega {
namespace {

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

// Writes each record to stderr as text or one JSON object per line, after
// scrubbing registered secrets from the message.
class RedactingSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit RedactingSink(LogFormat format) : format_(format) {
    set_pattern_(isatty(STDERR_FILENO) ? "%Y-%m-%d %H:%M:%S.%e %^%-5l%$ [%n] %v"
                                       : "%Y-%m-%dT%H:%M:%S.%e %l [%n] %v");
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::string text = redact(std::string_view(msg.payload.data(), msg.payload.size()));
    std::string line;
    if (format_ == LogFormat::json) {
      auto ts = std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch());
      line = "{\"ts_ms\":" + std::to_string(ts.count()) + ",\"level\":";
      auto level = spdlog::level::to_string_view(msg.level);
      append_json_string(line, std::string_view(level.data(), level.size()));
      line += ",\"logger\":";
      append_json_string(line, std::string_view(msg.logger_name.data(), msg.logger_name.size()));
      line += ",\"msg\":";
      append_json_string(line, text);
      line += "}\n";
    } else {
      spdlog::details::log_msg copy = msg;
      copy.payload = text;
      spdlog::memory_buf_t buf;
      formatter_->format(copy, buf);
      line.assign(buf.data(), buf.size());
    }
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
  void flush_() override { std::fflush(stderr); }

 private:
  LogFormat format_;
};

}  // namespace

void setup_logging(std::string_view level, LogFormat format) {
  auto sink = std::make_shared<RedactingSink>(format);
  auto logger = std::make_shared<spdlog::logger>("bottega", sink);
  logger->set_level(spdlog::level::from_str(std::string(level)));
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

spdlog::logger& component_log(const std::string& component) {
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  auto existing = spdlog::get(component);
  auto base = spdlog::default_logger();
  if (existing) {
    // Callers may keep the reference: after setup_logging() ran again, the
    // same logger takes the new sink and level instead of being replaced.
    if (existing->sinks() != base->sinks()) {
      existing->sinks() = base->sinks();
      existing->set_level(base->level());
      existing->flush_on(spdlog::level::warn);
    }
    return *existing;
  }
  auto made = base->clone(component);
  spdlog::register_logger(made);
  return *made;
}

}  // namespace bottega
