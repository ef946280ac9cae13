#include "engine/agents/signal_file.h"

#include <simdjson.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/agents/event.h"

namespace bottega::agents {

std::optional<std::string> check_signal(std::string_view kind, std::string_view reason) {
  if (kind != "plan-ready" && kind != "ready" && kind != "needs-work" && kind != "blocked")
    return "unknown signal '" + std::string(kind) +
           "' (expected plan-ready, ready, needs-work or blocked)";
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
  std::ifstream f(path, std::ios::binary);
  if (!f) return std::optional<Signal>{};
  std::stringstream ss;
  ss << f.rdbuf();
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  std::string text = ss.str();
  if (parser.parse(text).get(obj)) return make_error(path + " is not a JSON object");
  std::string_view kind, reason;
  if (obj["signal"].get(kind)) return make_error(path + " has no \"signal\" string");
  if (obj["reason"].get(reason)) reason = {};
  if (auto e = check_signal(kind, reason)) return make_error(path + ": " + *e);
  return std::optional<Signal>{Signal{std::string(kind), std::string(reason)}};
}

}  // namespace bottega::agents
