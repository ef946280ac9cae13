// fake_agent: a stand-in for the claude, codex and opencode CLIs in tests.
//
// It accepts whatever command line the real CLI takes, picks its stream
// format from its own name (claude, codex, opencode; a symlink does it),
// `--fake-format NAME` or $FAKE_AGENT_FORMAT, and follows the scenario file named by
// $FAKE_AGENT_SCENARIO, one step per line:
//
//   text MESSAGE            an assistant message
//   thinking TEXT           a reasoning / thinking block
//   tool COMMAND            runs `sh -c COMMAND` in the working directory and
//                           prints the tool call and its result
//   write PATH CONTENT      writes a file (relative to the working directory)
//   signal ARGS...          runs `bottega signal ARGS...` (bottega from PATH)
//   usage IN CACHED OUT [REASONING] [COST]   the usage the result reports
//                           (codex: cumulative over the thread, as codex does)
//   result ok|error [MESSAGE]   the format's end of turn (opencode: a step
//                           finish; error: its error event)
//   emit LINE               prints LINE verbatim (any JSON, or not)
//   garbage TEXT            prints a line that is not JSON
//   repeat N LINE           prints LINE N times
//   stderr TEXT             prints a line on stderr
//   sleep MS                sleeps
//   hang                    sleeps forever
//   ignore-sigterm          ignores SIGTERM from now on
//   spawn-child PIDFILE     starts a child that sleeps forever (same process
//                           group) and writes its pid to PIDFILE
//   env NAME                prints "env NAME=value" (or "env NAME unset") on stderr
//   expect-prompt TEXT      exits with 4 (an error on stderr) unless the prompt
//                           (the last argument) contains TEXT
//   crash                   dies of SIGSEGV
//   exit CODE               exits with CODE
//
// `text`, `thinking`, `write` and `stderr` expand $NAME and ${NAME} from the
// environment (unset: empty; $$ is a literal $); `tool` and `signal` go
// through `sh -c`, which expands them.
//
// One scenario per turn: when $FAKE_AGENT_SCENARIO is not set but
// $FAKE_AGENT_SCENARIO_DIR is, the scenario is the first file that exists of
//
//   <dir>/<BOTTEGA_ISSUE>/turn-<BOTTEGA_TURN>
//   <dir>/<BOTTEGA_ISSUE>/<BOTTEGA_ROLE>-<BOTTEGA_ITERATION>
//   <dir>/<BOTTEGA_ISSUE>/<BOTTEGA_ROLE>
//   <dir>/<BOTTEGA_ROLE>-<BOTTEGA_ITERATION>
//   <dir>/<BOTTEGA_ROLE>
//
// (a candidate whose variables are unset is skipped), from the variables the
// workflow gives every agent turn: the role (plan, implement, review), the
// issue number, the task's turn number (a retried turn gets a new one) and
// the implement/review iteration (0 for planning). None exists: an error on
// stderr and exit status 3. The turn then opens with the assistant message
// "fake_agent issue=N role=R turn=T iteration=I scenario=PATH", so a test
// can tell from the stored transcript which issue a run was for.
//
// The session id is the resumed one (--resume ID, `exec resume ID`,
// --session ID) or a fresh "fake-session-<pid>". $FAKE_AGENT_ARGS_LOG, when
// set, gets the command line, one argument per line.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "engine/agents/event.h"

namespace {

using bottega::agents::append_json_escaped;

std::string q(const std::string& s) {
  std::string out = "\"";
  append_json_escaped(s, out);
  out += '"';
  return out;
}

struct State {
  std::string format;
  std::string session;
  std::string model = "fake-model";
  std::string cwd;
  long long in = 10, cached = 0, out = 5, reasoning = 0;
  double cost = 0.001;
  int next_id = 1;
};

void print(const std::string& line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

long long now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string oc_prefix(const State& s, const std::string& type) {
  return "{\"type\":\"" + type + "\",\"timestamp\":" + std::to_string(now_ms()) +
         ",\"sessionID\":" + q(s.session) + ",";
}

void start(const State& s) {
  if (s.format == "claude") {
    print("{\"type\":\"system\",\"subtype\":\"init\",\"cwd\":" + q(s.cwd) +
          ",\"session_id\":" + q(s.session) +
          ",\"tools\":[\"Bash\",\"Edit\",\"Read\"],\"mcp_servers\":[],\"model\":" + q(s.model) +
          ",\"permissionMode\":\"bypassPermissions\",\"apiKeySource\":\"ANTHROPIC_API_KEY\"}");
  } else if (s.format == "codex") {
    print("{\"type\":\"thread.started\",\"thread_id\":" + q(s.session) + "}");
    print("{\"type\":\"turn.started\"}");
  } else {
    print(oc_prefix(s, "step_start") + "\"part\":{\"id\":\"prt_start\",\"sessionID\":" +
          q(s.session) + ",\"messageID\":\"msg_1\",\"type\":\"step-start\"}}");
  }
}

void text(State& s, const std::string& t, bool thinking) {
  std::string id = std::to_string(s.next_id++);
  if (s.format == "claude") {
    std::string block =
        thinking ? "{\"type\":\"thinking\",\"thinking\":" + q(t) + ",\"signature\":\"sig\"}"
                 : "{\"type\":\"text\",\"text\":" + q(t) + "}";
    print("{\"type\":\"assistant\",\"message\":{\"id\":\"msg_" + id +
          "\",\"type\":\"message\",\"role\":\"assistant\",\"model\":" + q(s.model) +
          ",\"content\":[" + block +
          "],\"stop_reason\":null,\"usage\":{\"input_tokens\":3,\"output_tokens\":1}},\"parent_"
          "tool_use_id\":null,"
          "\"session_id\":" +
          q(s.session) + "}");
  } else if (s.format == "codex") {
    print("{\"type\":\"item.completed\",\"item\":{\"id\":\"item_" + id + "\",\"type\":\"" +
          (thinking ? "reasoning" : "agent_message") + "\",\"text\":" + q(t) + "}}");
  } else {
    print(oc_prefix(s, thinking ? "reasoning" : "text") + "\"part\":{\"id\":\"prt_" + id +
          "\",\"sessionID\":" + q(s.session) + ",\"messageID\":\"msg_1\",\"type\":\"" +
          (thinking ? "reasoning" : "text") + "\",\"text\":" + q(t) +
          ",\"time\":{\"start\":1,\"end\":2}}}");
  }
}

std::pair<int, std::string> shell(const std::string& command) {
  std::string out;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) return {127, "cannot run sh"};
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = ::pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128, out};
}

void tool(State& s, const std::string& command) {
  std::string id = std::to_string(s.next_id++);
  if (s.format == "claude") {
    print("{\"type\":\"assistant\",\"message\":{\"id\":\"msg_" + id +
          "\",\"type\":\"message\",\"role\":\"assistant\",\"model\":" + q(s.model) +
          ",\"content\":[{\"type\":\"tool_use\",\"id\":\"toolu_" + id +
          "\",\"name\":\"Bash\",\"input\":{\"command\":" + q(command) +
          ",\"description\":\"run it\"}}],\"usage\":{\"input_tokens\":3,\"output_tokens\":1}},"
          "\"parent_tool_use_id\":null,\"session_id\":" +
          q(s.session) + "}");
    auto [code, out] = shell(command);
    print(
        "{\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":[{\"tool_use_id\":\"toolu_" +
        id + "\",\"type\":\"tool_result\",\"content\":" + q(out) +
        ",\"is_error\":" + (code ? "true" : "false") +
        "}]},\"parent_tool_use_id\":null,\"session_id\":" + q(s.session) + "}");
  } else if (s.format == "codex") {
    std::string cmd = "bash -lc " + command;
    print("{\"type\":\"item.started\",\"item\":{\"id\":\"item_" + id +
          "\",\"type\":\"command_execution\","
          "\"command\":" +
          q(cmd) + ",\"aggregated_output\":\"\",\"exit_code\":null,\"status\":\"in_progress\"}}");
    auto [code, out] = shell(command);
    print("{\"type\":\"item.completed\",\"item\":{\"id\":\"item_" + id +
          "\",\"type\":\"command_execution\","
          "\"command\":" +
          q(cmd) + ",\"aggregated_output\":" + q(out) + ",\"exit_code\":" + std::to_string(code) +
          ",\"status\":\"" + (code ? "failed" : "completed") + "\"}}");
  } else {
    auto [code, out] = shell(command);
    print(oc_prefix(s, "tool_use") + "\"part\":{\"id\":\"prt_" + id + "\",\"sessionID\":" +
          q(s.session) + ",\"messageID\":\"msg_1\",\"type\":\"tool\",\"callID\":\"call_" + id +
          "\",\"tool\":\"bash\",\"state\":{\"status\":\"completed\",\"input\":{\"command\":" +
          q(command) + ",\"description\":\"run it\"},\"output\":" + q(out) + ",\"title\":" +
          q(command) + ",\"metadata\":{\"output\":" + q(out) + ",\"exit\":" + std::to_string(code) +
          ",\"description\":\"run it\"},\"time\":{\"start\":1,\"end\":2}}}}");
  }
}

[[noreturn]] void result(State& s, bool ok, const std::string& message) {
  if (s.format == "claude") {
    print(std::string("{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":") +
          (ok ? "false" : "true") +
          ",\"duration_ms\":12,\"duration_api_ms\":10,\"num_turns\":2,\"result\":" + q(message) +
          ",\"session_id\":" + q(s.session) + ",\"total_cost_usd\":" + std::to_string(s.cost) +
          ",\"usage\":{\"input_tokens\":" + std::to_string(s.in) +
          ",\"cache_creation_input_tokens\":0,"
          "\"cache_read_input_tokens\":" +
          std::to_string(s.cached) + ",\"output_tokens\":" + std::to_string(s.out) +
          "},\"permission_denials\":[],\"uuid\":\"u1\"}");
    std::exit(ok ? 0 : 1);
  } else if (s.format == "codex") {
    if (ok)
      print("{\"type\":\"turn.completed\",\"usage\":{\"input_tokens\":" +
            std::to_string(s.in + s.cached) + ",\"cached_input_tokens\":" +
            std::to_string(s.cached) + ",\"output_tokens\":" + std::to_string(s.out) +
            ",\"reasoning_output_tokens\":" + std::to_string(s.reasoning) + "}}");
    else
      print("{\"type\":\"turn.failed\",\"error\":{\"message\":" + q(message) + "}}");
    std::exit(ok ? 0 : 1);
  } else {
    if (ok) {
      print(oc_prefix(s, "step_finish") +
            "\"part\":{\"id\":\"prt_finish\",\"sessionID\":" + q(s.session) +
            ",\"messageID\":\"msg_1\",\"type\":\"step-finish\",\"reason\":\"stop\",\"cost\":" +
            std::to_string(s.cost) + ",\"tokens\":{\"input\":" + std::to_string(s.in) +
            ",\"output\":" + std::to_string(s.out) +
            ",\"reasoning\":" + std::to_string(s.reasoning) +
            ",\"cache\":{\"read\":" + std::to_string(s.cached) + ",\"write\":0}}}}");
    } else {
      print(oc_prefix(s, "error") + "\"error\":{\"name\":\"APIError\",\"data\":{\"message\":" +
            q(message) + ",\"statusCode\":401,\"isRetryable\":false}}}");
    }
    std::exit(ok ? 0 : 1);
  }
}

std::string env_or_empty(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  return v ? v : "";
}

bool is_name_char(char c, bool first) {
  return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (!first && c >= '0' && c <= '9');
}

// $NAME and ${NAME} from the environment; $$ is a literal $.
std::string expand(const std::string& in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '$' || i + 1 == in.size()) {
      out += in[i];
      continue;
    }
    if (in[i + 1] == '$') {
      out += '$';
      ++i;
    } else if (in[i + 1] == '{') {
      auto close = in.find('}', i + 2);
      if (close == std::string::npos) {
        out += in.substr(i);
        break;
      }
      out += env_or_empty(in.substr(i + 2, close - i - 2));
      i = close;
    } else if (is_name_char(in[i + 1], true)) {
      std::size_t j = i + 1;
      while (j < in.size() && is_name_char(in[j], false)) ++j;
      out += env_or_empty(in.substr(i + 1, j - i - 1));
      i = j - 1;
    } else {
      out += '$';
    }
  }
  return out;
}

// The scenario file for this turn under `dir` (see the header), or "" with
// the candidates tried in `tried`.
std::string pick_scenario(const std::string& dir, std::vector<std::string>& tried) {
  const std::string issue = env_or_empty("BOTTEGA_ISSUE"), role = env_or_empty("BOTTEGA_ROLE"),
                    turn = env_or_empty("BOTTEGA_TURN"),
                    iteration = env_or_empty("BOTTEGA_ITERATION");
  std::vector<std::string> candidates;
  if (!issue.empty() && !turn.empty()) candidates.push_back(issue + "/turn-" + turn);
  if (!issue.empty() && !role.empty() && !iteration.empty())
    candidates.push_back(issue + "/" + role + "-" + iteration);
  if (!issue.empty() && !role.empty()) candidates.push_back(issue + "/" + role);
  if (!role.empty() && !iteration.empty()) candidates.push_back(role + "-" + iteration);
  if (!role.empty()) candidates.push_back(role);
  for (const auto& c : candidates) {
    std::string path = dir + "/" + c;
    tried.push_back(path);
    std::error_code ec;
    if (std::filesystem::is_regular_file(path, ec)) return path;
  }
  return "";
}

std::string rest(std::istringstream& in) {
  std::string r;
  std::getline(in, r);
  if (!r.empty() && r[0] == ' ') r.erase(0, 1);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  State s;
  std::string self = argv[0];
  self = self.substr(self.rfind('/') + 1);
  const char* fmt = std::getenv("FAKE_AGENT_FORMAT");
  s.format = fmt ? fmt : self;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::string(argv[i]) == "--fake-format") s.format = argv[i + 1];
  if (s.format != "claude" && s.format != "codex" && s.format != "opencode") {
    std::cerr << "fake_agent: unknown format '" << s.format
              << "' (name me claude, codex or opencode)\n";
    return 2;
  }
  std::vector<std::string> args(argv + 1, argv + argc);
  if (const char* log = std::getenv("FAKE_AGENT_ARGS_LOG")) {
    std::ofstream f(log, std::ios::app);
    for (const auto& a : args) f << a << "\n";
    f << "--end--\n";
  }
  s.session = "fake-session-" + std::to_string(::getpid());
  for (std::size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == "--resume" || args[i] == "--session" ||
        (args[i] == "resume" && i > 0 && args[i - 1] == "exec"))
      s.session = args[i + 1];
    if (args[i] == "--model" || args[i] == "-m") s.model = args[i + 1];
    if (args[i] == "--dir" || args[i] == "-C") {
      if (::chdir(args[i + 1].c_str()) != 0) {
        std::cerr << "fake_agent: cannot enter " << args[i + 1] << "\n";
        return 1;
      }
    }
  }
  char cwd[4096];
  s.cwd = ::getcwd(cwd, sizeof cwd) ? cwd : "";

  std::string scenario_path = env_or_empty("FAKE_AGENT_SCENARIO");
  const std::string scenario_dir = env_or_empty("FAKE_AGENT_SCENARIO_DIR");
  const bool per_turn = scenario_path.empty() && !scenario_dir.empty();
  if (per_turn) {
    std::vector<std::string> tried;
    scenario_path = pick_scenario(scenario_dir, tried);
    if (scenario_path.empty()) {
      std::cerr << "fake_agent: no scenario for issue '" << env_or_empty("BOTTEGA_ISSUE")
                << "' role '" << env_or_empty("BOTTEGA_ROLE") << "' turn '"
                << env_or_empty("BOTTEGA_TURN") << "' iteration '"
                << env_or_empty("BOTTEGA_ITERATION") << "'; tried:";
      for (const auto& t : tried) std::cerr << " " << t;
      std::cerr << (tried.empty() ? " nothing (BOTTEGA_ROLE is not set)\n" : "\n");
      return 3;
    }
  }
  if (scenario_path.empty()) {
    std::cerr << "fake_agent: neither FAKE_AGENT_SCENARIO nor FAKE_AGENT_SCENARIO_DIR is set\n";
    return 2;
  }
  std::ifstream scenario(scenario_path);
  if (!scenario) {
    std::cerr << "fake_agent: cannot read " << scenario_path << "\n";
    return 2;
  }
  bool started = false;
  if (per_turn) {
    start(s);
    started = true;
    text(s,
         "fake_agent issue=" + env_or_empty("BOTTEGA_ISSUE") +
             " role=" + env_or_empty("BOTTEGA_ROLE") + " turn=" + env_or_empty("BOTTEGA_TURN") +
             " iteration=" + env_or_empty("BOTTEGA_ITERATION") + " scenario=" + scenario_path,
         false);
  }
  std::string line;
  while (std::getline(scenario, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream in(line);
    std::string step;
    in >> step;
    auto ensure_started = [&] {
      if (!started) start(s);
      started = true;
    };
    if (step == "text" || step == "thinking") {
      ensure_started();
      text(s, expand(rest(in)), step == "thinking");
    } else if (step == "tool") {
      ensure_started();
      tool(s, rest(in));
    } else if (step == "write") {
      std::string path;
      in >> path;
      path = expand(path);
      std::ofstream f(path);
      f << expand(rest(in)) << "\n";
      if (!f) std::cerr << "fake_agent: cannot write " << path << "\n";
    } else if (step == "signal") {
      auto [code, out] = shell("bottega signal " + rest(in));
      std::cerr << out;
      if (code != 0) std::cerr << "fake_agent: bottega signal exited " << code << "\n";
    } else if (step == "usage") {
      in >> s.in >> s.cached >> s.out;
      if (!(in >> s.reasoning)) s.reasoning = 0;
      in.clear();
      in >> s.cost;
    } else if (step == "result") {
      ensure_started();
      std::string kind;
      in >> kind;
      result(s, kind == "ok", rest(in));
    } else if (step == "emit") {
      print(rest(in));
    } else if (step == "garbage") {
      print("<<not json>> " + rest(in));
    } else if (step == "repeat") {
      long long n = 0;
      in >> n;
      std::string l = rest(in) + "\n";
      for (long long k = 0; k < n; ++k) std::fwrite(l.data(), 1, l.size(), stdout);
      std::fflush(stdout);
    } else if (step == "stderr") {
      std::cerr << expand(rest(in)) << std::endl;
    } else if (step == "sleep") {
      long long ms = 0;
      in >> ms;
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    } else if (step == "hang") {
      for (;;) ::pause();
    } else if (step == "ignore-sigterm") {
      ::signal(SIGTERM, SIG_IGN);
    } else if (step == "spawn-child") {
      std::string pidfile;
      in >> pidfile;
      pid_t child = ::fork();
      if (child == 0) {
        ::signal(SIGTERM, SIG_IGN);  // only the group SIGKILL may end it
        for (;;) ::pause();
      }
      std::ofstream(pidfile) << child << "\n";
    } else if (step == "env") {
      std::string name;
      in >> name;
      const char* v = std::getenv(name.c_str());
      std::cerr << "env " << name << (v ? "=" + std::string(v) : std::string(" unset"))
                << std::endl;
    } else if (step == "expect-prompt") {
      // The prompt is the CLI's last argument (after "--" for every harness).
      const std::string wanted = rest(in);
      const std::string prompt = args.empty() ? "" : args.back();
      if (prompt.find(wanted) == std::string::npos) {
        std::cerr << "fake_agent: the prompt does not contain '" << wanted << "'" << std::endl;
        std::fflush(stdout);
        std::exit(4);
      }
    } else if (step == "crash") {
      std::fflush(stdout);
      ::signal(SIGSEGV, SIG_DFL);
      ::raise(SIGSEGV);
    } else if (step == "exit") {
      int code = 0;
      in >> code;
      std::fflush(stdout);
      std::exit(code);
    } else {
      std::cerr << "fake_agent: unknown step '" << step << "'\n";
      return 2;
    }
  }
  return 0;
}
