// GitHubClient's construction and its authentication calls. The request
// core is in client/request_core.cpp, the rate governor, the token cache
// and the ETag cache in files of their own under client/, and the
// operations in client/{app,repos,issues,pulls,checks}.cpp.
#include "github/client.h"

#include <fstream>
#include <sstream>
#include <thread>

#include "config/base/redactor.h"
#include "github/client/request_core.h"
#include "github/jwt.h"

namespace bottega::github {

void RealSleeper::sleep_for(std::chrono::milliseconds duration) {
  std::this_thread::sleep_for(duration);
}
RealSleeper& RealSleeper::instance() {
  static RealSleeper sleeper;
  return sleeper;
}

GitHubClient::GitHubClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
GitHubClient::~GitHubClient() = default;

GhResult<std::unique_ptr<GitHubClient>> GitHubClient::create(GitHubClientOptions options,
                                                             const Clock& clock, Sleeper& sleeper) {
  if (options.client_id.empty() && options.app_id.empty())
    return GitHubError::local(GitHubError::Kind::auth,
                              "neither the App's client id nor its id is set");
  if (options.private_key_pem.empty() && !options.private_key_file.empty()) {
    std::ifstream in(options.private_key_file, std::ios::binary);
    std::stringstream content;
    content << in.rdbuf();
    if (!in.good() && !in.eof())
      return GitHubError::local(GitHubError::Kind::auth,
                                "cannot read the App private key file " + options.private_key_file);
    options.private_key_pem = content.str();
    if (options.private_key_pem.empty())
      return GitHubError::local(
          GitHubError::Kind::auth,
          "the App private key file " + options.private_key_file + " is missing or empty");
  }
  auto probe = make_app_jwt(options.private_key_pem, "probe", clock.now());
  if (!probe)
    return GitHubError::local(
        GitHubError::Kind::auth,
        probe.error().message +
            (options.private_key_file.empty() ? "" : " (" + options.private_key_file + ")"));
  if (options.api_url.rfind("https://", 0) != 0 && options.api_url.rfind("http://", 0) != 0)
    return GitHubError::local(
        GitHubError::Kind::auth,
        "the GitHub API URL must start with https:// (or http://): " + options.api_url);
  register_pem(options.private_key_pem, "the App private key");
  return std::unique_ptr<GitHubClient>(
      new GitHubClient(std::make_unique<Impl>(std::move(options), clock, sleeper)));
}

std::size_t GitHubClient::connections_opened() const {
  return impl_->transport.connections_opened();
}

GhResult<std::string> GitHubClient::app_jwt() { return impl_->jwt(); }

GhResult<std::string> GitHubClient::installation_token(int64_t installation_id) {
  return impl_->token(installation_id);
}

void GitHubClient::forget_installation_token(int64_t installation_id) {
  impl_->forget_token(installation_id, "");
}

GhResult<ApiResponse> GitHubClient::request(const std::string& method, const std::string& route,
                                            const std::vector<std::string>& params,
                                            int64_t installation_id, const std::string& body,
                                            const std::string& query) {
  return impl_->call(method, route, params, installation_id, body, query, method == "POST");
}

}  // namespace bottega::github
