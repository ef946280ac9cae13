#include <iostream>

#include "app/commands.h"
#include "app/runtime.h"
#include "config/base/log.h"

namespace bottega {

int run_migrate(const ParsedCommand& command) {
  auto config = load_config(command);
  if (!config) {
    std::cerr << "bottega migrate: " << config.error().message << "\n";
    return kExitConfig;
  }
  auto db = open_database(*config);
  if (!db) {
    std::cerr << "bottega migrate: " << db.error().message << "\n";
    return kExitFailure;
  }
  auto migrated = migrate_database(db->connection_string);
  int status = kExitFailure;
  if (!migrated) {
    std::cerr << "bottega migrate: " << migrated.error().message << "\n";
  } else {
    status = 0;
  }
  // Leave a server another process started (e.g. a running `serve`) alone.
  if (db->embedded && db->embedded->adopted()) db->embedded->leave_running();
  if (db->embedded && !db->embedded->adopted()) {
    if (auto stopped = db->embedded->stop(); !stopped) {
      std::cerr << "bottega migrate: " << stopped.error().message << "\n";
      status = kExitFailure;
    }
  }
  return status;
}

}  // namespace bottega
