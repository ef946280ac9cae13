#include "engine/db/embedded_postgres.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>

#include "tests/support/tls_fixture.h"

namespace bottega {
namespace {

namespace fs = std::filesystem;

class EmbeddedPostgresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::make_temp_dir("bottega-pg-");
    ::chmod(dir_.c_str(), 0755);  // the unprivileged server user must reach it
    options_.root = dir_ + "/postgres";
  }
  void TearDown() override {
    if (pg_) (void)pg_->stop();
    fs::remove_all(dir_);
  }

  int query_one(const std::string& conninfo) {
    pqxx::connection conn(conninfo);
    return pqxx::nontransaction(conn).exec1("SELECT 41 + 1")[0].as<int>();
  }

  std::string dir_;
  EmbeddedPostgresOptions options_;
  std::unique_ptr<EmbeddedPostgres> pg_;
};

TEST_F(EmbeddedPostgresTest, FirstStartInitializesAndServesOnAPrivateSocket) {
  auto pg = EmbeddedPostgres::start(options_);
  ASSERT_TRUE(pg.ok()) << pg.error().message;
  pg_ = std::move(*pg);
  EXPECT_TRUE(fs::exists(options_.root + "/data/PG_VERSION"));
  EXPECT_FALSE(pg_->adopted());
  EXPECT_EQ(query_one(pg_->connection_string()), 42);
  struct stat st {};
  ASSERT_EQ(::stat((options_.root + "/run").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  std::ifstream conf(options_.root + "/data/postgresql.conf");
  std::string text((std::istreambuf_iterator<char>(conf)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("listen_addresses = ''"), std::string::npos);  // no TCP
}

TEST_F(EmbeddedPostgresTest, StopThenRestartKeepsTheData) {
  auto pg = EmbeddedPostgres::start(options_);
  ASSERT_TRUE(pg.ok()) << pg.error().message;
  {
    pqxx::connection conn((*pg)->connection_string());
    pqxx::nontransaction tx(conn);
    tx.exec("CREATE TABLE kept (v int)");
    tx.exec("INSERT INTO kept VALUES (7)");
  }
  auto stopped = (*pg)->stop();
  ASSERT_TRUE(stopped.ok()) << stopped.error().message;
  EXPECT_FALSE(fs::exists(options_.root + "/data/postmaster.pid"));
  EXPECT_THROW(query_one((*pg)->connection_string()), std::exception);

  auto again = EmbeddedPostgres::start(options_);
  ASSERT_TRUE(again.ok()) << again.error().message;
  pg_ = std::move(*again);
  pqxx::connection conn(pg_->connection_string());
  EXPECT_EQ(pqxx::nontransaction(conn).exec1("SELECT v FROM kept")[0].as<int>(), 7);
}

TEST_F(EmbeddedPostgresTest, StalePidFileAfterACrashIsHandled) {
  {
    auto pg = EmbeddedPostgres::start(options_);
    ASSERT_TRUE(pg.ok()) << pg.error().message;
    ASSERT_TRUE((*pg)->stop().ok());
  }
  // What a crash leaves behind: a postmaster.pid naming a process that is gone.
  const std::string pidfile = options_.root + "/data/postmaster.pid";
  std::ofstream(pidfile) << "999999\n" << options_.root << "/data\n1700000000\n5432\n";
  auto pg = EmbeddedPostgres::start(options_);
  ASSERT_TRUE(pg.ok()) << pg.error().message;
  pg_ = std::move(*pg);
  EXPECT_FALSE(pg_->adopted());
  EXPECT_EQ(query_one(pg_->connection_string()), 42);
}

TEST_F(EmbeddedPostgresTest, ARunningServerLeftByACrashedAppIsAdopted) {
  // A child process starts the server and dies without stopping it, as an
  // app killed with SIGKILL would.
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto pg = EmbeddedPostgres::start(options_);
    ::_exit(pg.ok() ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ASSERT_TRUE(fs::exists(options_.root + "/data/postmaster.pid"));

  auto pg = EmbeddedPostgres::start(options_);
  ASSERT_TRUE(pg.ok()) << pg.error().message;
  pg_ = std::move(*pg);
  EXPECT_TRUE(pg_->adopted());
  EXPECT_EQ(query_one(pg_->connection_string()), 42);
  ASSERT_TRUE(pg_->stop().ok());
  EXPECT_FALSE(fs::exists(options_.root + "/data/postmaster.pid"));
}

TEST_F(EmbeddedPostgresTest, MissingServerProgramsAreReportedClearly) {
  options_.bin_dir = dir_ + "/no-such-bin";
  auto pg = EmbeddedPostgres::start(options_);
  ASSERT_FALSE(pg.ok());
  EXPECT_NE(pg.error().message.find("initdb"), std::string::npos) << pg.error().message;
}

}  // namespace
}  // namespace bottega
