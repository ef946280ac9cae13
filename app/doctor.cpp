// `bottega doctor`: checks every dependency and credential the server needs
// and prints one line per check, `ok` or `FAIL` with what is wrong and how
// to fix it. Exits 1 when a check failed. Never prints a secret: GitHub's
// and the database's errors go through their redactors, keys are only
// named by their configuration key.
#include <simdjson.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <pqxx/pqxx>

#include "app/app_services.h"
#include "app/commands.h"
#include "app/jobs.h"
#include "app/runtime.h"
#include "config/base/log.h"
#include "config/base/redactor.h"
#include "engine/db/app_registration.h"
#include "engine/db/database.h"
#include "engine/db/migrations.h"
#include "engine/process/run.h"

namespace bottega {
namespace {

// Oldest git the workspace is known to work with (worktrees, --force-with-lease,
// the config options it passes).
constexpr int kMinGitMajor = 2, kMinGitMinor = 30;

// A multi-line message (a configuration's list of bad keys, a server's
// error) on the check's one line.
std::string one_line(const std::string& text) {
  std::string out;
  bool blank = false;
  for (char c : text) {
    const bool space = c == '\n' || c == '\r' || c == ' ' || c == '\t';
    if (space && blank) continue;
    out += space ? ' ' : c;
    blank = space;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

class Report {
 public:
  void ok(const std::string& check, const std::string& detail) {
    std::cout << "ok    " << check << ": " << redact(detail) << "\n";
  }
  void fail(const std::string& check, const std::string& problem, const std::string& fix) {
    ++failures_;
    std::cout << "FAIL  " << check << ": " << one_line(redact(problem)) << "; fix: " << fix << "\n";
  }
  int failures() const { return failures_; }

 private:
  int failures_ = 0;
};

std::string first_line(const std::string& text) {
  auto end = text.find('\n');
  std::string line = text.substr(0, end);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

std::string path_env() {
  const char* p = std::getenv("PATH");
  return p ? p : "/usr/local/bin:/usr/bin:/bin";
}

// The program's absolute path, or "" when it is not found or not executable.
std::string executable(const std::string& name) {
  std::string found = find_program(name, path_env());
  return !found.empty() && ::access(found.c_str(), X_OK) == 0 ? found : std::string();
}

// Returns the open database (to read a registered App), or nothing.
std::optional<DatabaseHandle> check_database(const ServerConfig& config, Report& report) {
  auto db = open_database(config);
  if (!db) {
    report.fail("database", db.error().message,
                config.database_url.empty()
                    ? "see <data_dir>/postgres/postgres.log, or set database.url (DATABASE_URL)"
                    : "check database.url (DATABASE_URL) and that the server accepts connections");
    return std::nullopt;
  }
  try {
    pqxx::connection conn(db->connection_string);
    const std::string version =
        pqxx::nontransaction(conn).exec1("SHOW server_version")[0].as<std::string>();
    auto pending = pending_migrations(conn, builtin_migrations());
    if (!pending) {
      report.fail("database", redact_database_error(pending.error().message, db->connection_string),
                  "run `bottega migrate`");
    } else if (*pending > 0) {
      report.fail("database",
                  "PostgreSQL " + version + " reachable, but " + std::to_string(*pending) +
                      " migration(s) not applied",
                  "run `bottega migrate` (serve applies them at start)");
    } else {
      report.ok("database", "PostgreSQL " + version + (db->embedded ? " (embedded)" : "") +
                                ", schema at version " +
                                std::to_string(builtin_migrations().back().version));
    }
  } catch (const std::exception& e) {
    report.fail("database", redact_database_error(e.what(), db->connection_string),
                "check database.url (DATABASE_URL) and that the server accepts connections");
  }
  return std::move(*db);
}

// The configuration with the App the setup page registered, when the
// configuration names none (the order of spec/configuration.md).
ServerConfig with_stored_app(const ServerConfig& config, const std::string& connection_string,
                             Report& report) {
  if (!config.app_id.empty() || !config.app_client_id.empty() || connection_string.empty())
    return config;
  auto box = SecretBox::load(config.secret_key, config.data_dir);
  if (!box) {
    report.fail("App credentials", box.error().message,
                "set secret_key to the key the App was stored with");
    return config;
  }
  try {
    pqxx::connection conn(connection_string);
    auto stored = load_app_registration(conn, *box);
    if (!stored) {
      report.fail("App credentials", stored.error().message,
                  "set secret_key (BOTTEGA_SECRET_KEY) to the key of the host that registered it");
      return config;
    }
    if (!*stored) return config;
    const StoredApp& app = **stored;
    register_secret(app.client_secret, "the App's client secret");
    register_pem(app.private_key_pem, "the App private key");
    register_secret(app.webhook_secret, "the webhook secret");
    report.ok("registered App",
              app.slug + " (id " + std::to_string(app.app_id) + "), stored sealed in the database");
    return with_registered_app(config, app.app_id, app.slug, app.client_id, app.private_key_pem,
                               app.webhook_secret);
  } catch (const std::exception& e) {
    return config;  // the database check says why
  }
}

void check_github(const ServerConfig& config, Report& report) {
  if (config.webhook_secret.empty())
    report.fail("webhook secret", "not set: every webhook delivery is refused with 503",
                "set webhook.secret (BOTTEGA_WEBHOOK_SECRET) to the App's webhook secret");
  else
    report.ok("webhook secret", "set");

  auto client = make_github_client(config);
  if (!client) {
    report.fail("App credentials", client.error().message,
                "give app.private_key_file the .pem GitHub generated for the App");
    return;
  }
  if (!*client) {
    report.fail("App credentials", "none configured or registered",
                "open the setup link `bottega serve` logs, or set app.id and "
                "app.private_key_file (spec/configuration.md)");
    return;
  }
  auto& github = **client;
  auto app = github.request("GET", "/app", {}, 0);
  if (!app) {
    report.fail("App credentials", "GitHub refuses the App's JWT: " + app.error().describe(),
                "check app.id (or app.client_id) and that app.private_key_file is the App's "
                "current key");
    return;
  }
  simdjson::dom::parser parser;
  std::string slug;
  if (auto doc = parser.parse(app->body); !doc.error()) {
    std::string_view s;
    if (!doc["slug"].get(s)) slug = std::string(s);
  }
  report.ok("App credentials",
            "GitHub accepts the JWT of App " + (slug.empty() ? config.app_id : slug));

  auto installations = github.request("GET", "/app/installations", {}, 0, "", "per_page=100");
  if (!installations) {
    report.fail("installations", installations.error().describe(), "see GitHub's message above");
    return;
  }
  std::vector<std::pair<int64_t, std::string>> found;  // id, account
  if (auto doc = parser.parse(installations->body); !doc.error()) {
    simdjson::dom::array list;
    if (!doc.get(list))
      for (auto item : list) {
        int64_t id = 0;
        std::string_view login;
        if (item["id"].get(id)) continue;
        if (item["account"]["login"].get(login)) login = "?";
        found.emplace_back(id, std::string(login));
      }
  }
  if (found.empty()) {
    report.fail("installations", "the App is installed nowhere, so no repository can use it",
                "install it from " + config.github_web_url + "/apps/" +
                    (slug.empty() ? "<slug>" : slug) + "/installations/new");
    return;
  }
  for (const auto& [id, account] : found) {
    auto repos = github.request("GET", "/installation/repositories", {}, id, "", "per_page=100");
    if (!repos) {
      report.fail("installation " + account, repos.error().describe(),
                  "check the installation's permissions on GitHub");
      continue;
    }
    std::string names;
    int count = 0;
    if (auto doc = parser.parse(repos->body); !doc.error()) {
      simdjson::dom::array list;
      if (!doc["repositories"].get(list))
        for (auto item : list) {
          std::string_view full;
          if (item["full_name"].get(full)) continue;
          names += (count++ ? ", " : "") + std::string(full);
        }
    }
    report.ok("installation " + account,
              std::to_string(count) + " repositories" + (names.empty() ? "" : ": " + names));
  }
}

void check_public_url(const ServerConfig& config, Report& report) {
  if (config.public_url.empty())
    report.fail("public URL",
                "not set: GitHub needs it to send webhooks and to bring people "
                "back from registering the App",
                "set public_url (BOTTEGA_PUBLIC_URL) to the https:// address GitHub reaches this "
                "server at (a TLS reverse proxy, or tls.cert and tls.key)");
  else
    report.ok("public URL",
              config.public_url + " (webhooks at " + config.public_url + "/webhooks/github)");
}

void check_harnesses(const ServerConfig& config, Report& report) {
  if (config.roles.empty()) {
    report.ok("roles",
              "none configured for the server: each repository's .github/bottega.yml "
              "must name its harnesses and models");
    return;
  }
  for (const auto& [role, r] : config.roles) {
    const std::string check = "role " + role + " (" + r.harness + ")";
    const auto& h = config.harnesses.at(r.harness);
    const std::string binary = executable(h.binary);
    if (binary.empty()) {
      report.fail(check, "the CLI '" + h.binary + "' is not found",
                  "install it, or set harnesses." + r.harness + ".binary to its path");
      continue;
    }
    auto version = run_command("/usr/bin/timeout", {"10", binary, "--version"});
    if (!version || version->exit_code != 0) {
      report.fail(
          check, binary + " --version failed" + (version ? ": " + first_line(version->output) : ""),
          "reinstall the CLI");
      continue;
    }
    if (auto bad = check_harness_model(r.harness, r.model)) {
      report.fail(check, *bad, "set roles." + role + ".model");
      continue;
    }
    if (h.api_key.empty()) {
      report.fail(check, "no API key for " + r.harness,
                  "set harnesses." + r.harness + ".api_key (or env:NAME)");
      continue;
    }
    report.ok(check,
              binary + " " + first_line(version->output) + ", model " + r.model + ", API key set");
  }
}

void check_sandbox(const ServerConfig& config, Report& report) {
  if (!config.agent_sandbox) {
    report.ok("sandbox", "off (agents.sandbox): agents run unconfined");
    return;
  }
  const std::string bwrap = executable("bwrap");
  if (bwrap.empty()) {
    report.fail("sandbox", "bubblewrap (bwrap) is not installed",
                "install the bubblewrap package, or set agents.sandbox off where the container "
                "is the boundary");
    return;
  }
  // The namespaces a turn's sandbox needs, on this kernel and for this user.
  auto r = run_command(bwrap, {"--unshare-all", "--die-with-parent", "--ro-bind", "/", "/",
                               "--proc", "/proc", "--dev", "/dev", "true"});
  if (!r || r->exit_code != 0)
    report.fail("sandbox",
                "bubblewrap cannot create a sandbox here" +
                    (r ? ": " + first_line(r->output) : std::string()),
                "allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1; "
                "in a container, --security-opt seccomp=unconfined or user namespaces), or set "
                "agents.sandbox off");
  else
    report.ok("sandbox", bwrap + " creates user, PID, network and mount namespaces");
}

void check_git(Report& report) {
  const std::string git = executable("git");
  if (git.empty()) {
    report.fail("git", "git is not installed", "install the git package");
    return;
  }
  auto r = run_command(git, {"--version"});
  int major = 0, minor = 0;
  const std::string line = r ? first_line(r->output) : "";
  if (!r || std::sscanf(line.c_str(), "git version %d.%d", &major, &minor) != 2) {
    report.fail("git", "cannot tell its version (" + line + ")", "reinstall git");
    return;
  }
  if (major < kMinGitMajor || (major == kMinGitMajor && minor < kMinGitMinor))
    report.fail("git", line + " is too old", "install git 2.30 or newer");
  else
    report.ok("git", line);
}

void check_disk(const ServerConfig& config, long long min_free_mb, Report& report) {
  // The data dir, or its nearest existing parent before the first start.
  std::filesystem::path dir = std::filesystem::absolute(config.data_dir);
  while (!std::filesystem::exists(dir) && dir.has_parent_path() && dir != dir.parent_path())
    dir = dir.parent_path();
  struct statvfs fs {};
  if (::statvfs(dir.c_str(), &fs) != 0) {
    report.fail("disk", "cannot read the free space of " + dir.string(), "check data_dir");
    return;
  }
  const long long free_mb =
      static_cast<long long>(fs.f_bavail) * static_cast<long long>(fs.f_frsize) / (1024 * 1024);
  const std::string where = std::to_string(free_mb) + " MB free in " + dir.string();
  if (free_mb < min_free_mb)
    report.fail("disk", where + ", under " + std::to_string(min_free_mb) + " MB",
                "free space, or set data_dir on a larger disk (clones and worktrees live there)");
  else
    report.ok("disk", where);
}

}  // namespace

int run_doctor(const ParsedCommand& command) {
  long long min_free_mb = 1024;
  if (command.has("min-free-mb")) {
    char* end = nullptr;
    min_free_mb = std::strtoll(command.get("min-free-mb").c_str(), &end, 10);
    if (*end != '\0' || min_free_mb < 0) {
      std::cerr << "bottega doctor: --min-free-mb takes a number of megabytes\n";
      return kExitUsage;
    }
  }
  Report report;
  auto config = load_config(command);
  if (!config) {
    report.fail("configuration", config.error().message,
                "correct the keys it names (spec/configuration.md lists them)");
    return kExitFailure;
  }
  report.ok("configuration",
            config->config_file.empty() ? "environment and defaults" : config->config_file);
  auto db = check_database(*config, report);
  check_github(with_stored_app(*config, db ? db->connection_string : "", report), report);
  // An embedded server this command started is stopped (as `migrate` does).
  if (db && db->embedded) {
    if (db->embedded->adopted())
      db->embedded->leave_running();  // a serve's
    else
      (void)db->embedded->stop();
  }
  check_public_url(*config, report);
  check_harnesses(*config, report);
  check_sandbox(*config, report);
  check_git(report);
  check_disk(*config, min_free_mb, report);
  std::cout << (report.failures() == 0 ? "all checks passed\n"
                                       : std::to_string(report.failures()) + " check(s) failed\n");
  return report.failures() == 0 ? 0 : kExitFailure;
}

}  // namespace bottega
