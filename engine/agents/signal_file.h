// Signal files: how an agent tells the workflow where its turn landed
// (`bottega signal ready --reason …`), without the app parsing its prose.
// The command writes <run_dir>/signal.json atomically (temp file + rename);
// the workflow reads it after the turn. The last signal of a turn wins.
// Thread-safety: plain functions; concurrent writers race (last rename wins).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "config/base/result.h"

namespace bottega::agents {

inline constexpr std::string_view kSignalFileName = "signal.json";
inline constexpr std::size_t kMaxSignalReasonBytes = 4096;

struct Signal {
  std::string kind;    // plan-ready, ready, needs-work, blocked, questions
  std::string reason;  // may be empty
};

// nullopt when `kind` is one of the four signals; otherwise why not.
std::optional<std::string> check_signal(std::string_view kind, std::string_view reason);

// Writes the signal into `run_dir` (which must exist). Fails on a bad
// signal or an I/O error, with the path.
[[nodiscard]] Result<void> write_signal(const std::string& run_dir, const Signal& signal);

// The signal left in `run_dir`: nullopt when there is none; fails when the
// file exists but is not a valid signal.
[[nodiscard]] Result<std::optional<Signal>> read_signal(const std::string& run_dir);

}  // namespace bottega::agents
