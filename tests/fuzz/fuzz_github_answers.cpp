// GitHub's REST answers as the client reads them: every read the app makes
// gets the fuzz input as its answer, through the real client and transport
// (plain HTTP from a responder in this process). Input: the first byte picks
// the operation, the second the status; the rest is the body. No answer may
// crash, hang or corrupt the client, and a call either decodes or fails.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "github/client.h"

namespace {

using bottega::github::GitHubClient;

// The answer the responder gives next (the token route always gets a token).
std::mutex answer_mutex;
int answer_status = 200;
std::string answer_body;

std::string reason(int status) { return status < 300 ? "OK" : status < 500 ? "Client" : "Server"; }

// Reads requests on one connection and answers each; returns when the
// client closes it.
void serve_connection(int fd) {
  std::string in;
  std::array<char, 16384> buf{};
  for (;;) {
    std::size_t head_end;
    while ((head_end = in.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = read(fd, buf.data(), buf.size());
      if (n <= 0) return;
      in.append(buf.data(), static_cast<std::size_t>(n));
    }
    std::size_t length = 0;
    std::string head = in.substr(0, head_end);
    for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (auto at = head.find("content-length:"); at != std::string::npos)
      length = std::stoul(head.substr(at + 15));
    while (in.size() < head_end + 4 + length) {
      ssize_t n = read(fd, buf.data(), buf.size());
      if (n <= 0) return;
      in.append(buf.data(), static_cast<std::size_t>(n));
    }
    const bool token_route = head.find("/access_tokens") != std::string::npos;
    in.erase(0, head_end + 4 + length);
    int status;
    std::string body;
    if (token_route) {
      status = 201;
      body = R"({"token":"ghs_fuzz","expires_at":"2999-01-01T00:00:00Z"})";
    } else {
      std::lock_guard lock(answer_mutex);
      status = answer_status;
      body = answer_body;
    }
    std::string out =
        "HTTP/1.1 " + std::to_string(status) + " " + reason(status) +
        "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\n\r\n" + body;
    for (std::size_t sent = 0; sent < out.size();) {
      ssize_t n = write(fd, out.data() + sent, out.size() - sent);
      if (n <= 0) return;
      sent += static_cast<std::size_t>(n);
    }
  }
}

// Listens on a free loopback port; answers connections one at a time.
int start_responder() {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(listener, reinterpret_cast<sockaddr*>(&addr), len) != 0 || listen(listener, 16) != 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    __builtin_trap();
  std::thread([listener] {
    for (;;) {
      int fd = accept(listener, nullptr, nullptr);
      if (fd < 0) continue;
      serve_connection(fd);
      close(fd);
    }
  }).detach();
  return ntohs(addr.sin_port);
}

std::string rsa_private_pem() {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  EVP_PKEY_free(key);
  return pem;
}

class NoSleep final : public bottega::github::Sleeper {
 public:
  void sleep_for(std::chrono::milliseconds) override {}
};

GitHubClient& client() {
  static NoSleep no_sleep;
  static std::unique_ptr<GitHubClient> made = [] {
    bottega::github::GitHubClientOptions o;
    o.api_url = "http://127.0.0.1:" + std::to_string(start_responder());
    o.app_id = "1";
    o.private_key_pem = rsa_private_pem();
    // One answer per call: no retries, and no waits (a rate-limit answer
    // fails the call at once; no spacing or creation cap between calls).
    o.max_attempts = 1;
    o.max_rate_limit_retries = 0;
    o.max_rate_limit_wait = std::chrono::milliseconds(0);
    o.secondary_min_wait = std::chrono::milliseconds(0);
    o.mutation_spacing = std::chrono::milliseconds(0);
    o.content_creations_per_minute = 0;
    o.read_timeout = std::chrono::milliseconds(5000);
    auto c = GitHubClient::create(o, bottega::SystemClock::instance(), no_sleep);
    if (!c) __builtin_trap();
    return std::move(*c);
  }();
  return *made;
}

constexpr std::array<int, 8> kStatuses = {200, 200, 200, 201, 404, 422, 403, 500};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  GitHubClient& gh = client();
  {
    std::lock_guard lock(answer_mutex);
    answer_status = kStatuses[data[1] % kStatuses.size()];
    answer_body.assign(reinterpret_cast<const char*>(data + 2), size - 2);
  }
  const bottega::github::Repo repo{7, "octo", "hello"};
  switch (data[0] % 17) {
    case 0:
      (void)gh.repository_installation("octo", "hello");
      break;
    case 1:
      (void)gh.list_hook_deliveries(100);
      break;
    case 2:
      (void)gh.get_file_contents(repo, ".github/bottega.yml", "main");
      break;
    case 3:
      (void)gh.list_issue_comments(repo, 1);
      break;
    case 4:
      (void)gh.list_issue_labels(repo, 1);
      break;
    case 5:
      (void)gh.collaborator_permission(repo, "octocat");
      break;
    case 6:
      (void)gh.get_pull(repo, 2);
      break;
    case 7:
      (void)gh.find_pull_by_head(repo, "bottega/issue-1");
      break;
    case 8:
      (void)gh.list_reviews(repo, 2);
      break;
    case 9:
      (void)gh.list_review_comments(repo, 2);
      break;
    case 10:
      (void)gh.list_check_runs_for_ref(repo, "abc");
      break;
    case 11:
      (void)gh.list_check_run_annotations(repo, 3);
      break;
    case 12:
      (void)gh.get_combined_status(repo, "abc");
      break;
    case 13:
      (void)gh.compare(repo, "main", "topic");
      break;
    case 14:
      (void)gh.create_issue_comment(repo, 1, "hello");
      break;
    case 15:
      (void)gh.download_job_log(repo, 4, 4096);
      break;
    default:
      (void)gh.list_directory(repo, ".github", "main");
      break;
  }
  return 0;
}
