#include "engine/db/embedded_postgres.h"

#include <pwd.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>
#include <regex>
#include <sstream>

#include "config/base/log.h"
#include "engine/process/run.h"

namespace bottega {
namespace fs = std::filesystem;

namespace {

std::string read_file_tail(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return tail_lines(ss.str());
}

std::string quote_conf(const std::string& value) {
  std::string out = "'";
  for (char c : value) out += (c == '\'') ? std::string("''") : std::string(1, c);
  return out + "'";
}

// The user the server runs as: ourselves, or an unprivileged one when root.
struct RunAs {
  bool drop = false;
  std::string user;
  uid_t uid = 0;
  gid_t gid = 0;
};

Result<RunAs> choose_user(const std::string& preferred) {
  RunAs as;
  if (geteuid() != 0) return as;
  for (const std::string& name : {preferred, std::string("nobody")}) {
    if (const passwd* pw = getpwnam(name.c_str())) {
      as.drop = true;
      as.user = name;
      as.uid = pw->pw_uid;
      as.gid = pw->pw_gid;
      return as;
    }
  }
  return make_error("running as root, and neither user '" + preferred +
                    "' nor 'nobody' exists to run PostgreSQL (initdb refuses root)");
}

class Runner {
 public:
  Runner(RunAs as, fs::path bin) : as_(std::move(as)), bin_(std::move(bin)) {}

  Result<CommandResult> run(const std::string& program, std::vector<std::string> args) const {
    std::string exe = (bin_ / program).string();
    if (!as_.drop) return run_command(exe, args);
    args.insert(args.begin(), {"-u", as_.user, "--", exe});
    return run_command("/usr/sbin/runuser", args);
  }

  Result<void> own(const fs::path& path) const {
    if (as_.drop && ::chown(path.c_str(), as_.uid, as_.gid) != 0)
      return make_error("cannot give " + path.string() + " to user " + as_.user);
    return {};
  }

  const RunAs& as() const { return as_; }

 private:
  RunAs as_;
  fs::path bin_;
};

}  // namespace

std::string find_postgres_bin_dir() {
  if (const char* env = std::getenv("BOTTEGA_POSTGRES_BIN_DIR"); env && *env) return env;
  int best = -1;
  std::string found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
    int version = std::stoi(name);
    if (version > best && fs::exists(entry.path() / "bin" / "postgres")) {
      best = version;
      found = (entry.path() / "bin").string();
    }
  }
  return found;
}

Result<std::unique_ptr<EmbeddedPostgres>> EmbeddedPostgres::start(
    const EmbeddedPostgresOptions& given) {
  auto& log = component_log("postgres");
  EmbeddedPostgresOptions options = given;
  if (options.bin_dir.empty()) options.bin_dir = find_postgres_bin_dir();
  if (options.bin_dir.empty())
    return make_error(
        "embedded PostgreSQL: the server programs were not found; install the postgresql "
        "package, set BOTTEGA_POSTGRES_BIN_DIR, or configure DATABASE_URL");

  std::error_code ec;
  fs::create_directories(options.root, ec);
  if (ec)
    return make_error("embedded PostgreSQL: cannot create " + options.root + ": " + ec.message());
  const fs::path root = fs::canonical(options.root);
  options.root = root.string();
  const fs::path data = root / "data";
  const fs::path run = root / "run";
  const fs::path logfile = root / "postgres.log";
  fs::create_directories(run, ec);
  if (ec)
    return make_error("embedded PostgreSQL: cannot create " + run.string() + ": " + ec.message());
  fs::permissions(run, fs::perms::owner_all, ec);

  // The socket path must fit in sockaddr_un (107 bytes).
  if ((run / ".s.PGSQL.5432").string().size() > 100)
    return make_error("embedded PostgreSQL: the data directory path " + root.string() +
                      " is too long for a unix socket; use a shorter BOTTEGA_DATA_DIR");

  auto as = choose_user(options.unprivileged_user);
  if (!as) return as.error();
  Runner runner(*as, options.bin_dir);
  for (const auto& p : {root, run}) {
    if (auto r = runner.own(p); !r) return r.error();
  }
  if (runner.as().drop) {
    std::ofstream(logfile, std::ios::app).close();
    if (auto r = runner.own(logfile); !r) return r.error();
    auto probe = run_command("/usr/sbin/runuser",
                             {"-u", runner.as().user, "--", "test", "-w", root.string()});
    if (!probe || probe->exit_code != 0)
      return make_error("embedded PostgreSQL: user '" + runner.as().user + "' cannot write " +
                        root.string() +
                        " (a parent directory is closed to it); set "
                        "BOTTEGA_DATA_DIR to a directory it can reach, or run as an "
                        "unprivileged user");
  }

  if (!fs::exists(data / "PG_VERSION")) {
    log.info("initializing a PostgreSQL cluster in {}", data.string());
    auto init = runner.run("initdb", {"-D", data.string(), "-U", "bottega", "--auth=trust", "-E",
                                      "UTF8", "--locale=C.UTF-8", "--no-instructions"});
    if (!init) return init.error();
    if (init->exit_code != 0) {
      fs::remove_all(data, ec);
      return make_error("embedded PostgreSQL: initdb failed (exit " +
                        std::to_string(init->exit_code) + "):\n" + tail_lines(init->output));
    }
    std::ofstream conf(data / "postgresql.conf", std::ios::app);
    conf << "\n# Set by bottega: unix socket only, private to the app's user.\n"
         << "listen_addresses = ''\n"
         << "unix_socket_directories = " << quote_conf(run.string()) << "\n"
         << "unix_socket_permissions = 0700\n"
         << "# Webhook bursts write a lot of WAL: checkpoint less often than the\n"
         << "# default, and do not zero-fill each new 16 MB segment (a write that\n"
         << "# stalls every commit behind it; durability is unchanged).\n"
         << "max_wal_size = '4GB'\n"
         << "checkpoint_timeout = '15min'\n"
         << "wal_init_zero = off\n";
    if (!conf) return make_error("embedded PostgreSQL: cannot write postgresql.conf");
  }

  std::unique_ptr<EmbeddedPostgres> pg(new EmbeddedPostgres(options));
  auto status = runner.run("pg_ctl", {"status", "-D", data.string()});
  if (!status) return status.error();
  if (status->exit_code == 0) {
    log.info("adopting the PostgreSQL server already running on {}", data.string());
    pg->adopted_ = true;
  } else {
    auto started = runner.run(
        "pg_ctl", {"start", "-D", data.string(), "-l", logfile.string(), "-w", "-t", "60", "-s"});
    if (!started) return started.error();
    if (started->exit_code != 0)
      return make_error("embedded PostgreSQL: the server did not start (exit " +
                        std::to_string(started->exit_code) + "): " + tail_lines(started->output) +
                        "\nlast lines of " + logfile.string() + ":\n" + read_file_tail(logfile));
    log.info("PostgreSQL started on unix socket in {}", run.string());
  }
  pg->running_ = true;

  try {
    pqxx::connection admin("host=" + quote_conf(run.string()) + " dbname=postgres user=bottega");
    pqxx::nontransaction tx(admin);
    if (tx.exec("SELECT 1 FROM pg_database WHERE datname = 'bottega'").empty())
      tx.exec("CREATE DATABASE bottega");
  } catch (const std::exception& e) {
    return make_error(std::string("embedded PostgreSQL: cannot create the bottega database: ") +
                      e.what());
  }
  return pg;
}

std::string EmbeddedPostgres::connection_string() const {
  return "host=" + quote_conf((fs::path(options_.root) / "run").string()) +
         " dbname=bottega user=bottega";
}

Result<void> EmbeddedPostgres::stop() {
  if (!running_) return {};
  auto as = choose_user(options_.unprivileged_user);
  if (!as) return as.error();
  Runner runner(*as, options_.bin_dir);
  auto stopped = runner.run("pg_ctl", {"stop", "-D", (fs::path(options_.root) / "data").string(),
                                       "-m", "fast", "-w", "-t", "60", "-s"});
  if (!stopped) return stopped.error();
  if (stopped->exit_code != 0)
    return make_error("embedded PostgreSQL: pg_ctl stop failed (exit " +
                      std::to_string(stopped->exit_code) + "): " + tail_lines(stopped->output));
  running_ = false;
  component_log("postgres").info("PostgreSQL stopped");
  return {};
}

EmbeddedPostgres::~EmbeddedPostgres() {
  if (running_) {
    if (auto r = stop(); !r) component_log("postgres").error("{}", r.error().message);
  }
}

}  // namespace bottega
