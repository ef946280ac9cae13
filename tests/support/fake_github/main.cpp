// fake-github: the fake GitHub as a program, for end-to-end tests and the
// offline demo.
//
//   fake-github --port N --state-dir DIR [--webhook-url URL] [--webhook-secret S]
//               [--host 127.0.0.1] [--tls-cert F --tls-key F] [--webhook-ca F]
//               [--app-id N] [--client-id ID] [--client-secret S] [--app-public-key PEM_FILE]
//
// --app-public-key takes the App's public key, or its private key (the
// public half is used), so a demo can pass the app's own key file.
//               [--repo OWNER/NAME ...]
//
// Prints "fake-github listening on <url>" on stdout once it accepts
// connections; each --repo creates an installation for its owner (once) and
// the repository. Tests script it further through POST /_fake/... (see
// spec/github.md). Stops on SIGINT or SIGTERM.
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "config/base/log.h"
#include "tests/support/fake_github/fake_github.h"

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

int usage(const std::string& problem) {
  std::cerr
      << "fake-github: " << problem << "\n"
      << "usage: fake-github --port N --state-dir DIR [--webhook-url URL] [--webhook-secret S]\n"
         "                   [--host H] [--tls-cert F --tls-key F] [--webhook-ca F] [--app-id N]\n"
         "                   [--client-id ID] [--client-secret S] [--app-public-key F]\n"
         "                   [--repo OWNER/NAME]...\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  bottega::setup_logging("info", bottega::LogFormat::text);
  bottega::fake_github::FakeGitHubOptions options;
  std::vector<std::string> repos;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (i + 1 >= argc) return usage("missing value for " + flag);
    std::string value = argv[++i];
    if (flag == "--port")
      options.port = static_cast<uint16_t>(std::atoi(value.c_str()));
    else if (flag == "--host")
      options.host = value;
    else if (flag == "--state-dir")
      options.state_dir = value;
    else if (flag == "--webhook-url")
      options.webhook_url = value;
    else if (flag == "--webhook-secret")
      options.webhook_secret = value;
    else if (flag == "--webhook-ca")
      options.webhook_ca_file = value;
    else if (flag == "--tls-cert")
      options.tls_cert_file = value;
    else if (flag == "--tls-key")
      options.tls_key_file = value;
    else if (flag == "--app-id")
      options.app_id = std::atoll(value.c_str());
    else if (flag == "--client-id")
      options.app_client_id = value;
    else if (flag == "--client-secret")
      options.app_client_secret = value;
    else if (flag == "--app-public-key") {
      options.app_public_key_pem = read_file(value);
      if (options.app_public_key_pem.empty()) return usage("cannot read " + value);
    } else if (flag == "--repo")
      repos.push_back(value);
    else
      return usage("unknown flag " + flag);
  }
  if (options.state_dir.empty()) return usage("--state-dir is required");
  if (options.tls_cert_file.empty() != options.tls_key_file.empty())
    return usage("--tls-cert and --tls-key go together");

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // threads started below inherit the mask

  bottega::fake_github::FakeGitHub fake(options);
  auto started = fake.start();
  if (!started) {
    std::cerr << "fake-github: " << started.error().message << "\n";
    return 1;
  }
  std::map<std::string, int64_t> installations;
  for (const auto& full : repos) {
    auto slash = full.find('/');
    if (slash == std::string::npos) return usage("--repo wants OWNER/NAME, not " + full);
    std::string owner = full.substr(0, slash);
    if (!installations.count(owner)) installations[owner] = fake.add_installation(owner);
    auto made = fake.add_repository(installations[owner], owner, full.substr(slash + 1));
    if (!made) {
      std::cerr << "fake-github: " << made.error().message << "\n";
      return 1;
    }
    std::cout << "fake-github repository " << full << " installation " << installations[owner]
              << "\n";
  }
  std::cout << "fake-github listening on " << fake.base_url() << std::endl;
  int sig = 0;
  sigwait(&signals, &sig);
  fake.stop();
  return 0;
}
