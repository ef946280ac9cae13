// QA evidence: the files an agent saved under $BOTTEGA_RUN_DIR/evidence/
// (screenshots, recordings, HTTP transcripts), kept with its run in the
// database (run_evidence) so they outlive the run directory and any host,
// and listed for the pull request's body (spec/workflow.md, "QA evidence").
// The run directory is the agent's: only regular files directly in the
// evidence directory are read, never through a link, within the caps.
// Thread-safety: keep() may run on any thread (its own connection).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "config/base/result.h"

namespace bottega {

class Database;

inline constexpr std::size_t kMaxEvidenceFiles = 20;
inline constexpr std::size_t kMaxEvidenceFileBytes = 5 * 1024 * 1024;
inline constexpr std::size_t kMaxEvidenceRunBytes = 20 * 1024 * 1024;

struct KeptEvidence {
  std::vector<std::string> names;    // stored, in name order
  std::vector<std::string> skipped;  // "name (why)": too large, not a file, a bad name, ...
};

// Stores the evidence files of `run_dir` for run `run_id`. A name is kept
// when it is 1 to 100 bytes of [A-Za-z0-9._-] not starting with '.';
// files beyond the caps are skipped (named in `skipped`). No evidence
// directory: nothing kept, no error.
[[nodiscard]] Result<KeptEvidence> keep_evidence(Database& db, int64_t run_id,
                                                 const std::string& run_dir);

// The line the pull request lists for a kept file: a link to the task
// page's copy when the server's public URL is known, else the name and run.
std::string evidence_line(const std::string& public_url, int64_t task_id, int64_t run_id,
                          const std::string& name);

}  // namespace bottega
