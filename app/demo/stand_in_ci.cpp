#include "app/demo/stand_in_ci.h"

#include <sys/wait.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <regex>
#include <sstream>
#include <vector>

namespace bottega::demo {
namespace {

namespace fs = std::filesystem;

std::string shell_quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct Ran {
  int status = -1;
  std::string out;
};

// `sh -c command` with stdout and stderr captured.
Ran run(const std::string& command) {
  Ran r;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) r.out.append(buf, n);
  const int status = ::pclose(p);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string utc_stamp() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S.0000000Z ", &tm);
  return buf;
}

}  // namespace

StandInCi::StandInCi(fake_github::FakeGitHub& github, std::string owner, std::string repo,
                     std::string work_dir)
    : github_(github),
      owner_(std::move(owner)),
      repo_(std::move(repo)),
      work_dir_(std::move(work_dir)) {}

std::string StandInCi::conclusion(const std::string& sha) const {
  std::string found;
  for (const auto& c : github_.check_runs(owner_, repo_, sha))
    if (c.name == kCheckName && c.app_slug == "github-actions") found = c.conclusion;
  return found;
}

void StandInCi::poll(int pull) {
  if (pull == 0) return;
  auto p = github_.pull(owner_, repo_, pull);
  if (!p || p->state != "open" || p->head_sha.empty() || checked_.count(p->head_sha)) return;
  const std::string sha = p->head_sha;
  checked_.insert(sha);
  const std::string dir = work_dir_ + "/" + sha;
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir, ec);
  // The commit's tree as a checkout would have it (real git; no clone needed).
  auto exported = run("git --git-dir=" + shell_quoted(github_.git_dir(owner_, repo_)) +
                      " archive " + shell_quoted(sha) + " | tar -x -C " + shell_quoted(dir));
  Ran ran = exported.status == 0 ? run("cd " + shell_quoted(dir) + " && sh ci.sh")
                                 : Ran{1, "cannot check out " + sha + ": " + exported.out};
  fs::remove_all(dir, ec);

  // The job's log as Actions writes it: a timestamp on each line.
  std::string log;
  const std::string stamp = utc_stamp();
  log += stamp + "##[group]Run sh ci.sh\n" + stamp + "sh ci.sh\n" + stamp + "##[endgroup]\n";
  std::vector<fake_github::Annotation> annotations;
  static const std::regex located(R"(^([A-Za-z0-9_./-]+):([0-9]+): (.+)$)");
  std::istringstream lines(ran.out);
  for (std::string line; std::getline(lines, line);) {
    log += stamp + line + "\n";
    std::smatch m;
    if (std::regex_match(line, m, located)) {
      fake_github::Annotation a;
      a.path = m[1];
      a.start_line = a.end_line = std::stoi(m[2]);
      a.level = "failure";
      a.message = m[3];
      annotations.push_back(a);
    }
  }
  if (ran.status != 0)
    log +=
        stamp + "##[error]Process completed with exit code " + std::to_string(ran.status) + ".\n";
  github_.add_check_run(owner_, repo_, sha, kCheckName, ran.status == 0 ? "success" : "failure",
                        log, annotations);
}

}  // namespace bottega::demo
