#include "engine/worker/evidence_store.h"

#include <algorithm>
#include <filesystem>
#include <pqxx/pqxx>

#include "config/base/safe_file.h"
#include "engine/db/database.h"

namespace bottega {
namespace {

namespace fs = std::filesystem;

bool good_name(const std::string& name) {
  if (name.empty() || name.size() > 100 || name.front() == '.') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

}  // namespace

Result<KeptEvidence> keep_evidence(Database& db, int64_t run_id, const std::string& run_dir) {
  KeptEvidence kept;
  const std::string dir = run_dir + "/evidence";
  std::error_code ec;
  // The agent could have made the directory a link to anything the server can read.
  auto status = fs::symlink_status(dir, ec);
  if (ec || !fs::is_directory(status)) return kept;
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (names.size() >= 1000) break;  // the agent's directory: read a bounded part of it
    names.push_back(entry.path().filename());
  }
  std::sort(names.begin(), names.end());
  std::vector<std::pair<std::string, std::string>> files;
  std::size_t total = 0;
  for (const auto& name : names) {
    if (!good_name(name)) {
      kept.skipped.push_back(name.substr(0, 100) + " (a name of letters, digits, '.', '_', '-')");
      continue;
    }
    if (files.size() >= kMaxEvidenceFiles) {
      kept.skipped.push_back(name + " (more than " + std::to_string(kMaxEvidenceFiles) + " files)");
      continue;
    }
    auto content = read_regular_file(dir + "/" + name, kMaxEvidenceFileBytes);
    if (!content) {
      kept.skipped.push_back(name + " (not a regular file of at most " +
                             std::to_string(kMaxEvidenceFileBytes / (1024 * 1024)) + " MB)");
      continue;
    }
    if (total + content->size() > kMaxEvidenceRunBytes) {
      kept.skipped.push_back(name + " (over " +
                             std::to_string(kMaxEvidenceRunBytes / (1024 * 1024)) +
                             " MB for the run)");
      continue;
    }
    total += content->size();
    files.emplace_back(name, std::move(*content));
  }
  if (files.empty()) return kept;
  try {
    auto conn = db.acquire();
    if (!conn) return conn.error();
    pqxx::work tx(**conn);
    for (const auto& [name, content] : files) {
      pqxx::binarystring bytes(content.data(), content.size());
      tx.exec_params(
          "INSERT INTO run_evidence (run_id, name, content) VALUES ($1, $2, $3)"
          " ON CONFLICT (run_id, name) DO UPDATE SET content = EXCLUDED.content",
          run_id, name, bytes);
      kept.names.push_back(name);
    }
    tx.commit();
  } catch (const std::exception& e) {
    return make_error("keeping the evidence of run " + std::to_string(run_id) + ": " + e.what());
  }
  return kept;
}

std::string evidence_line(const std::string& public_url, int64_t task_id, int64_t run_id,
                          const std::string& name) {
  if (public_url.empty())
    return "`" + name + "` (kept with agent run " + std::to_string(run_id) + ")";
  return "[" + name + "](" + public_url + "/tasks/" + std::to_string(task_id) + "/evidence/" +
         std::to_string(run_id) + "/" + name + ")";
}

}  // namespace bottega
