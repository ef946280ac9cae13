#include "engine/workspace/git_runner.h"

#include <cstdlib>

#include "config/base/log.h"
#include "config/base/redactor.h"
#include "engine/process/run.h"

namespace bottega::workspace_detail {
namespace {

// The credential helper: answers `get` with the token from its environment,
// and only for the host and protocol the token was meant for (a redirect or
// an insteadOf rewrite to another host gets nothing). Stored, erased and
// other requests are ignored.
constexpr const char* kCredentialHelper =
    "!f() { test \"$1\" = get || exit 0; h=; p=; "
    "while read -r l; do case \"$l\" in host=*) h=\"${l#host=}\";; protocol=*) "
    "p=\"${l#protocol=}\";; esac; done; "
    "test \"$p\" = \"$BOTTEGA_GIT_PROTOCOL\" && test \"$h\" = \"$BOTTEGA_GIT_HOST\" || exit 0; "
    "echo username=x-access-token; printf 'password=%s\\n' \"$BOTTEGA_GIT_TOKEN\"; }; f";

spdlog::logger& log() { return component_log("workspace"); }

std::string replace_all(std::string text, const std::string& what, const std::string& with) {
  if (what.empty()) return text;
  for (auto pos = text.find(what); pos != std::string::npos;
       pos = text.find(what, pos + with.size()))
    text.replace(pos, what.size(), with);
  return text;
}

}  // namespace

Result<UrlParts> check_remote(const GitRemote& remote) {
  const auto& url = remote.clone_url;
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos)
    return make_error("clone URL \"" + url + "\" is not an http(s) URL");
  UrlParts parts{url.substr(0, scheme_end), ""};
  if (parts.protocol != "https" && parts.protocol != "http")
    return make_error("clone URL \"" + url + "\" is not an http(s) URL");
  auto host_start = scheme_end + 3;
  auto host_end = url.find('/', host_start);
  parts.host = url.substr(
      host_start, host_end == std::string::npos ? std::string::npos : host_end - host_start);
  // Never echo such a URL back: it holds a credential.
  if (parts.host.find('@') != std::string::npos)
    return make_error(
        "the clone URL carries a credential; give the token apart (GitRemote::token)");
  if (parts.host.empty()) return make_error("clone URL \"" + url + "\" has no host");
  if (remote.token.empty()) return make_error("no installation token given for " + url);
  for (unsigned char c : remote.token)
    if (c < 0x20 || c == 0x7f)
      return make_error("the installation token holds a control character");
  return parts;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  std::size_t start = 0;
  while (start < s.size() && (s[start] == '\n' || s[start] == ' ')) ++start;
  return s.substr(start);
}

std::string first_line(const std::string& text) { return trim(text.substr(0, text.find('\n'))); }

bool contains(const std::string& text, const char* what) {
  return text.find(what) != std::string::npos;
}

Result<GitOutput> GitRunner::run(const Call& call) const {
  if (exe_.empty()) return make_error("git (\"" + options_.git + "\") was not found on PATH");
  GitCommand command;
  command.exe = exe_;
  command.cwd = call.cwd.empty() ? options_.root : call.cwd;
  command.env = base_env();
  for (const auto& e : call.env) command.env.push_back(e);
  // Whatever a config file says (the cache's is ours, but a second line of
  // defence costs nothing), git starts no program of anyone else's: no
  // hooks (a hook would see the token's environment), no fsmonitor, no
  // external diff, no ssh, no helper, no submodule (a nested repository's
  // own config would apply there), and no transport but http(s).
  command.args = {"-c", "core.fsmonitor=false",
                  "-c", "core.hooksPath=/dev/null",
                  "-c", "core.sshCommand=false",
                  "-c", "diff.external=",
                  "-c", "core.askPass=",
                  "-c", "credential.helper=",
                  "-c", "submodule.recurse=false",
                  "-c", "diff.ignoreSubmodules=all",
                  "-c", "status.submoduleSummary=false",
                  "-c", "core.untrackedCache=false",
                  "-c", "protocol.allow=never",
                  "-c", "protocol.https.allow=always",
                  "-c", "protocol.http.allow=always"};
  command.timeout = options_.local_timeout;
  if (call.remote) {
    command.args.insert(
        command.args.end(),
        {"-c", std::string("credential.helper=") + kCredentialHelper, "-c", "http.sslVerify=true"});
    if (!options_.ca_file.empty())
      command.args.insert(command.args.end(), {"-c", "http.sslCAInfo=" + options_.ca_file});
    command.env.push_back("BOTTEGA_GIT_TOKEN=" + call.remote->token);
    command.env.push_back("BOTTEGA_GIT_PROTOCOL=" + call.url->protocol);
    command.env.push_back("BOTTEGA_GIT_HOST=" + call.url->host);
    command.timeout = options_.network_timeout;
  }
  command.args.insert(command.args.end(), call.args.begin(), call.args.end());
  if (log().should_log(spdlog::level::debug)) {
    std::string line;
    for (const auto& a : call.args) line += (line.empty() ? "" : " ") + a;
    log().debug("git {} (in {})", scrub(line, call.remote), command.cwd);
  }
  return workspace_detail::run_git(command);
}

Result<std::string> GitRunner::check(const Call& call, const std::string& what) const {
  auto out = run(call);
  if (!out) return make_error(what + ": " + out.error().message);
  if (out->exit_code != 0 || out->timed_out) return failure(*out, call, what);
  return std::move(out->out);
}

Error GitRunner::failure(const GitOutput& out, const Call& call, const std::string& what) const {
  std::string err = scrub(out.err, call.remote);
  std::string tail = trim(tail_lines(err, 8));
  std::string reason;
  if (out.timed_out) {
    auto limit = call.remote ? options_.network_timeout : options_.local_timeout;
    reason = "timed out after " + std::to_string(limit.count()) + " s" +
             (call.remote ? " (the remote did not answer in time)" : "") + "; git was killed";
  } else if (call.remote &&
             (contains(err, "Authentication failed") || contains(err, "could not read Username") ||
              contains(err, "could not read Password") || contains(err, "returned error: 401") ||
              contains(err, "returned error: 403"))) {
    reason =
        "authentication failed (the installation token was refused: expired, revoked, or without "
        "access to the repository)";
  } else if (call.remote && (contains(err, "not found") || contains(err, "returned error: 404"))) {
    reason = "repository not found (or not visible to the App's installation)";
  } else {
    reason = "git exited with status " + std::to_string(out.exit_code);
  }
  return make_error(what + ": " + reason + (tail.empty() ? "" : ": " + tail));
}

std::string GitRunner::scrub(const std::string& text, const GitRemote* remote) const {
  std::string out = remote ? replace_all(text, remote->token, "[REDACTED]") : text;
  return redact(out);
}

std::vector<std::string> GitRunner::base_env() const {
  std::vector<std::string> env;
  const char* path = std::getenv("PATH");
  env.push_back(std::string("PATH=") + (path && *path ? path : "/usr/local/bin:/usr/bin:/bin"));
  env.push_back("HOME=" + options_.root + "/home");
  env.push_back("LANG=C");
  env.push_back("LC_ALL=C");  // git's messages in English: failures are recognized by them
  env.push_back("GIT_TERMINAL_PROMPT=0");
  env.push_back("GIT_CONFIG_NOSYSTEM=1");
  env.push_back("GIT_CONFIG_GLOBAL=/dev/null");
  // A directory under worktrees/ that is not a worktree must not be taken
  // for a part of some repository above it.
  env.push_back("GIT_CEILING_DIRECTORIES=" + options_.root + "/worktrees");
  for (const char* name : {"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY",
                           "no_proxy", "ALL_PROXY", "all_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR"})
    if (const char* v = std::getenv(name)) env.push_back(std::string(name) + "=" + v);
  return env;
}

}  // namespace bottega::workspace_detail
