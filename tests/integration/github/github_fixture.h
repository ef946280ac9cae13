// Shared set-up for the GitHub client tests: a fake GitHub over HTTPS (CA
// made at test time), an App key pair, one installation with a repository,
// and a client whose clock and sleeper are fake (every wait is recorded and
// skipped, advancing the fake time).
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <vector>

#include "github/client.h"
#include "tests/support/fake_github/fake_github.h"
#include "tests/support/tls_fixture.h"

namespace bottega::testing {

// Time that moves only when someone sleeps. Thread-safe.
class FakeTime final : public Clock, public github::Sleeper {
 public:
  time_point now() const override {
    std::lock_guard lock(mutex_);
    return system_start_ + offset_;
  }
  std::chrono::steady_clock::time_point steady_now() const override {
    std::lock_guard lock(mutex_);
    return steady_start_ + offset_;
  }
  void sleep_for(std::chrono::milliseconds d) override {
    std::lock_guard lock(mutex_);
    offset_ += d;
    waits_.push_back(d);
  }
  // Lines the fake time up with the real time again (fake GitHub's token
  // expiry and rate-limit resets are real time), forgetting the offset.
  void restart() {
    std::lock_guard lock(mutex_);
    system_start_ = std::chrono::system_clock::now();
    steady_start_ = std::chrono::steady_clock::now();
    offset_ = std::chrono::milliseconds(0);
  }
  void advance(std::chrono::milliseconds d) {
    std::lock_guard lock(mutex_);
    offset_ += d;
  }
  std::vector<std::chrono::milliseconds> waits() const {
    std::lock_guard lock(mutex_);
    return waits_;
  }
  std::chrono::milliseconds total_wait() const {
    std::lock_guard lock(mutex_);
    std::chrono::milliseconds sum{0};
    for (auto w : waits_) sum += w;
    return sum;
  }
  void clear_waits() {
    std::lock_guard lock(mutex_);
    waits_.clear();
  }

 private:
  mutable std::mutex mutex_;
  time_point system_start_ = std::chrono::system_clock::now();
  std::chrono::steady_clock::time_point steady_start_ = std::chrono::steady_clock::now();
  std::chrono::milliseconds offset_{0};
  std::vector<std::chrono::milliseconds> waits_;
};

class GitHubFixture : public ::testing::Test {
 protected:
  static const fake_github::KeyPair& keys() {
    static const fake_github::KeyPair k = fake_github::generate_rsa_key_pair();
    return k;
  }

  // Starts the fake (HTTPS) with `configure` applied to its options.
  void start_fake(std::function<void(fake_github::FakeGitHubOptions&)> configure = {}) {
    dir_ = make_temp_dir("bottega-github-");
    certs_ = make_test_certificates(dir_ + "/certs");
    fake_github::FakeGitHubOptions o;
    o.state_dir = dir_ + "/state";
    o.tls_cert_file = certs_.server_cert;
    o.tls_key_file = certs_.server_key;
    o.app_public_key_pem = keys().public_pem;
    o.mergeable_delay = std::chrono::milliseconds(150);
    if (configure) configure(o);
    fake_ = std::make_unique<fake_github::FakeGitHub>(o);
    auto started = fake_->start();
    ASSERT_TRUE(started.ok()) << started.error().message;
    installation_ = fake_->add_installation("acme");
    auto repo = fake_->add_repository(
        installation_, "acme", "widgets",
        {{"README.md", "# widgets\n"}, {".github/bottega.yml", "trigger_label: bottega\n"}});
    ASSERT_TRUE(repo.ok()) << repo.error().message;
    repo_ = github::Repo{installation_, "acme", "widgets"};
  }

  github::GitHubClientOptions client_options() const {
    github::GitHubClientOptions o;
    o.api_url = fake_->base_url();
    o.ca_file = certs_.ca_cert;
    o.app_id = "4242";
    o.client_id = "Iv1.fakeclientid";
    o.private_key_pem = keys().private_pem;
    o.connect_timeout = std::chrono::milliseconds(2000);
    o.read_timeout = std::chrono::milliseconds(5000);
    o.retry_base = std::chrono::milliseconds(1000);
    return o;
  }

  std::unique_ptr<github::GitHubClient> make_client(github::GitHubClientOptions o) {
    time_.restart();
    auto made = github::GitHubClient::create(std::move(o), time_, time_);
    EXPECT_TRUE(made.ok()) << (made.ok() ? "" : made.error().describe());
    return made.ok() ? std::move(*made) : nullptr;
  }

  void SetUp() override { start_fake(); }

  void TearDown() override {
    if (fake_) fake_->stop();
    fake_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // Requests the fake saw on `route` (a template), optionally of one method.
  std::vector<fake_github::LoggedRequest> seen(const std::string& route,
                                               const std::string& method = "") const {
    std::vector<fake_github::LoggedRequest> out;
    for (auto& r : fake_->requests())
      if (r.route == route && (method.empty() || r.method == method)) out.push_back(r);
    return out;
  }

  FakeTime time_;
  std::string dir_;
  TestCertificates certs_;
  std::unique_ptr<fake_github::FakeGitHub> fake_;
  int64_t installation_ = 0;
  github::Repo repo_;
};

inline const std::string kTokenRoute = "/app/installations/{installation_id}/access_tokens";
inline const std::string kPullRoute = "/repos/{owner}/{repo}/pulls/{pull_number}";
inline const std::string kRepoRoute = "/repos/{owner}/{repo}";

}  // namespace bottega::testing
