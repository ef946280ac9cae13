#include "engine/agents/signal_file.h"

#include <simdjson.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "config/base/safe_file.h"
#include "engine/agents/event.h"

namespace bottega::agents {

namespace {
// A signal with the longest reason, every byte escaped (\u00XX), fits.
constexpr std::size_t kMaxSignalFileBytes = 64 * 1024;
}  // namespace

std::optional<std::string> check_signal(std::string_view kind, std::string_view reason) {
  if (kind != "plan-ready" && kind != "ready" && kind != "needs-work" && kind != "blocked" &&
      kind != "questions")
    return "unknown signal '" + std::string(kind) +
           "' (expected plan-ready, ready, needs-work, blocked or questions)";
  if (reason.size() > kMaxSignalReasonBytes)
    return "the reason is longer than " + std::to_string(kMaxSignalReasonBytes) + " bytes";
  return std::nullopt;
}

Result<void> write_signal(const std::string& run_dir, const Signal& signal) {
  if (auto e = check_signal(signal.kind, signal.reason)) return make_error(*e);
  std::string json = "{\"signal\":\"" + signal.kind + "\",\"reason\":\"";
  append_json_escaped(signal.reason, json);
  json += "\"}\n";
  const std::string path = run_dir + "/" + std::string(kSignalFileName);
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << json;
    f.flush();
    if (!f)
      return make_error("cannot write " + tmp +
                        " (does the run directory exist and is it writable?)");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return make_error("cannot rename " + tmp + " to " + path + ": " + ec.message());
  return {};
}

Result<std::optional<Signal>> read_signal(const std::string& run_dir) {
  const std::string path = run_dir + "/" + std::string(kSignalFileName);
  // The agent can write the run directory: the file may be a symlink (to
  // /etc/shadow), a FIFO (a read that never ends) or huge. Only a small
  // regular file is read; anything else there is an error, absence is not.
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::symlink_status(path, ec)))
    return std::optional<Signal>{};
  auto read = read_regular_file(path, kMaxSignalFileBytes);
  if (!read) return read.error();
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  std::string text = std::move(*read);
  if (parser.parse(text).get(obj)) return make_error(path + " is not a JSON object");
  std::string_view kind, reason;
  if (obj["signal"].get(kind)) return make_error(path + " has no \"signal\" string");
  if (obj["reason"].get(reason)) reason = {};
  if (auto e = check_signal(kind, reason)) return make_error(path + ": " + *e);
  return std::optional<Signal>{Signal{std::string(kind), std::string(reason)}};
}

}  // namespace bottega::agents
