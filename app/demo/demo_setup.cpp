#include "app/demo/demo_setup.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string_view>

#include "app/demo/sample.h"
#include "engine/process/spawn.h"

namespace fs = std::filesystem;

namespace bottega::demo {
namespace {

constexpr const char* kStamp = ".bottega-demo";

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

std::string hex_random(int bytes) {
  std::ifstream in("/dev/urandom", std::ios::binary);
  std::string out;
  static const char* digits = "0123456789abcdef";
  for (int i = 0; i < bytes; ++i) {
    unsigned char c = static_cast<unsigned char>(in.get());
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

bool write_file(const fs::path& path, const std::string& content) {
  std::ofstream f(path);
  f << content;
  return f.good();
}

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string key_variable(const std::string& harness) {
  if (harness == "claude") return "ANTHROPIC_API_KEY";
  return "OPENAI_API_KEY";  // codex; opencode with an OpenAI model
}

bool on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::string_view rest = path ? path : "";
  while (!rest.empty()) {
    auto colon = rest.find(':');
    const std::string dir(rest.substr(0, colon));
    if (!dir.empty() && ::access((dir + "/" + program).c_str(), X_OK) == 0) return true;
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  return false;
}

}  // namespace

std::optional<std::string> check_options(DemoOptions& o) {
  if (!o.harness.empty()) {
    if (o.harness != "claude" && o.harness != "codex" && o.harness != "opencode")
      return "--harness takes claude, codex or opencode";
    if (o.model.empty()) return "--harness needs --model (a turn never runs on a default model)";
    if (!std::getenv(key_variable(o.harness).c_str()))
      return "--harness " + o.harness + " needs $" + key_variable(o.harness) + " set";
    if (!on_path(o.harness))
      return "--harness " + o.harness + " needs the `" + o.harness +
             "` CLI on PATH (`bottega doctor` says how to install it)";
  }
  if (o.port < 0 || o.port > 65535) return "--port takes 0 to 65535";
  if (o.bottega.empty()) o.bottega = BOTTEGA_DEMO_BOTTEGA;
  if (o.fake_agent.empty()) o.fake_agent = BOTTEGA_DEMO_FAKE_AGENT;
  return std::nullopt;
}

Result<Prepared> prepare_demo(const DemoOptions& o) {
  std::error_code ec;
  fs::path dir = fs::absolute(o.dir, ec);
  if (fs::exists(dir)) {
    if (!fs::exists(dir / kStamp))
      return make_error(dir.string() +
                        " exists and is not a demo's directory; choose another "
                        "with --dir");
    fs::remove_all(dir, ec);
    if (ec)
      return make_error("cannot remove the last demo's " + dir.string() + ": " + ec.message());
  }
  fs::create_directories(dir / "bin", ec);
  fs::create_directories(dir / "scenarios" / "agent", ec);
  if (ec) return make_error("cannot make " + dir.string() + ": " + ec.message());
  // The sandbox runs agents as we are: every parent must be traversable.
  for (fs::path p = dir; p != p.root_path(); p = p.parent_path())
    fs::permissions(p, fs::perms::others_exec | fs::perms::group_exec, fs::perm_options::add, ec);
  write_file(dir / kStamp, "made by bottega-demo; removed by the next demo\n");

  Prepared p;
  p.dir = dir.string();
  p.port = o.port ? o.port : free_port();
  p.scenarios = (dir / "scenarios").string();
  p.webhook_secret = hex_random(20);
  auto keys = fake_github::generate_rsa_key_pair();
  if (keys.private_pem.empty()) return make_error("cannot make the App's key pair");
  p.key_file = (dir / "app.pem").string();
  p.public_key_pem = keys.public_pem;
  if (!write_file(p.key_file, keys.private_pem)) return make_error("cannot write " + p.key_file);
  fs::permissions(p.key_file, fs::perms::owner_read | fs::perms::owner_write, ec);
  if (o.harness.empty()) {
    for (const char* name : {"claude", "codex", "opencode"})
      fs::create_symlink(o.fake_agent, dir / "bin" / name, ec);
    for (const auto& [name, text] : agent_scenarios(o.fast ? 0 : 900))
      if (!write_file(dir / "scenarios" / name, text))
        return make_error("cannot write the scenario " + name);
  }
  // Also with a real harness: a stand-in model may run them (scenarios/agent/turn.sh).
  for (const auto& [name, text] : agent_scripts())
    if (!write_file(dir / "scenarios" / "agent" / name, text))
      return make_error("cannot write the script " + name);
  return p;
}

fake_github::FakeGitHubOptions fake_options(const DemoOptions&, const Prepared& p) {
  fake_github::FakeGitHubOptions f;
  f.state_dir = p.dir + "/github";
  f.webhook_url = "http://127.0.0.1:" + std::to_string(p.port) + "/webhooks/github";
  f.webhook_secret = p.webhook_secret;
  f.app_id = 4242;
  f.app_slug = "bottega";
  f.app_client_id = kClientId;
  f.app_client_secret = kClientSecret;
  f.app_public_key_pem = p.public_key_pem;
  f.mergeable_delay = std::chrono::milliseconds(100);
  return f;
}

Result<int64_t> seed_github(fake_github::FakeGitHub& github) {
  const int64_t installation = github.add_installation(kOwner);
  auto repo = github.add_repository(installation, kOwner, kRepo, sample_repository());
  if (!repo) return make_error("cannot make the sample repository: " + repo.error().message);
  github.set_permission(kOwner, kRepo, kMaintainer, "admin");
  return installation;
}

Result<void> write_config(const DemoOptions& o, const Prepared& p, const std::string& github_url) {
  const bool scripted = o.harness.empty();
  const std::string harness = scripted ? "claude" : o.harness;
  const std::string model = scripted ? "claude-sonnet-4-5" : o.model;
  std::string y;
  y += "listen: " + quoted("127.0.0.1:" + std::to_string(p.port)) + "\n";
  y += "data_dir: " + quoted(p.dir + "/data") + "\n";
  y += "log:\n  level: \"info\"\n  format: \"text\"\n";
  y +=
      "webhook:\n  secret: " + quoted(p.webhook_secret) + "\n  reconcile_interval_seconds: \"0\"\n";
  y += "app:\n  id: \"4242\"\n  client_id: " + quoted(kClientId) +
       "\n  client_secret: " + quoted(kClientSecret) +
       "\n  private_key_file: " + quoted(p.key_file) + "\n  slug: \"bottega\"\n";
  y += "github:\n  api_url: " + quoted(github_url) + "\n  web_url: " + quoted(github_url) +
       "\n  mutation_spacing_ms: \"0\"\n";
  y += "workers: \"4\"\n";
  y += "agents:\n  sandbox: \"on\"\n  timeout_minutes: \"20\"\n";
  if (scripted) y += "  sandbox_read_paths: " + quoted(p.scenarios) + "\n";
  y += "harnesses:\n  " + harness + ":\n";
  if (scripted) {
    y += "    binary: " + quoted(p.dir + "/bin/claude") + "\n";
    y +=
        "    extra_env: " +
        quoted("FAKE_AGENT_SCENARIO_DIR=" + p.scenarios + ";DEMO_AGENT=" + p.scenarios + "/agent") +
        "\n";
  } else {
    y += "    api_key: " + quoted("env:" + key_variable(harness)) + "\n";
  }
  y += "tasks:\n  trigger_label: \"bottega\"\n  max_iterations: \"3\"\n  max_cost_usd: \"5\"\n";
  y += "roles:\n";
  for (const char* role : {"plan", "implement", "review", "fix"})
    y += std::string("  ") + role + ":\n    harness: " + quoted(harness) +
         "\n    model: " + quoted(model) + "\n";
  if (!write_file(p.dir + "/bottega.yml", y)) return make_error("cannot write bottega.yml");
  return {};
}

Result<pid_t> start_server(const DemoOptions& o, const Prepared& p) {
  const std::string log = p.dir + "/serve.log";
  int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return make_error("cannot open " + log);
  SpawnOptions s;
  s.exe = o.bottega;
  s.args = {"serve", "--config", p.dir + "/bottega.yml"};
  for (char** e = environ; *e; ++e) s.env.emplace_back(*e);
  s.stdout_fd = fd;
  s.stderr_fd = fd;
  s.new_session = true;  // Ctrl-C reaches the demo, which stops the server in order
  auto pid = spawn_process(s);
  ::close(fd);
  if (!pid) return make_error("cannot start " + o.bottega + ": " + pid.error().message);
  return *pid;
}

}  // namespace bottega::demo
