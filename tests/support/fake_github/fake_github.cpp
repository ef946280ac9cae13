#include "tests/support/fake_github/fake_github.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <simdjson.h>
#include <zlib.h>

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "config/base/log.h"
#include "github/http_transport.h"
#include "github/jwt.h"
#include "tests/support/fake_github/fake_oauth.h"
#include "tests/support/fake_github/fake_server.h"
#include "tests/support/fake_github/process.h"

namespace bottega::fake_github {

namespace json = boost::json;
namespace dom = simdjson::dom;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// The bare repositories' pre-receive hook for the App's pushes: a workflow
// file created, changed or deleted by the pushed commits (against the old
// head, or for a new branch against where it leaves the default branch)
// refuses the whole push, in GitHub's words.
constexpr const char* kWorkflowsHook = R"(#!/bin/sh
zero=0000000000000000000000000000000000000000
empty=$(git hash-object -t tree /dev/null)
while read -r old new ref; do
  [ "$new" = "$zero" ] && continue
  from=$old
  [ "$from" = "$zero" ] && from=$(git merge-base HEAD "$new" 2>/dev/null || echo "$empty")
  file=$(git diff --name-only "$from" "$new" -- .github/workflows | head -n 1)
  if [ -n "$file" ]; then
    echo "refusing to allow a GitHub App to create or update workflow \`$file\` without \`workflows\` permission" >&2
    exit 1
  fi
done
exit 0
)";

// ------------------------------------------------------------------ helpers

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string iso(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}
std::string now_iso() { return iso(std::chrono::system_clock::now()); }

std::vector<std::string> split_on(const std::string& text, char separator) {
  std::vector<std::string> out;
  std::string part;
  for (char c : text + separator) {
    if (c == separator || (separator == ' ' && c == '\n')) {
      if (!part.empty()) out.push_back(part);
      part.clear();
    } else {
      part += c;
    }
  }
  return out;
}
std::vector<std::string> split_lines(const std::string& text) { return split_on(text, '\n'); }
std::vector<std::string> split_words(const std::string& text) { return split_on(text, ' '); }

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string random_alnum(std::size_t n) {
  static const char* chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string bytes(n, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(n));
  std::string out;
  for (unsigned char b : bytes) out += chars[b % 62];
  return out;
}

// Installation tokens are opaque and their length is not fixed (GitHub
// has announced longer ones), so the fake varies it: 40 to 295 characters.
std::string percent_encode_query(const std::string& text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string new_token() {
  unsigned char extra = 0;
  RAND_bytes(&extra, 1);
  return "ghs_" + random_alnum(36 + extra);
}

std::string hex(const unsigned char* p, std::size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[p[i] >> 4];
    out += digits[p[i] & 15];
  }
  return out;
}

std::string uuid() {
  unsigned char b[16];
  RAND_bytes(b, sizeof b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  std::string h = hex(b, 16);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20);
}

std::string hmac_sha256_hex(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return hex(out, len);
}

std::string node_id(const std::string& kind, int64_t id) {
  return github::base64url_encode(kind + ":" + std::to_string(id));
}

std::string str(dom::element e, std::string_view key) {
  std::string_view s;
  if (e[key].get_string().get(s)) return "";
  return std::string(s);
}
int64_t i64(dom::element e, std::string_view key, int64_t fallback = 0) {
  int64_t v = 0;
  if (e[key].get_int64().get(v)) return fallback;
  return v;
}
bool has(dom::element e, std::string_view key) {
  dom::element c;
  return !e[key].get(c);
}

// A parsed request body; ok() false when it is not a JSON object.
struct Body {
  dom::parser parser;
  dom::element root;
  bool valid = false;
  explicit Body(const std::string& text) {
    dom::object o;
    valid = !parser.parse(text).get(root) && !root.get_object().get(o);
  }
};

std::string gzip(const std::string& in) {
  z_stream zs{};
  deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, in.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

Response json_response(int status, const json::value& v) {
  Response r;
  r.status = status;
  r.body = json::serialize(v);
  return r;
}

Response error_response(int status, const std::string& message,
                        const std::string& doc = "https://docs.github.com/rest") {
  json::object o{{"message", message}, {"documentation_url", doc}};
  if (status == 422) o["status"] = "422";
  return json_response(status, o);
}

// ----------------------------------------------------------------- records

struct ReactionRec {
  int64_t id = 0;
  std::string user;
  std::string content;
  std::string created_at;
};

struct LabelRec {
  int64_t id = 0;
  std::string name;
  std::string color = "ededed";
  std::string description;
};

struct IssueRec {
  int64_t id = 0;
  int number = 0;
  std::string title, body, user, state = "open", created_at, updated_at, closed_at;
  std::vector<std::string> labels;
  std::vector<std::string> assignees;
  bool is_pull = false;
  std::vector<ReactionRec> reactions;
  std::vector<LabelEvent> label_events;  // for tests: every labeled/unlabeled, in order
};

struct PullRec {
  int number = 0;
  int64_t id = 0;
  std::string head_ref, base_ref, head_sha, base_sha, user, merge_commit_sha, merged_at, merged_by;
  bool draft = false;
  bool merged = false;
  std::chrono::steady_clock::time_point computing_until{};
  bool null_shown = false;    // an API answer has shown mergeable: null since the last move
  std::string mergeable_key;  // base_sha + head_sha the cached value is for
  std::optional<bool> mergeable_cached;
};

struct CommentRec {
  int64_t id = 0;
  int64_t repo_id = 0;
  int issue = 0;
  std::string user, body, created_at, updated_at;
  std::vector<ReactionRec> reactions;
};

struct ReviewRec {
  int64_t id = 0;
  int64_t repo_id = 0;
  int pull = 0;
  std::string user, state, body, commit_id, submitted_at;
};

struct ReviewCommentRec {
  int64_t id = 0;
  int64_t repo_id = 0;
  int64_t review_id = 0;
  int pull = 0;
  std::string user, body, path, commit_id, created_at, updated_at;
  int line = 1;
  std::optional<int64_t> in_reply_to;
  std::vector<ReactionRec> reactions;
};

struct CheckRunRec {
  int64_t id = 0;
  int64_t repo_id = 0;
  int64_t suite_id = 0;
  std::string head_sha, name, status, conclusion, title, summary, text, details_url, external_id,
      started_at, completed_at, app_slug;
  std::vector<Annotation> annotations;
  std::string log;
};

// A commit status (the Statuses API), as a CI service other than an App sets it.
struct StatusRec {
  int64_t id = 0;
  int64_t repo_id = 0;
  std::string sha, state, description, target_url, context, creator, created_at;
};

struct RepoRec {
  int64_t id = 0;
  int64_t installation = 0;
  std::string owner, name, git_dir, created_at;
  std::map<std::string, std::string> permissions;  // login (lower) → permission
  std::map<std::string, LabelRec> labels;          // lower name → label
  std::map<int, IssueRec> issues;
  std::map<int, PullRec> pulls;
  int next_number = 1;
  std::string full_name() const { return owner + "/" + name; }
};

struct TokenRec {
  int64_t installation = 0;
  std::chrono::system_clock::time_point expires;
};

struct QuotaRec {
  int used = 0;
  int64_t reset = 0;  // unix seconds
};

struct DeliveryRec {
  int64_t id = 0;
  std::string guid, delivered_at, status = "pending", event, action, body;
  bool redelivery = false;
  int status_code = 0;
  double duration = 0;
  int64_t installation = 0;
  int64_t repo_id = 0;
};

struct FaultRec {
  std::string method;
  std::string route;
  Fault fault;
};

struct Auth {
  std::string kind = "none";  // jwt, token, basic, none, bad
  int64_t installation = 0;
  std::string problem;
};

// Route templates, most literal first (the first match wins).
const std::vector<std::pair<std::string, std::string>>& routes() {
  static const std::vector<std::pair<std::string, std::string>> table = {
      {"GET", "/app"},
      {"GET", "/app/installations"},
      {"POST", "/app/installations/{installation_id}/access_tokens"},
      {"GET", "/app/hook/deliveries"},
      {"GET", "/app/hook/deliveries/{delivery_id}"},
      {"POST", "/app/hook/deliveries/{delivery_id}/attempts"},
      {"GET", "/rate_limit"},
      {"GET", "/installation/repositories"},
      // The manifest flow: the web form GitHub shows, then the conversion.
      {"POST", "/settings/apps/new"},
      {"POST", "/organizations/{org}/settings/apps/new"},
      {"POST", "/app-manifests/{code}/conversions"},
      {"GET", "/repos/{owner}/{repo}/installation"},
      {"GET", "/repos/{owner}/{repo}"},
      {"GET", "/repos/{owner}/{repo}/contents/{path}"},
      {"GET", "/repos/{owner}/{repo}/issues/comments/{comment_id}"},
      {"PATCH", "/repos/{owner}/{repo}/issues/comments/{comment_id}"},
      {"POST", "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions"},
      {"GET", "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions"},
      {"POST", "/repos/{owner}/{repo}/issues"},
      {"GET", "/repos/{owner}/{repo}/issues/{issue_number}"},
      {"PATCH", "/repos/{owner}/{repo}/issues/{issue_number}"},
      {"GET", "/repos/{owner}/{repo}/issues/{issue_number}/comments"},
      {"POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments"},
      {"POST", "/repos/{owner}/{repo}/issues/{issue_number}/reactions"},
      {"GET", "/repos/{owner}/{repo}/issues/{issue_number}/labels"},
      {"POST", "/repos/{owner}/{repo}/issues/{issue_number}/labels"},
      {"DELETE", "/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}"},
      {"GET", "/repos/{owner}/{repo}/labels"},
      {"POST", "/repos/{owner}/{repo}/labels"},
      {"GET", "/repos/{owner}/{repo}/labels/{name}"},
      {"GET", "/repos/{owner}/{repo}/collaborators/{username}/permission"},
      {"POST", "/repos/{owner}/{repo}/pulls/comments/{comment_id}/reactions"},
      {"GET", "/repos/{owner}/{repo}/pulls"},
      {"POST", "/repos/{owner}/{repo}/pulls"},
      {"GET", "/repos/{owner}/{repo}/pulls/{pull_number}"},
      {"PATCH", "/repos/{owner}/{repo}/pulls/{pull_number}"},
      {"GET", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews"},
      {"GET", "/repos/{owner}/{repo}/pulls/{pull_number}/comments"},
      {"POST", "/repos/{owner}/{repo}/pulls/{pull_number}/comments/{comment_id}/replies"},
      {"GET", "/repos/{owner}/{repo}/commits/{ref}/check-runs"},
      {"POST", "/repos/{owner}/{repo}/check-runs"},
      {"GET", "/repos/{owner}/{repo}/check-runs/{check_run_id}"},
      {"PATCH", "/repos/{owner}/{repo}/check-runs/{check_run_id}"},
      {"GET", "/repos/{owner}/{repo}/check-runs/{check_run_id}/annotations"},
      {"GET", "/repos/{owner}/{repo}/actions/jobs/{job_id}/logs"},
      {"POST", "/repos/{owner}/{repo}/actions/runs/{run_id}/rerun-failed-jobs"},
      {"GET", "/repos/{owner}/{repo}/compare/{basehead}"},
      {"POST", "/repos/{owner}/{repo}/statuses/{sha}"},
      {"GET", "/repos/{owner}/{repo}/commits/{ref}/status"},
      {"GET", "/repos/{owner}/{repo}/git/ref/heads/{branch}"},
  };
  return table;
}

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    auto j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.emplace_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

// Matches a raw (still percent-encoded) path against a template; fills
// params by name, each decoded on its own so "feature%2Fx" stays one ref.
bool match(const std::string& tmpl, const std::string& raw_path,
           std::map<std::string, std::string>& params) {
  auto t = split_path(tmpl);
  auto p = split_path(raw_path);
  for (auto& segment : p) segment = percent_decode(segment, false);
  params.clear();
  std::size_t i = 0;
  for (; i < t.size(); ++i) {
    if (t[i] == "{path}") {
      if (i >= p.size()) return false;
      std::string rest;
      for (std::size_t k = i; k < p.size(); ++k) rest += (k > i ? "/" : "") + p[k];
      params["path"] = rest;
      return true;
    }
    if (i >= p.size()) return false;
    if (t[i].front() == '{') {
      params[t[i].substr(1, t[i].size() - 2)] = p[i];
    } else if (t[i] != p[i]) {
      return false;
    }
  }
  return i == p.size();
}

bool is_number(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

namespace {
// The public half of a private key PEM; the input unchanged when it is not one.
std::string public_key_of(const std::string& pem) {
  if (pem.find("PRIVATE KEY") == std::string::npos) return pem;
  BIO* in = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(in, nullptr, nullptr, nullptr);
  BIO_free(in);
  if (!key) return pem;
  BIO* out = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(out, key);
  char* data = nullptr;
  long n = BIO_get_mem_data(out, &data);
  std::string result(data, static_cast<std::size_t>(n));
  BIO_free(out);
  EVP_PKEY_free(key);
  return result;
}
}  // namespace

KeyPair generate_rsa_key_pair(int bits) {
  KeyPair pair;
  EVP_PKEY* key = EVP_RSA_gen(static_cast<unsigned>(bits));
  if (!key) return pair;
  BIO* priv = BIO_new(BIO_s_mem());
  BIO* pub = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(priv, key, nullptr, nullptr, 0, nullptr, nullptr);
  PEM_write_bio_PUBKEY(pub, key);
  char* data = nullptr;
  long n = BIO_get_mem_data(priv, &data);
  pair.private_pem.assign(data, static_cast<std::size_t>(n));
  n = BIO_get_mem_data(pub, &data);
  pair.public_pem.assign(data, static_cast<std::size_t>(n));
  BIO_free(priv);
  BIO_free(pub);
  EVP_PKEY_free(key);
  return pair;
}

// ======================================================================== Impl

struct FakeGitHub::Impl {
  FakeGitHubOptions options;
  std::unique_ptr<FakeServer> server;
  std::string scheme = "http";
  FakeOAuth oauth;  // its own lock

  mutable std::mutex mu;  // guards everything below except the webhook queue
  int64_t next_id = 1000;
  std::map<int64_t, std::string> installations;  // id → account
  std::set<int64_t> suspended;                   // installation ids
  std::map<std::string, RepoRec> repos;          // lower full name → repo
  struct PendingApp {
    json::object manifest;
    std::string owner;
  };
  std::map<std::string, PendingApp> manifest_codes;  // one-time codes of the manifest flow
  std::string last_manifest;
  int apps_registered = 0;
  std::map<std::string, TokenRec> tokens;
  std::map<int64_t, QuotaRec> quotas;
  std::map<int64_t, CommentRec> comments;
  std::map<int64_t, ReviewRec> reviews;
  std::map<int64_t, ReviewCommentRec> review_comments;
  std::map<int64_t, CheckRunRec> check_runs;
  std::vector<StatusRec> statuses;  // oldest first
  std::vector<int64_t> reruns;      // workflow runs whose failed jobs were re-run, in order
  std::map<std::string, int64_t> user_ids;
  std::vector<LoggedRequest> log;
  std::vector<FaultRec> faults;
  std::string blob_secret = random_alnum(24);

  // Webhooks: queued under mu, sent in order by one thread.
  mutable std::mutex hook_mu;
  mutable std::condition_variable hook_cv;
  std::deque<int64_t> hook_queue;       // delivery ids
  std::vector<DeliveryRec> deliveries;  // oldest first; guarded by hook_mu
  std::size_t attempted = 0;
  bool hook_stop = false;
  std::thread hook_thread;
  std::unique_ptr<github::HttpTransport> hook_transport;

  int64_t new_id() { return next_id++; }

  std::string tmp_dir() const { return options.state_dir + "/tmp"; }

  ProcessResult git(const std::string& git_dir, std::vector<std::string> args,
                    std::vector<std::string> env = {}, const std::string& input = "") {
    std::vector<std::string> argv = {"git", "--git-dir=" + git_dir};
    argv.insert(argv.end(), args.begin(), args.end());
    env.push_back("GIT_CONFIG_NOSYSTEM=1");
    env.push_back("HOME=" + options.state_dir);
    return run_process(argv, env, input, tmp_dir());
  }

  // -------------------------------------------------------------- JSON shapes

  int64_t user_id(const std::string& login) {
    auto key = lower(login);
    auto it = user_ids.find(key);
    if (it != user_ids.end()) return it->second;
    int64_t id = new_id();
    user_ids[key] = id;
    return id;
  }

  std::string web_base() const {
    return scheme + "://127.0.0.1:" + std::to_string(server ? server->port() : 0);
  }
  std::string api_base() const { return web_base(); }

  json::object user_json(const std::string& login) {
    const bool bot = login.size() > 5 && login.substr(login.size() - 5) == "[bot]";
    int64_t id = user_id(login);
    std::string url = api_base() + "/users/" + login;
    return json::object{
        {"login", login},
        {"id", id},
        {"node_id", node_id("User", id)},
        {"avatar_url", "https://avatars.githubusercontent.com/u/" + std::to_string(id)},
        {"gravatar_id", ""},
        {"url", url},
        {"html_url", web_base() + "/" + login},
        {"followers_url", url + "/followers"},
        {"following_url", url + "/following{/other_user}"},
        {"gists_url", url + "/gists{/gist_id}"},
        {"starred_url", url + "/starred{/owner}{/repo}"},
        {"subscriptions_url", url + "/subscriptions"},
        {"organizations_url", url + "/orgs"},
        {"repos_url", url + "/repos"},
        {"events_url", url + "/events{/privacy}"},
        {"received_events_url", url + "/received_events"},
        {"type", bot ? "Bot" : "User"},
        {"site_admin", false}};
  }

  std::string bot_login() const { return options.app_slug + "[bot]"; }

  json::object repo_json(const RepoRec& r) {
    std::string url = api_base() + "/repos/" + r.full_name();
    json::object o{{"id", r.id},
                   {"node_id", node_id("Repository", r.id)},
                   {"name", r.name},
                   {"full_name", r.full_name()},
                   {"private", false},
                   {"owner", user_json(r.owner)},
                   {"html_url", web_base() + "/" + r.full_name()},
                   {"description", nullptr},
                   {"fork", false},
                   {"url", url},
                   {"created_at", r.created_at},
                   {"updated_at", r.created_at},
                   {"pushed_at", r.created_at},
                   {"git_url", "git://127.0.0.1/" + r.full_name() + ".git"},
                   {"ssh_url", "git@127.0.0.1:" + r.full_name() + ".git"},
                   {"clone_url", web_base() + "/" + r.full_name() + ".git"},
                   {"svn_url", web_base() + "/" + r.full_name()},
                   {"homepage", nullptr},
                   {"size", 1},
                   {"stargazers_count", 0},
                   {"watchers_count", 0},
                   {"language", nullptr},
                   {"has_issues", true},
                   {"has_projects", false},
                   {"has_downloads", true},
                   {"has_wiki", false},
                   {"has_pages", false},
                   {"has_discussions", false},
                   {"forks_count", 0},
                   {"mirror_url", nullptr},
                   {"archived", false},
                   {"disabled", false},
                   {"open_issues_count", 0},
                   {"license", nullptr},
                   {"allow_forking", true},
                   {"is_template", false},
                   {"web_commit_signoff_required", false},
                   {"topics", json::array()},
                   {"visibility", "public"},
                   {"forks", 0},
                   {"open_issues", 0},
                   {"watchers", 0},
                   {"default_branch", "main"}};
    static const char* url_fields[][2] = {
        {"archive_url", "/{archive_format}{/ref}"},
        {"assignees_url", "/assignees{/user}"},
        {"blobs_url", "/git/blobs{/sha}"},
        {"branches_url", "/branches{/branch}"},
        {"collaborators_url", "/collaborators{/collaborator}"},
        {"comments_url", "/comments{/number}"},
        {"commits_url", "/commits{/sha}"},
        {"compare_url", "/compare/{base}...{head}"},
        {"contents_url", "/contents/{+path}"},
        {"contributors_url", "/contributors"},
        {"deployments_url", "/deployments"},
        {"downloads_url", "/downloads"},
        {"events_url", "/events"},
        {"forks_url", "/forks"},
        {"git_commits_url", "/git/commits{/sha}"},
        {"git_refs_url", "/git/refs{/sha}"},
        {"git_tags_url", "/git/tags{/sha}"},
        {"hooks_url", "/hooks"},
        {"issue_comment_url", "/issues/comments{/number}"},
        {"issue_events_url", "/issues/events{/number}"},
        {"issues_url", "/issues{/number}"},
        {"keys_url", "/keys{/key_id}"},
        {"labels_url", "/labels{/name}"},
        {"languages_url", "/languages"},
        {"merges_url", "/merges"},
        {"milestones_url", "/milestones{/number}"},
        {"notifications_url", "/notifications{?since,all,participating}"},
        {"pulls_url", "/pulls{/number}"},
        {"releases_url", "/releases{/id}"},
        {"stargazers_url", "/stargazers"},
        {"statuses_url", "/statuses/{sha}"},
        {"subscribers_url", "/subscribers"},
        {"subscription_url", "/subscription"},
        {"tags_url", "/tags"},
        {"teams_url", "/teams"},
        {"trees_url", "/git/trees{/sha}"}};
    for (auto& f : url_fields) o[f[0]] = url + f[1];
    return o;
  }

  std::string association(const RepoRec& r, const std::string& login) {
    if (lower(login) == lower(r.owner)) return "OWNER";
    auto it = r.permissions.find(lower(login));
    if (it != r.permissions.end() && it->second != "none") return "COLLABORATOR";
    return "NONE";
  }

  json::object reactions_json(const std::string& url, const std::vector<ReactionRec>& list) {
    std::map<std::string, int> counts;
    for (auto& r : list) ++counts[r.content];
    json::object o{{"url", url + "/reactions"}, {"total_count", static_cast<int64_t>(list.size())}};
    for (const char* c : {"+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"})
      o[c] = counts[c];
    return o;
  }

  json::object label_json(const RepoRec& r, const LabelRec& l) {
    return json::object{
        {"id", l.id},
        {"node_id", node_id("Label", l.id)},
        {"url", api_base() + "/repos/" + r.full_name() + "/labels/" + l.name},
        {"name", l.name},
        {"color", l.color},
        {"default", false},
        {"description", l.description.empty() ? json::value(nullptr) : json::value(l.description)}};
  }

  LabelRec& ensure_label(RepoRec& r, const std::string& name) {
    auto key = lower(name);
    auto it = r.labels.find(key);
    if (it != r.labels.end()) return it->second;
    LabelRec l;
    l.id = new_id();
    l.name = name;
    return r.labels[key] = l;
  }

  json::object issue_json(RepoRec& r, const IssueRec& i) {
    std::string url =
        api_base() + "/repos/" + r.full_name() + "/issues/" + std::to_string(i.number);
    json::array labels;
    for (auto& name : i.labels) labels.push_back(label_json(r, ensure_label(r, name)));
    int64_t count = 0;
    for (auto& [id, c] : comments)
      if (c.repo_id == r.id && c.issue == i.number) ++count;
    json::array assignees;
    for (auto& a : i.assignees) assignees.push_back(user_json(a));
    json::object o{
        {"id", i.id},
        {"node_id", node_id("Issue", i.id)},
        {"url", url},
        {"repository_url", api_base() + "/repos/" + r.full_name()},
        {"labels_url", url + "/labels{/name}"},
        {"comments_url", url + "/comments"},
        {"events_url", url + "/events"},
        {"html_url", web_base() + "/" + r.full_name() + (i.is_pull ? "/pull/" : "/issues/") +
                         std::to_string(i.number)},
        {"number", i.number},
        {"state", i.state},
        {"state_reason", nullptr},
        {"title", i.title},
        {"body", i.body},
        {"user", user_json(i.user)},
        {"labels", labels},
        {"assignee",
         i.assignees.empty() ? json::value(nullptr) : json::value(user_json(i.assignees.front()))},
        {"assignees", assignees},
        {"milestone", nullptr},
        {"locked", false},
        {"active_lock_reason", nullptr},
        {"comments", count},
        {"closed_at", i.closed_at.empty() ? json::value(nullptr) : json::value(i.closed_at)},
        {"created_at", i.created_at},
        {"updated_at", i.updated_at},
        {"author_association", association(r, i.user)},
        {"reactions", reactions_json(url, i.reactions)}};
    if (i.is_pull) {
      std::string purl =
          api_base() + "/repos/" + r.full_name() + "/pulls/" + std::to_string(i.number);
      o["pull_request"] = json::object{
          {"url", purl},
          {"html_url", web_base() + "/" + r.full_name() + "/pull/" + std::to_string(i.number)},
          {"diff_url",
           web_base() + "/" + r.full_name() + "/pull/" + std::to_string(i.number) + ".diff"},
          {"patch_url",
           web_base() + "/" + r.full_name() + "/pull/" + std::to_string(i.number) + ".patch"}};
    }
    return o;
  }

  json::object comment_json(const RepoRec& r, const CommentRec& c) {
    std::string url =
        api_base() + "/repos/" + r.full_name() + "/issues/comments/" + std::to_string(c.id);
    return json::object{
        {"id", c.id},
        {"node_id", node_id("IssueComment", c.id)},
        {"url", url},
        {"html_url", web_base() + "/" + r.full_name() + "/issues/" + std::to_string(c.issue) +
                         "#issuecomment-" + std::to_string(c.id)},
        {"body", c.body},
        {"user", user_json(c.user)},
        {"created_at", c.created_at},
        {"updated_at", c.updated_at},
        {"issue_url",
         api_base() + "/repos/" + r.full_name() + "/issues/" + std::to_string(c.issue)},
        {"author_association", association(r, c.user)},
        // GitHub names the App on what it wrote with an installation token.
        {"performed_via_github_app",
         c.user == bot_login() ? json::value(app_json()) : json::value(nullptr)},
        {"reactions", reactions_json(url, c.reactions)}};
  }

  // mergeable: null while "computing", else merge-tree's verdict (cached).
  // After the head or base moves, the first API answer always shows null
  // (so tests see it whatever the machine's speed), later ones until
  // mergeable_delay has passed.
  std::optional<bool> mergeable(RepoRec& r, PullRec& p, bool observed) {
    if (p.merged) return std::nullopt;
    if (!p.null_shown || std::chrono::steady_clock::now() < p.computing_until) {
      if (observed) p.null_shown = true;
      return std::nullopt;
    }
    auto base = branch_sha_locked(r, p.base_ref);
    auto head = branch_sha_locked(r, p.head_ref);
    if (base.empty() || head.empty()) return std::nullopt;
    std::string key = base + ".." + head;
    if (p.mergeable_key != key) {
      auto res = git(r.git_dir, {"merge-tree", "--write-tree", "--no-messages", base, head});
      p.mergeable_key = key;
      if (res.exit_code == 0) {
        p.mergeable_cached = true;
      } else if (res.exit_code == 1) {
        p.mergeable_cached = false;
      } else {
        p.mergeable_cached.reset();
      }
    }
    return p.mergeable_cached;
  }

  json::object branch_json(RepoRec& r, const std::string& ref, const std::string& sha) {
    return json::object{{"label", r.owner + ":" + ref},
                        {"ref", ref},
                        {"sha", sha},
                        {"user", user_json(r.owner)},
                        {"repo", repo_json(r)}};
  }

  // observed: this goes into an API answer (not a webhook).
  json::object pull_json(RepoRec& r, PullRec& p, bool observed = false) {
    auto& issue = r.issues[p.number];
    std::string n = std::to_string(p.number);
    std::string url = api_base() + "/repos/" + r.full_name() + "/pulls/" + n;
    std::string html = web_base() + "/" + r.full_name() + "/pull/" + n;
    std::string issue_url = api_base() + "/repos/" + r.full_name() + "/issues/" + n;
    if (!p.merged) {
      p.head_sha =
          branch_sha_locked(r, p.head_ref).empty() ? p.head_sha : branch_sha_locked(r, p.head_ref);
      auto b = branch_sha_locked(r, p.base_ref);
      if (!b.empty()) p.base_sha = b;
    }
    auto m = mergeable(r, p, observed);
    std::string state = p.merged ? "unknown" : !m ? "unknown" : *m ? "clean" : "dirty";
    json::array labels;
    for (auto& name : issue.labels) labels.push_back(label_json(r, ensure_label(r, name)));
    int64_t ncomments = 0, nreview_comments = 0;
    for (auto& [id, c] : comments)
      if (c.repo_id == r.id && c.issue == p.number) ++ncomments;
    for (auto& [id, c] : review_comments)
      if (c.repo_id == r.id && c.pull == p.number) ++nreview_comments;
    auto href = [](const std::string& u) { return json::object{{"href", u}}; };
    return json::object{
        {"url", url},
        {"id", p.id},
        {"node_id", node_id("PullRequest", p.id)},
        {"html_url", html},
        {"diff_url", html + ".diff"},
        {"patch_url", html + ".patch"},
        {"issue_url", issue_url},
        {"commits_url", url + "/commits"},
        {"review_comments_url", url + "/comments"},
        {"review_comment_url", api_base() + "/repos/" + r.full_name() + "/pulls/comments{/number}"},
        {"comments_url", issue_url + "/comments"},
        {"statuses_url", api_base() + "/repos/" + r.full_name() + "/statuses/" + p.head_sha},
        {"number", p.number},
        {"state", issue.state},
        {"locked", false},
        {"title", issue.title},
        {"user", user_json(issue.user)},
        {"body", issue.body},
        {"labels", labels},
        {"milestone", nullptr},
        {"active_lock_reason", nullptr},
        {"created_at", issue.created_at},
        {"updated_at", issue.updated_at},
        {"closed_at",
         issue.closed_at.empty() ? json::value(nullptr) : json::value(issue.closed_at)},
        {"merged_at", p.merged_at.empty() ? json::value(nullptr) : json::value(p.merged_at)},
        {"merge_commit_sha",
         p.merge_commit_sha.empty() ? json::value(nullptr) : json::value(p.merge_commit_sha)},
        {"assignee", nullptr},
        {"assignees", json::array()},
        {"requested_reviewers", json::array()},
        {"requested_teams", json::array()},
        {"head", branch_json(r, p.head_ref, p.head_sha)},
        {"base", branch_json(r, p.base_ref, p.base_sha)},
        {"_links", json::object{{"self", href(url)},
                                {"html", href(html)},
                                {"issue", href(issue_url)},
                                {"comments", href(issue_url + "/comments")},
                                {"review_comments", href(url + "/comments")},
                                {"review_comment", href(api_base() + "/repos/" + r.full_name() +
                                                        "/pulls/comments{/number}")},
                                {"commits", href(url + "/commits")},
                                {"statuses", href(api_base() + "/repos/" + r.full_name() +
                                                  "/statuses/" + p.head_sha)}}},
        {"author_association", association(r, issue.user)},
        {"auto_merge", nullptr},
        {"draft", p.draft},
        {"merged", p.merged},
        {"mergeable", m ? json::value(*m) : json::value(nullptr)},
        {"rebaseable", m ? json::value(*m) : json::value(nullptr)},
        {"mergeable_state", state},
        {"merged_by",
         p.merged_by.empty() ? json::value(nullptr) : json::value(user_json(p.merged_by))},
        {"comments", ncomments},
        {"review_comments", nreview_comments},
        {"maintainer_can_modify", false},
        {"commits", 1},
        {"additions", 1},
        {"deletions", 0},
        {"changed_files", 1}};
  }

  json::object review_json(const RepoRec& r, const ReviewRec& v, bool webhook) {
    std::string pr = web_base() + "/" + r.full_name() + "/pull/" + std::to_string(v.pull);
    std::string purl = api_base() + "/repos/" + r.full_name() + "/pulls/" + std::to_string(v.pull);
    return json::object{
        {"id", v.id},
        {"node_id", node_id("PullRequestReview", v.id)},
        {"user", user_json(v.user)},
        {"body", v.body},
        // Webhooks spell the state in lower case, the REST API in upper case.
        {"state", webhook ? lower(v.state) : v.state},
        {"html_url", pr + "#pullrequestreview-" + std::to_string(v.id)},
        {"pull_request_url", purl},
        {"author_association", association(r, v.user)},
        {"_links", json::object{{"html", json::object{{"href", pr + "#pullrequestreview-" +
                                                                   std::to_string(v.id)}}},
                                {"pull_request", json::object{{"href", purl}}}}},
        {"submitted_at", v.submitted_at},
        {"commit_id", v.commit_id}};
  }

  json::object review_comment_json(const RepoRec& r, const ReviewCommentRec& c) {
    std::string url =
        api_base() + "/repos/" + r.full_name() + "/pulls/comments/" + std::to_string(c.id);
    std::string html = web_base() + "/" + r.full_name() + "/pull/" + std::to_string(c.pull) +
                       "#discussion_r" + std::to_string(c.id);
    std::string purl = api_base() + "/repos/" + r.full_name() + "/pulls/" + std::to_string(c.pull);
    json::object o{{"url", url},
                   {"pull_request_review_id", c.review_id},
                   {"id", c.id},
                   {"node_id", node_id("PullRequestReviewComment", c.id)},
                   {"diff_hunk", "@@ -1,1 +1,1 @@"},
                   {"path", c.path},
                   {"position", c.line},
                   {"original_position", c.line},
                   {"commit_id", c.commit_id},
                   {"original_commit_id", c.commit_id},
                   {"user", user_json(c.user)},
                   {"body", c.body},
                   {"created_at", c.created_at},
                   {"updated_at", c.updated_at},
                   {"html_url", html},
                   {"pull_request_url", purl},
                   {"author_association", association(r, c.user)},
                   {"_links", json::object{{"self", json::object{{"href", url}}},
                                           {"html", json::object{{"href", html}}},
                                           {"pull_request", json::object{{"href", purl}}}}},
                   {"line", c.line},
                   {"original_line", c.line},
                   {"start_line", nullptr},
                   {"original_start_line", nullptr},
                   {"start_side", nullptr},
                   {"side", "RIGHT"},
                   {"subject_type", "line"},
                   {"reactions", reactions_json(url, c.reactions)}};
    if (c.in_reply_to) o["in_reply_to_id"] = *c.in_reply_to;
    return o;
  }

  json::object app_json() {
    return json::object{{"id", options.app_id},
                        {"slug", options.app_slug},
                        {"client_id", options.app_client_id},
                        {"node_id", node_id("App", options.app_id)},
                        {"owner", user_json("bottega-dev")},
                        {"name", options.app_slug},
                        {"description", "Bottega (fake)"},
                        {"external_url", web_base()},
                        {"html_url", web_base() + "/apps/" + options.app_slug},
                        {"created_at", "2024-01-01T00:00:00Z"},
                        {"updated_at", "2024-01-01T00:00:00Z"},
                        {"permissions", json::object{{"contents", "write"},
                                                     {"issues", "write"},
                                                     {"pull_requests", "write"},
                                                     {"checks", "write"},
                                                     {"metadata", "read"}}},
                        {"events", json::array{"issues", "issue_comment", "pull_request",
                                               "pull_request_review", "check_run", "push"}}};
  }

  // A commit status as the REST API shows it ("status"; without its
  // creator: "simple-commit-status").
  json::object status_json(const RepoRec& r, const StatusRec& st, bool with_creator) {
    auto nullable = [](const std::string& v) -> json::value {
      return v.empty() ? json::value(nullptr) : json::value(v);
    };
    json::object o{{"url", api_base() + "/repos/" + r.full_name() + "/statuses/" + st.sha},
                   {"avatar_url", nullptr},
                   {"id", st.id},
                   {"node_id", node_id("StatusContext", st.id)},
                   {"state", st.state},
                   {"description", nullable(st.description)},
                   {"target_url", nullable(st.target_url)},
                   {"context", st.context},
                   {"created_at", st.created_at},
                   {"updated_at", st.created_at}};
    if (with_creator) o["creator"] = user_json(st.creator);
    return o;
  }

  // Records a status on `sha` and sends the `status` webhook, as GitHub does.
  StatusRec& add_status(RepoRec& r, const std::string& sha, const std::string& state,
                        const std::string& context, const std::string& description,
                        const std::string& target_url, const std::string& creator) {
    StatusRec st;
    st.id = new_id();
    st.repo_id = r.id;
    st.sha = sha;
    st.state = state;
    st.context = context.empty() ? "default" : context;
    st.description = description;
    st.target_url = target_url;
    st.creator = creator;
    st.created_at = now_iso();
    statuses.push_back(st);
    const std::string repo_url = api_base() + "/repos/" + r.full_name();
    auto field = [&](const char* format) {
      return first_line(git(r.git_dir, {"log", "-1", std::string("--format=") + format, sha}).out);
    };
    json::object person{{"name", field("%an")}, {"email", field("%ae")}, {"date", field("%aI")}};
    json::array parents;
    for (const auto& parent : split_words(field("%P")))
      parents.push_back(
          json::object{{"sha", parent},
                       {"url", repo_url + "/commits/" + parent},
                       {"html_url", web_base() + "/" + r.full_name() + "/commit/" + parent}});
    json::object commit{
        {"sha", sha},
        {"node_id", node_id("Commit", st.id)},
        {"commit",
         json::object{{"author", person},
                      {"committer", person},
                      {"message", field("%B")},
                      {"tree", json::object{{"sha", field("%T")},
                                            {"url", repo_url + "/git/trees/" + field("%T")}}},
                      {"url", repo_url + "/git/commits/" + sha},
                      {"comment_count", 0},
                      {"verification", json::object{{"verified", false},
                                                    {"reason", "unsigned"},
                                                    {"signature", nullptr},
                                                    {"payload", nullptr},
                                                    {"verified_at", nullptr}}}}},
        {"url", repo_url + "/commits/" + sha},
        {"html_url", web_base() + "/" + r.full_name() + "/commit/" + sha},
        {"comments_url", repo_url + "/commits/" + sha + "/comments"},
        {"author", nullptr},
        {"committer", nullptr},
        {"parents", parents}};
    // The branches holding the commit (at most 10), as GitHub lists them.
    json::array branches;
    auto listed = git(r.git_dir, {"for-each-ref", "--contains", sha, "--count=10",
                                  "--format=%(refname:short) %(objectname)", "refs/heads"});
    for (const auto& line : split_lines(listed.out)) {
      auto space = line.find(' ');
      if (space == std::string::npos) continue;
      const std::string tip = line.substr(space + 1);
      branches.push_back(json::object{
          {"name", line.substr(0, space)},
          {"commit", json::object{{"sha", tip}, {"url", repo_url + "/commits/" + tip}}},
          {"protected", false}});
    }
    auto nullable = [](const std::string& v) -> json::value {
      return v.empty() ? json::value(nullptr) : json::value(v);
    };
    send_event(r, "status", "", creator,
               json::object{{"id", st.id},
                            {"sha", sha},
                            {"name", r.full_name()},
                            {"target_url", nullable(st.target_url)},
                            {"context", st.context},
                            {"description", nullable(st.description)},
                            {"state", st.state},
                            {"commit", commit},
                            {"branches", branches},
                            {"created_at", st.created_at},
                            {"updated_at", st.created_at}});
    return statuses.back();
  }

  json::object check_run_json(RepoRec& r, const CheckRunRec& c) {
    std::string url =
        api_base() + "/repos/" + r.full_name() + "/check-runs/" + std::to_string(c.id);
    json::array prs;
    for (auto& [n, p] : r.pulls)
      if (p.head_sha == c.head_sha || branch_sha_locked(r, p.head_ref) == c.head_sha)
        prs.push_back(json::object{
            {"id", p.id},
            {"number", p.number},
            {"url", api_base() + "/repos/" + r.full_name() + "/pulls/" + std::to_string(p.number)},
            {"head",
             json::object{{"ref", p.head_ref},
                          {"sha", c.head_sha},
                          {"repo", json::object{{"id", r.id},
                                                {"url", api_base() + "/repos/" + r.full_name()},
                                                {"name", r.name}}}}},
            {"base",
             json::object{{"ref", p.base_ref},
                          {"sha", p.base_sha},
                          {"repo", json::object{{"id", r.id},
                                                {"url", api_base() + "/repos/" + r.full_name()},
                                                {"name", r.name}}}}}});
    json::object app = app_json();
    if (c.app_slug != options.app_slug) {
      app["slug"] = c.app_slug;
      app["name"] = c.app_slug;
      app["id"] = 15368;
    }
    return json::object{
        {"id", c.id},
        {"head_sha", c.head_sha},
        {"node_id", node_id("CheckRun", c.id)},
        {"external_id", c.external_id},
        {"url", url},
        {"html_url", web_base() + "/" + r.full_name() + "/runs/" + std::to_string(c.id)},
        {"details_url", c.details_url.empty()
                            ? web_base() + "/" + r.full_name() + "/actions/runs/" +
                                  std::to_string(c.id) + "/job/" + std::to_string(c.id)
                            : c.details_url},
        {"status", c.status},
        {"conclusion", c.conclusion.empty() ? json::value(nullptr) : json::value(c.conclusion)},
        {"started_at", c.started_at},
        {"completed_at",
         c.completed_at.empty() ? json::value(nullptr) : json::value(c.completed_at)},
        {"output",
         json::object{
             {"title", c.title.empty() ? json::value(nullptr) : json::value(c.title)},
             {"summary", c.summary.empty() ? json::value(nullptr) : json::value(c.summary)},
             {"text", c.text.empty() ? json::value(nullptr) : json::value(c.text)},
             {"annotations_count", static_cast<int64_t>(c.annotations.size())},
             {"annotations_url", url + "/annotations"}}},
        {"name", c.name},
        {"check_suite", json::object{{"id", c.suite_id}}},
        {"app", app},
        {"pull_requests", prs}};
  }

  // ------------------------------------------------------------- git state

  std::string branch_sha_locked(const RepoRec& r, const std::string& branch) {
    auto res = git(r.git_dir, {"rev-parse", "--verify", "--quiet", "refs/heads/" + branch});
    return res.exit_code == 0 ? first_line(res.out) : "";
  }

  std::map<std::string, std::string> refs(const RepoRec& r) {
    std::map<std::string, std::string> out;
    auto res = git(r.git_dir, {"for-each-ref", "--format=%(refname) %(objectname)", "refs/heads"});
    std::size_t pos = 0;
    while (pos < res.out.size()) {
      auto nl = res.out.find('\n', pos);
      auto line = res.out.substr(pos, nl - pos);
      auto sp = line.find(' ');
      if (sp != std::string::npos) out[line.substr(0, sp)] = line.substr(sp + 1);
      if (nl == std::string::npos) break;
      pos = nl + 1;
    }
    return out;
  }

  // Commits files on top of `parent` ("" = root commit); returns the sha.
  Result<std::string> make_commit(const RepoRec& r, const std::string& parent,
                                  const std::map<std::string, std::string>& files,
                                  const std::string& message, const std::string& user) {
    std::string index = tmp_dir() + "/index-" + random_alnum(8);
    std::vector<std::string> env = {"GIT_INDEX_FILE=" + index};
    if (!parent.empty() && git(r.git_dir, {"read-tree", parent}, env).exit_code != 0)
      return make_error("read-tree failed");
    for (auto& [path, content] : files) {
      auto blob = git(r.git_dir, {"hash-object", "-w", "--stdin"}, {}, content);
      if (blob.exit_code != 0) return make_error("hash-object failed");
      if (git(r.git_dir,
              {"update-index", "--add", "--cacheinfo",
               "100644," + first_line(blob.out) + "," + path},
              env)
              .exit_code != 0)
        return make_error("update-index failed for " + path);
    }
    auto tree = git(r.git_dir, {"write-tree"}, env);
    fs::remove(index);
    if (tree.exit_code != 0) return make_error("write-tree failed");
    std::vector<std::string> args = {"commit-tree", first_line(tree.out), "-m", message};
    if (!parent.empty()) args.insert(args.end(), {"-p", parent});
    std::vector<std::string> id = {
        "GIT_AUTHOR_NAME=" + user, "GIT_AUTHOR_EMAIL=" + user + "@users.noreply.github.com",
        "GIT_COMMITTER_NAME=" + user, "GIT_COMMITTER_EMAIL=" + user + "@users.noreply.github.com"};
    auto commit = git(r.git_dir, args, id);
    if (commit.exit_code != 0) return make_error("commit-tree failed");
    return first_line(commit.out);
  }

  // A branch moved (push, commit_files, merge): webhooks and mergeable.
  void ref_updated(RepoRec& r, const std::string& ref, const std::string& before,
                   const std::string& after, const std::string& pusher) {
    const std::string zero(40, '0');
    const std::string branch = ref.rfind("refs/heads/", 0) == 0 ? ref.substr(11) : ref;
    bool forced = false;
    if (!before.empty() && !after.empty())
      forced = git(r.git_dir, {"merge-base", "--is-ancestor", before, after}).exit_code != 0;
    json::array commits;
    json::value head_commit = nullptr;
    if (!after.empty()) {
      auto info = git(r.git_dir, {"log", "-1", "--format=%s%n%an%n%cI", after});
      std::vector<std::string> lines;
      std::size_t pos = 0;
      while (pos < info.out.size()) {
        auto nl = info.out.find('\n', pos);
        lines.push_back(info.out.substr(pos, nl - pos));
        if (nl == std::string::npos) break;
        pos = nl + 1;
      }
      lines.resize(3);
      json::object c{{"id", after},
                     {"tree_id", first_line(git(r.git_dir, {"rev-parse", after + "^{tree}"}).out)},
                     {"distinct", true},
                     {"message", lines[0]},
                     {"timestamp", lines[2]},
                     {"url", web_base() + "/" + r.full_name() + "/commit/" + after},
                     {"author", json::object{{"name", lines[1]},
                                             {"email", lines[1] + "@users.noreply.github.com"}}},
                     {"committer", json::object{{"name", lines[1]},
                                                {"email", lines[1] + "@users.noreply.github.com"}}},
                     {"added", json::array()},
                     {"removed", json::array()},
                     {"modified", json::array()}};
      commits.push_back(c);
      head_commit = c;
    }
    json::object push{{"ref", ref},
                      {"before", before.empty() ? zero : before},
                      {"after", after.empty() ? zero : after},
                      {"created", before.empty()},
                      {"deleted", after.empty()},
                      {"forced", forced},
                      {"base_ref", nullptr},
                      {"compare", web_base() + "/" + r.full_name() + "/compare/" +
                                      (before.empty() ? zero : before).substr(0, 12) + "..." +
                                      (after.empty() ? zero : after).substr(0, 12)},
                      {"commits", commits},
                      {"head_commit", head_commit},
                      {"pusher", json::object{{"name", pusher},
                                              {"email", pusher + "@users.noreply.github.com"}}}};
    send_event(r, "push", "", pusher, std::move(push));
    for (auto& [n, p] : r.pulls) {
      if (r.issues[n].state != "open") continue;
      if (p.head_ref == branch || p.base_ref == branch) {
        p.computing_until = std::chrono::steady_clock::now() + options.mergeable_delay;
        p.null_shown = false;
        p.mergeable_key.clear();
      }
      if (p.head_ref == branch && !after.empty()) {
        std::string old = p.head_sha;
        p.head_sha = after;
        r.issues[n].updated_at = now_iso();
        json::object payload{
            {"number", n}, {"before", old}, {"after", after}, {"pull_request", pull_json(r, p)}};
        send_event(r, "pull_request", "synchronize", pusher, std::move(payload));
      }
    }
  }

  // ------------------------------------------------------------ webhooks

  void send_event(RepoRec& r, const std::string& event, const std::string& action,
                  const std::string& sender, json::object payload) {
    // A repository out of every installation, or of a suspended one, sends nothing.
    if (!installations.count(r.installation) || suspended.count(r.installation)) return;
    json::object body;
    if (!action.empty()) body["action"] = action;
    for (auto& kv : payload) body[kv.key()] = kv.value();
    body["repository"] = repo_json(r);
    body["sender"] = user_json(sender);
    body["installation"] =
        json::object{{"id", r.installation}, {"node_id", node_id("Installation", r.installation)}};
    enqueue_delivery(event, action, json::serialize(body), r.installation, r.id, false, "");
  }

  // An event of the installation itself (no repository): GitHub sends these
  // even to a suspended installation.
  void send_installation_event(int64_t installation, const std::string& event,
                               const std::string& action, const std::string& sender,
                               json::object payload) {
    json::object body;
    body["action"] = action;
    for (auto& kv : payload) body[kv.key()] = kv.value();
    body["installation"] = installation_json(installation, installations[installation]);
    body["sender"] = user_json(sender);
    enqueue_delivery(event, action, json::serialize(body), installation, 0, false, "");
  }

  json::object repo_brief(const RepoRec& r) {
    return json::object{{"id", r.id},
                        {"node_id", node_id("Repository", r.id)},
                        {"name", r.name},
                        {"full_name", r.full_name()},
                        {"private", false}};
  }

  int64_t enqueue_delivery(const std::string& event, const std::string& action, std::string body,
                           int64_t installation, int64_t repo_id, bool redelivery,
                           std::string guid) {
    std::lock_guard lock(hook_mu);
    DeliveryRec d;
    d.id = static_cast<int64_t>(deliveries.size()) + 70000001;
    d.guid = guid.empty() ? uuid() : std::move(guid);
    d.event = event;
    d.action = action;
    d.body = std::move(body);
    d.installation = installation;
    d.repo_id = repo_id;
    d.redelivery = redelivery;
    d.delivered_at = now_iso();
    deliveries.push_back(d);
    hook_queue.push_back(d.id);
    hook_cv.notify_all();
    return d.id;
  }

  void hook_loop() {
    std::unique_lock lock(hook_mu);
    for (;;) {
      hook_cv.wait(lock, [&] { return hook_stop || !hook_queue.empty(); });
      if (hook_queue.empty()) return;
      int64_t id = hook_queue.front();
      hook_queue.pop_front();
      DeliveryRec d = deliveries[static_cast<std::size_t>(id - 70000001)];
      lock.unlock();
      std::string webhook_url, webhook_secret;
      int64_t app_id = 0;
      {
        // A manifest conversion may change them (under mu).
        std::lock_guard state(mu);
        webhook_url = options.webhook_url;
        webhook_secret = options.webhook_secret;
        app_id = options.app_id;
      }
      int status_code = 0;
      std::string status = "not sent: no webhook URL";
      auto started = std::chrono::steady_clock::now();
      if (!webhook_url.empty()) {
        github::HttpCall call;
        call.method = "POST";
        call.url = webhook_url;
        call.body = d.body;
        call.follow_redirects = false;
        call.headers = {
            {"Content-Type", "application/json"},
            {"User-Agent", "GitHub-Hookshot/fake"},
            {"X-GitHub-Event", d.event},
            {"X-GitHub-Delivery", d.guid},
            {"X-GitHub-Hook-ID", "1"},
            {"X-GitHub-Hook-Installation-Target-Type", "integration"},
            {"X-GitHub-Hook-Installation-Target-ID", std::to_string(app_id)},
            {"X-Hub-Signature-256", "sha256=" + hmac_sha256_hex(webhook_secret, d.body)}};
        auto reply = hook_transport->send(call);
        if (reply) {
          status_code = reply->status;
          status =
              status_code < 300 ? "OK" : "Invalid HTTP Response: " + std::to_string(status_code);
        } else {
          status = "failed to connect to host";
        }
      }
      double duration =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      lock.lock();
      auto& rec = deliveries[static_cast<std::size_t>(id - 70000001)];
      rec.status_code = status_code;
      rec.status = status;
      rec.duration = duration;
      ++attempted;
      hook_cv.notify_all();
    }
  }

  // --------------------------------------------------------------- auth

  Auth authenticate(const Request& req) {
    Auth a;
    std::string h = req.header("authorization");
    if (h.empty()) return a;
    std::string cred;
    if (h.rfind("Bearer ", 0) == 0)
      cred = h.substr(7);
    else if (h.rfind("token ", 0) == 0)
      cred = h.substr(6);
    else if (h.rfind("Basic ", 0) == 0) {
      auto decoded = github::base64_decode(h.substr(6));
      a.kind = "bad";
      if (!decoded) return a;
      auto colon = decoded->find(':');
      if (colon == std::string::npos) return a;
      cred = decoded->substr(colon + 1);
      auto it = tokens.find(cred);
      if (it == tokens.end() || it->second.expires <= std::chrono::system_clock::now()) return a;
      a.kind = "basic";
      a.installation = it->second.installation;
      return a;
    } else {
      a.kind = "bad";
      return a;
    }
    if (std::count(cred.begin(), cred.end(), '.') == 2) {
      auto v = github::verify_app_jwt(cred, options.app_public_key_pem,
                                      std::chrono::system_clock::now());
      if (!v) {
        a.kind = "bad";
        a.problem = v.error().message;
        return a;
      }
      if (v->issuer != std::to_string(options.app_id) && v->issuer != options.app_client_id) {
        a.kind = "bad";
        a.problem = "JWT iss is not this App";
        return a;
      }
      a.kind = "jwt";
      return a;
    }
    auto it = tokens.find(cred);
    if (it == tokens.end() || it->second.expires <= std::chrono::system_clock::now()) {
      a.kind = "bad";
      return a;
    }
    a.kind = "token";
    a.installation = it->second.installation;
    return a;
  }

  // --------------------------------------------------------------- routing

  RepoRec* find_repo(const std::string& owner, const std::string& name) {
    auto it = repos.find(lower(owner + "/" + name));
    return it == repos.end() ? nullptr : &it->second;
  }

  Response fault_response(const Fault& f) {
    switch (f.kind) {
      case Fault::Kind::status:
        return error_response(f.status, f.status >= 500 ? "Server Error" : "Injected error");
      case Fault::Kind::secondary_limit: {
        auto r =
            error_response(403,
                           "You have exceeded a secondary rate limit. Please wait a few minutes "
                           "before you try again.",
                           "https://docs.github.com/rest/overview/"
                           "rate-limits-for-the-rest-api#about-secondary-rate-limits");
        if (f.retry_after >= 0)
          r.headers.emplace_back("retry-after", std::to_string(f.retry_after));
        return r;
      }
      case Fault::Kind::too_many: {
        auto r = error_response(429, "Too Many Requests");
        if (f.retry_after >= 0)
          r.headers.emplace_back("retry-after", std::to_string(f.retry_after));
        return r;
      }
      case Fault::Kind::primary_limit: {
        auto r =
            error_response(403, "API rate limit exceeded for installation ID 1.",
                           "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api");
        r.headers.emplace_back("x-ratelimit-limit", std::to_string(options.rate_limit));
        r.headers.emplace_back("x-ratelimit-remaining", "0");
        r.headers.emplace_back("x-ratelimit-reset",
                               std::to_string(unix_now() + f.reset_in.count()));
        r.headers.emplace_back("x-ratelimit-used", std::to_string(options.rate_limit));
        return r;
      }
      case Fault::Kind::drop: {
        Response r;
        r.drop = true;
        return r;
      }
      case Fault::Kind::body: {
        Response r;
        r.status = f.status;
        r.body = f.body;
        return r;
      }
      case Fault::Kind::slow:
      case Fault::Kind::lost:
        break;
    }
    return {};
  }

  std::optional<Fault> take_fault(const std::string& method, const std::string& route) {
    for (auto it = faults.begin(); it != faults.end(); ++it) {
      if ((it->method == "*" || it->method == method) && it->route == route) {
        Fault f = it->fault;
        if (--it->fault.times <= 0) faults.erase(it);
        return f;
      }
    }
    return std::nullopt;
  }

  Response handle(const Request& req) {
    if (req.path.rfind("/_fake/", 0) == 0) return control(req);
    if (auto signed_in = oauth_handle(req)) return *signed_in;
    std::unique_lock lock(mu);
    LoggedRequest entry;
    entry.method = req.method;
    entry.path = req.path;
    entry.query = req.query;
    entry.if_none_match = req.header("if-none-match");
    entry.body = req.body.size() > 65536 ? req.body.substr(0, 65536) : req.body;
    entry.at = std::chrono::steady_clock::now();
    Auth auth = authenticate(req);
    entry.auth = auth.kind;
    entry.installation_id = auth.installation;

    Response res;
    std::map<std::string, std::string> params;
    std::string route;
    bool git_route = req.path.find(".git/") != std::string::npos;
    if (git_route) {
      route = "/{owner}/{repo}.git/*";
    } else if (req.path.rfind("/_blobs/logs/", 0) == 0) {
      route = "/_blobs/logs/{job_id}";
    } else {
      for (auto& [m, t] : routes()) {
        if (m == req.method && match(t, req.raw_path, params)) {
          route = t;
          break;
        }
      }
    }
    entry.route = route;
    auto fault = route.empty() ? std::nullopt : take_fault(req.method, route);
    std::chrono::milliseconds delay{0};
    bool lose_answer = false;
    if (fault && (fault->kind == Fault::Kind::slow || fault->kind == Fault::Kind::lost)) {
      delay = fault->delay;
      lose_answer = fault->kind == Fault::Kind::lost;
      fault.reset();
    }
    if (fault) {
      res = fault_response(*fault);
    } else if (git_route) {
      res = git_http(req, auth);
    } else if (route == "/_blobs/logs/{job_id}") {
      res = blob_log(req);
    } else if (route.empty()) {
      res = error_response(404, "Not Found");
    } else {
      res = api(req, route, params, auth);
    }
    res.delay = delay;
    res.drop = res.drop || lose_answer;

    if (!git_route && route != "/_blobs/logs/{job_id}" && !res.drop) {
      // Conditional GETs: a matching ETag answers 304 and costs nothing.
      bool not_modified = false;
      if (req.method == "GET" && res.status == 200) {
        std::string etag = "W/\"" + std::to_string(std::hash<std::string>{}(res.body)) + "\"";
        res.headers.emplace_back("etag", etag);
        if (req.header("if-none-match") == etag) {
          not_modified = true;
          res.status = 304;
          res.body.clear();
        }
      }
      bool has_limit_headers = false;
      for (auto& h : res.headers)
        if (h.first == "x-ratelimit-remaining") has_limit_headers = true;
      if (!has_limit_headers && (auth.kind == "token" || auth.kind == "jwt")) {
        auto& q = quotas[auth.installation];
        if (q.reset <= unix_now()) {
          q.used = 0;
          q.reset = unix_now() + 3600;
        }
        if (!not_modified) ++q.used;
        res.headers.emplace_back("x-ratelimit-limit", std::to_string(options.rate_limit));
        res.headers.emplace_back("x-ratelimit-remaining",
                                 std::to_string(std::max(0, options.rate_limit - q.used)));
        res.headers.emplace_back("x-ratelimit-reset", std::to_string(q.reset));
        res.headers.emplace_back("x-ratelimit-used", std::to_string(q.used));
        res.headers.emplace_back("x-ratelimit-resource", "core");
      }
      res.headers.emplace_back("x-github-request-id",
                               upper(random_alnum(8)) + ":" + upper(random_alnum(6)));
      res.headers.emplace_back("x-github-api-version-selected", "2022-11-28");
    }
    // Like GitHub, larger answers are gzipped for clients that accept it.
    if (!git_route && !res.drop && res.body.size() >= 1024 &&
        req.header("accept-encoding").find("gzip") != std::string::npos) {
      res.body = gzip(res.body);
      res.headers.emplace_back("content-encoding", "gzip");
      entry.gzipped = true;
    }
    entry.status = res.drop ? 0 : res.status;
    log.push_back(std::move(entry));
    return res;
  }

  // Sign-in of people (fake_oauth.h): the authorize page, the token
  // exchange, and GET /user with a user token.
  std::optional<Response> oauth_handle(const Request& req) {
    if (req.path.rfind("/login/oauth/", 0) == 0) {
      FakeOAuth::App app;
      {
        std::lock_guard lock(mu);
        app = {options.app_slug, options.app_client_id, options.app_client_secret};
      }
      return oauth.handle(req, app);
    }
    if (req.path == "/user" && req.method == "GET") {
      auto login = oauth.login_of(req.header("authorization"));
      std::lock_guard lock(mu);
      if (login) return json_response(200, user_json(*login));
      // Not a person's token: GitHub's answers for the App's and for none.
      Auth auth = authenticate(req);
      if (auth.kind == "token" || auth.kind == "jwt")
        return error_response(403, "Resource not accessible by integration");
      return unauthorized(auth);
    }
    return std::nullopt;
  }

  Response unauthorized(const Auth& auth) {
    if (auth.kind == "none") return error_response(401, "Requires authentication");
    if (!auth.problem.empty())
      return error_response(401, "'Authorization' header is invalid: " + auth.problem);
    return error_response(401, "Bad credentials");
  }

  Response api(const Request& req, const std::string& route, std::map<std::string, std::string>& p,
               const Auth& auth) {
    // The manifest flow needs no credentials: a signed-in person (the form),
    // then the one-time code (the conversion).
    if (route == "/settings/apps/new" || route == "/organizations/{org}/settings/apps/new")
      return manifest_form(req, p["org"]);
    if (route == "/app-manifests/{code}/conversions") return convert_manifest(p["code"]);
    const bool app_route =
        route.rfind("/app", 0) == 0 || route == "/repos/{owner}/{repo}/installation";
    if (app_route) {
      if (auth.kind != "jwt") {
        if (auth.kind == "token")
          return error_response(401, "A JSON web token could not be decoded");
        return unauthorized(auth);
      }
      return app_api(req, route, p);
    }
    if (auth.kind == "jwt") return error_response(403, "Resource not accessible by integration");
    if (auth.kind != "token") return unauthorized(auth);
    if (route == "/rate_limit") {
      auto& q = quotas[auth.installation];
      json::object core{{"limit", options.rate_limit},
                        {"remaining", options.rate_limit - q.used},
                        {"reset", q.reset},
                        {"used", q.used}};
      return json_response(
          200, json::object{{"resources", json::object{{"core", core}}}, {"rate", core}});
    }
    if (route == "/installation/repositories") {
      json::array list;
      for (const auto& [name, repo] : repos)
        if (repo.installation == auth.installation) list.push_back(repo_json(repo));
      return json_response(200, json::object{{"total_count", static_cast<int64_t>(list.size())},
                                             {"repositories", list}});
    }
    RepoRec* r = find_repo(p["owner"], p["repo"]);
    // Another installation's repository does not exist, as far as this token knows.
    if (!r || r->installation != auth.installation) return error_response(404, "Not Found");
    return repo_api(req, route, p, *r);
  }

  // POST /settings/apps/new?state=S with the form field `manifest`: as if
  // the person clicked "Create GitHub App", redirects to the manifest's
  // redirect_url with a one-time code and the state.
  Response manifest_form(const Request& req, const std::string& org) {
    Request form;
    form.query = req.body;
    const std::string text = form.query_param("manifest");
    json::value manifest;
    try {
      manifest = json::parse(text);
    } catch (const std::exception&) {
      return error_response(422, "Invalid manifest: not JSON");
    }
    const auto* o = manifest.if_object();
    const auto* redirect = o ? o->if_contains("redirect_url") : nullptr;
    const auto* hook = o ? o->if_contains("hook_attributes") : nullptr;
    if (!o || !o->if_contains("url") || !redirect || !redirect->is_string() || !hook)
      return error_response(422,
                            "Invalid manifest: url, hook_attributes and redirect_url are required");
    const std::string code = random_alnum(20);
    manifest_codes[code] = PendingApp{*o, org.empty() ? std::string("octocat") : org};
    last_manifest = text;
    Response r;
    r.status = 302;
    r.content_type = "text/html; charset=utf-8";
    r.headers.emplace_back("location",
                           std::string(redirect->as_string()) + "?code=" + code +
                               "&state=" + percent_encode_query(req.query_param("state")));
    return r;
  }

  // POST /app-manifests/{code}/conversions: the App is created (the fake
  // becomes it: its id, key, webhook URL and secret); a code works once.
  Response convert_manifest(const std::string& code) {
    auto it = manifest_codes.find(code);
    if (it == manifest_codes.end()) return error_response(404, "Not Found");
    PendingApp pending = std::move(it->second);
    manifest_codes.erase(it);
    const json::object& m = pending.manifest;
    std::string name = m.contains("name") && m.at("name").is_string()
                           ? std::string(m.at("name").as_string())
                           : "app";
    std::string slug;
    for (char c : name)
      slug +=
          std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '-';
    auto keys = generate_rsa_key_pair();
    options.app_id = 100000 + static_cast<int64_t>(++apps_registered);
    options.app_slug = slug;
    options.app_client_id = "Iv1." + random_alnum(16);
    options.app_public_key_pem = keys.public_pem;
    options.webhook_secret = random_alnum(40);
    const auto& hook = m.at("hook_attributes").as_object();
    if (hook.contains("url") && hook.at("url").is_string())
      options.webhook_url = std::string(hook.at("url").as_string());
    json::object app = app_json();
    app["owner"] = user_json(pending.owner);
    app["client_id"] = options.app_client_id;
    options.app_client_secret = random_alnum(40);
    app["client_secret"] = options.app_client_secret;
    app["webhook_secret"] = options.webhook_secret;
    app["pem"] = keys.private_pem;
    if (m.contains("default_permissions")) app["permissions"] = m.at("default_permissions");
    if (m.contains("default_events")) app["events"] = m.at("default_events");
    return json_response(201, app);
  }

  Response app_api(const Request& req, const std::string& route,
                   std::map<std::string, std::string>& p) {
    if (route == "/app") return json_response(200, app_json());
    if (route == "/app/installations") {
      json::array a;
      for (auto& [id, account] : installations) a.push_back(installation_json(id, account));
      return json_response(200, a);
    }
    if (route == "/app/installations/{installation_id}/access_tokens") {
      int64_t id = is_number(p["installation_id"]) ? std::stoll(p["installation_id"]) : 0;
      if (!installations.count(id)) return error_response(404, "Not Found");
      if (suspended.count(id)) return error_response(403, "This installation has been suspended");
      std::string token = new_token();
      auto expires = std::chrono::system_clock::now() + options.token_ttl;
      tokens[token] = TokenRec{id, expires};
      return json_response(201,
                           json::object{{"token", token},
                                        {"expires_at", iso(expires)},
                                        {"permissions", json::object{{"contents", "write"},
                                                                     {"issues", "write"},
                                                                     {"pull_requests", "write"},
                                                                     {"checks", "write"},
                                                                     {"metadata", "read"}}},
                                        {"repository_selection", "all"}});
    }
    if (route == "/repos/{owner}/{repo}/installation") {
      RepoRec* r = find_repo(p["owner"], p["repo"]);
      if (!r || !installations.count(r->installation)) return error_response(404, "Not Found");
      return json_response(200, installation_json(r->installation, installations[r->installation]));
    }
    if (route == "/app/hook/deliveries") return list_deliveries(req);
    if (route == "/app/hook/deliveries/{delivery_id}") {
      std::lock_guard lock(hook_mu);
      for (auto& d : deliveries)
        if (std::to_string(d.id) == p["delivery_id"]) {
          auto o = delivery_json(d);
          o["request"] = json::object{
              {"headers", json::object{{"X-GitHub-Event", d.event}, {"X-GitHub-Delivery", d.guid}}},
              {"payload", d.body}};
          o["response"] = json::object{{"headers", json::object()}, {"payload", nullptr}};
          o["url"] = options.webhook_url;
          return json_response(200, o);
        }
      return error_response(404, "Not Found");
    }
    if (route == "/app/hook/deliveries/{delivery_id}/attempts") {
      DeliveryRec found;
      {
        std::lock_guard lock(hook_mu);
        for (auto& d : deliveries)
          if (std::to_string(d.id) == p["delivery_id"]) found = d;
      }
      if (found.id == 0) return error_response(404, "Not Found");
      enqueue_delivery(found.event, found.action, found.body, found.installation, found.repo_id,
                       true, found.guid);
      return json_response(202, json::object());
    }
    return error_response(404, "Not Found");
  }

  json::object installation_json(int64_t id, const std::string& account) {
    return json::object{{"id", id},
                        {"account", user_json(account)},
                        {"repository_selection", "all"},
                        {"access_tokens_url", api_base() + "/app/installations/" +
                                                  std::to_string(id) + "/access_tokens"},
                        {"repositories_url", api_base() + "/installation/repositories"},
                        {"html_url", web_base() + "/settings/installations/" + std::to_string(id)},
                        {"app_id", options.app_id},
                        {"app_slug", options.app_slug},
                        {"target_id", user_id(account)},
                        {"target_type", "User"},
                        {"permissions", json::object{{"contents", "write"}, {"issues", "write"}}},
                        {"events", json::array{"issues", "issue_comment", "pull_request"}},
                        {"created_at", "2024-01-01T00:00:00Z"},
                        {"updated_at", "2024-01-01T00:00:00Z"},
                        {"single_file_name", nullptr},
                        {"suspended_by", nullptr},
                        {"suspended_at", nullptr}};
  }

  json::object delivery_json(const DeliveryRec& d) {
    return json::object{
        {"id", d.id},
        {"guid", d.guid},
        {"delivered_at", d.delivered_at},
        {"redelivery", d.redelivery},
        {"duration", d.duration},
        {"status", d.status},
        {"status_code", d.status_code},
        {"event", d.event},
        {"action", d.action.empty() ? json::value(nullptr) : json::value(d.action)},
        {"installation_id", d.installation ? json::value(d.installation) : json::value(nullptr)},
        {"repository_id", d.repo_id ? json::value(d.repo_id) : json::value(nullptr)}};
  }

  // Newest first; the cursor is the id of the first delivery of the page.
  Response list_deliveries(const Request& req) {
    int per_page = 30;
    if (is_number(req.query_param("per_page")))
      per_page = std::clamp(std::stoi(req.query_param("per_page")), 1, 100);
    std::string cursor = req.query_param("cursor");
    std::lock_guard lock(hook_mu);
    json::array page;
    std::string next;
    bool started = cursor.empty();
    for (auto it = deliveries.rbegin(); it != deliveries.rend(); ++it) {
      if (!started) {
        if (std::to_string(it->id) != cursor) continue;
        started = true;
      }
      if (static_cast<int>(page.size()) == per_page) {
        next = std::to_string(it->id);
        break;
      }
      page.push_back(delivery_json(*it));
    }
    Response r = json_response(200, page);
    if (!next.empty())
      r.headers.emplace_back(
          "link", "<" + api_base() + "/app/hook/deliveries?per_page=" + std::to_string(per_page) +
                      "&cursor=" + next + ">; rel=\"next\"");
    return r;
  }

  // Pages a JSON array by per_page/page, with a Link header like GitHub's.
  Response paged(const Request& req, const json::array& all) {
    int per_page = 30, page = 1;
    if (is_number(req.query_param("per_page")))
      per_page = std::clamp(std::stoi(req.query_param("per_page")), 1, 100);
    if (is_number(req.query_param("page"))) page = std::max(1, std::stoi(req.query_param("page")));
    json::array out;
    std::size_t start = static_cast<std::size_t>((page - 1) * per_page);
    for (std::size_t i = start; i < all.size() && out.size() < static_cast<std::size_t>(per_page);
         ++i)
      out.push_back(all[i]);
    Response r = json_response(200, out);
    if (start + static_cast<std::size_t>(per_page) < all.size())
      r.headers.emplace_back("link", "<" + api_base() + req.path +
                                         "?per_page=" + std::to_string(per_page) +
                                         "&page=" + std::to_string(page + 1) + ">; rel=\"next\"");
    return r;
  }

  IssueRec* find_issue(RepoRec& r, const std::string& number) {
    if (!is_number(number)) return nullptr;
    auto it = r.issues.find(std::stoi(number));
    return it == r.issues.end() ? nullptr : &it->second;
  }

  Response add_reaction(std::vector<ReactionRec>& list, const std::string& content) {
    static const std::set<std::string> allowed = {"+1",    "-1",     "laugh",  "confused",
                                                  "heart", "hooray", "rocket", "eyes"};
    if (!allowed.count(content)) return error_response(422, "Validation Failed");
    const std::string user = bot_login();
    for (auto& existing : list)
      if (existing.user == user && existing.content == content)
        return json_response(200, reaction_json(existing));
    ReactionRec rec{new_id(), user, content, now_iso()};
    list.push_back(rec);
    return json_response(201, reaction_json(rec));
  }

  json::object reaction_json(const ReactionRec& r) {
    return json::object{{"id", r.id},
                        {"node_id", node_id("Reaction", r.id)},
                        {"user", user_json(r.user)},
                        {"content", r.content},
                        {"created_at", r.created_at}};
  }

  // A directory as GitHub lists it: one entry per name, without content
  // (a submodule is listed as a "file", as GitHub does).
  json::array directory_json(const RepoRec& r, const std::string& ref, const std::string& dir) {
    json::array out;
    auto listed = git(r.git_dir, {"ls-tree", "-l", ref + ":" + dir});
    std::istringstream lines(listed.out);
    for (std::string line; std::getline(lines, line);) {
      // "<mode> <type> <sha> <size>\t<name>"
      auto tab = line.find('\t');
      if (tab == std::string::npos) continue;
      std::istringstream fields(line.substr(0, tab));
      std::string mode, kind, sha, size;
      fields >> mode >> kind >> sha >> size;
      const std::string name = line.substr(tab + 1);
      const std::string path = dir + "/" + name;
      const std::string type = kind == "tree" ? "dir" : mode == "120000" ? "symlink" : "file";
      const std::string url = api_base() + "/repos/" + r.full_name() + "/contents/" + path;
      const std::string git_url = api_base() + "/repos/" + r.full_name() +
                                  (kind == "tree" ? "/git/trees/" : "/git/blobs/") + sha;
      const std::string html_url = web_base() + "/" + r.full_name() +
                                   (kind == "tree" ? "/tree/" : "/blob/") + ref + "/" + path;
      out.push_back(json::object{
          {"type", type},
          {"size", size == "-" ? int64_t{0} : std::stoll(size)},
          {"name", name},
          {"path", path},
          {"sha", sha},
          {"url", url + "?ref=" + ref},
          {"git_url", git_url},
          {"html_url", html_url},
          {"download_url", nullptr},
          {"_links",
           json::object{{"self", url + "?ref=" + ref}, {"git", git_url}, {"html", html_url}}}});
    }
    return out;
  }

  Response repo_api(const Request& req, const std::string& route,
                    std::map<std::string, std::string>& p, RepoRec& r) {
    const std::string bot = bot_login();
    Body body(req.body);
    if (route == "/repos/{owner}/{repo}") return json_response(200, repo_json(r));

    if (route == "/repos/{owner}/{repo}/contents/{path}") {
      std::string ref = req.query_param("ref");
      if (ref.empty()) ref = "main";
      auto type = git(r.git_dir, {"cat-file", "-t", ref + ":" + p["path"]});
      if (type.exit_code == 0 && first_line(type.out) == "tree")
        return json_response(200, directory_json(r, ref, p["path"]));
      if (type.exit_code != 0 || first_line(type.out) != "blob")
        return error_response(404, "Not Found");
      auto blob = git(r.git_dir, {"cat-file", "blob", ref + ":" + p["path"]});
      auto sha = first_line(git(r.git_dir, {"rev-parse", ref + ":" + p["path"]}).out);
      std::string encoded = github::base64_encode(blob.out);
      std::string wrapped;
      for (std::size_t i = 0; i < encoded.size(); i += 60) wrapped += encoded.substr(i, 60) + "\n";
      std::string url = api_base() + "/repos/" + r.full_name() + "/contents/" + p["path"];
      std::string name = p["path"].substr(
          p["path"].rfind('/') == std::string::npos ? 0 : p["path"].rfind('/') + 1);
      return json_response(
          200,
          json::object{
              {"type", "file"},
              {"encoding", "base64"},
              {"size", static_cast<int64_t>(blob.out.size())},
              {"name", name},
              {"path", p["path"]},
              {"content", wrapped},
              {"sha", sha},
              {"url", url + "?ref=" + ref},
              {"git_url", api_base() + "/repos/" + r.full_name() + "/git/blobs/" + sha},
              {"html_url", web_base() + "/" + r.full_name() + "/blob/" + ref + "/" + p["path"]},
              {"download_url", nullptr},
              {"_links",
               json::object{{"self", url + "?ref=" + ref},
                            {"git", api_base() + "/repos/" + r.full_name() + "/git/blobs/" + sha},
                            {"html", web_base() + "/" + r.full_name() + "/blob/" + ref + "/" +
                                         p["path"]}}}});
    }

    if (route == "/repos/{owner}/{repo}/issues/comments/{comment_id}" ||
        route == "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions") {
      auto it =
          is_number(p["comment_id"]) ? comments.find(std::stoll(p["comment_id"])) : comments.end();
      if (it == comments.end() || it->second.repo_id != r.id)
        return error_response(404, "Not Found");
      auto& c = it->second;
      if (route.size() > 50 && route.substr(route.size() - 10) == "/reactions") {
        if (req.method == "GET") {
          json::array a;
          for (auto& x : c.reactions) a.push_back(reaction_json(x));
          return json_response(200, a);
        }
        return add_reaction(c.reactions, body.valid ? str(body.root, "content") : "");
      }
      if (req.method == "GET") return json_response(200, comment_json(r, c));
      if (!body.valid || !has(body.root, "body")) return error_response(422, "Validation Failed");
      std::string old = c.body;
      c.body = str(body.root, "body");
      c.updated_at = now_iso();
      auto& issue = r.issues[c.issue];
      send_event(r, "issue_comment", "edited", bot,
                 json::object{{"changes", json::object{{"body", json::object{{"from", old}}}}},
                              {"issue", issue_json(r, issue)},
                              {"comment", comment_json(r, c)}});
      return json_response(200, comment_json(r, c));
    }

    if (route == "/repos/{owner}/{repo}/issues" && req.method == "POST") {
      if (!body.valid || str(body.root, "title").empty())
        return error_response(422, "Validation Failed");
      int n = create_issue_locked(r, bot, str(body.root, "title"), str(body.root, "body"), {});
      return json_response(201, issue_json(r, r.issues[n]));
    }

    if (route.rfind("/repos/{owner}/{repo}/issues/{issue_number}", 0) == 0) {
      IssueRec* issue = find_issue(r, p["issue_number"]);
      if (!issue) return error_response(404, "Not Found");
      const int n = issue->number;
      if (route == "/repos/{owner}/{repo}/issues/{issue_number}") {
        if (req.method == "PATCH" && body.valid) {
          if (has(body.root, "title")) issue->title = str(body.root, "title");
          if (has(body.root, "body")) issue->body = str(body.root, "body");
          if (has(body.root, "state")) {
            issue->state = str(body.root, "state");
            issue->closed_at = issue->state == "closed" ? now_iso() : "";
            send_event(r, "issues", issue->state == "closed" ? "closed" : "reopened", bot,
                       json::object{{"issue", issue_json(r, *issue)}});
          }
          issue->updated_at = now_iso();
        }
        return json_response(200, issue_json(r, *issue));
      }
      if (route == "/repos/{owner}/{repo}/issues/{issue_number}/comments") {
        if (req.method == "GET") {
          json::array all;
          for (auto& [id, c] : comments)
            if (c.repo_id == r.id && c.issue == n) all.push_back(comment_json(r, c));
          return paged(req, all);
        }
        if (!body.valid || str(body.root, "body").empty())
          return error_response(422, "Validation Failed");
        int64_t id = add_comment_locked(r, n, bot, str(body.root, "body"));
        return json_response(201, comment_json(r, comments[id]));
      }
      if (route == "/repos/{owner}/{repo}/issues/{issue_number}/reactions")
        return add_reaction(issue->reactions, body.valid ? str(body.root, "content") : "");
      // The issue's labels after a change, as GitHub answers them.
      auto issue_labels_response = [&] {
        json::array out;
        for (auto& name : issue->labels) out.push_back(label_json(r, ensure_label(r, name)));
        return json_response(200, out);
      };
      if (route == "/repos/{owner}/{repo}/issues/{issue_number}/labels") {
        if (req.method == "POST") {
          dom::array names;
          if (!body.valid || body.root["labels"].get_array().get(names))
            return error_response(422, "Validation Failed");
          for (dom::element e : names) {
            std::string_view s;
            if (e.get_string().get(s)) continue;
            std::string name(s);
            auto& label = ensure_label(r, name);  // GitHub creates a missing label
            bool present =
                std::any_of(issue->labels.begin(), issue->labels.end(),
                            [&](const std::string& l) { return lower(l) == lower(name); });
            if (!present) {
              issue->labels.push_back(label.name);
              issue->label_events.push_back({"labeled", label.name, bot});
              send_event(r, issue->is_pull ? "pull_request" : "issues", "labeled", bot,
                         labeled_payload(r, *issue, label));
            }
          }
        }
        return issue_labels_response();
      }
      if (route == "/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}") {
        auto it = std::find_if(issue->labels.begin(), issue->labels.end(),
                               [&](const std::string& l) { return lower(l) == lower(p["name"]); });
        if (it == issue->labels.end()) return error_response(404, "Label does not exist");
        auto label = ensure_label(r, *it);
        issue->labels.erase(it);
        issue->label_events.push_back({"unlabeled", label.name, bot});
        send_event(r, issue->is_pull ? "pull_request" : "issues", "unlabeled", bot,
                   labeled_payload(r, *issue, label));
        return issue_labels_response();
      }
    }

    if (route == "/repos/{owner}/{repo}/labels") {
      if (req.method == "GET") {
        json::array all;
        for (auto& [k, l] : r.labels) all.push_back(label_json(r, l));
        return paged(req, all);
      }
      std::string name = body.valid ? str(body.root, "name") : "";
      if (name.empty()) return error_response(422, "Validation Failed");
      if (r.labels.count(lower(name)))
        return json_response(
            422, json::object{{"message", "Validation Failed"},
                              {"errors", json::array{json::object{{"resource", "Label"},
                                                                  {"code", "already_exists"},
                                                                  {"field", "name"}}}},
                              {"documentation_url",
                               "https://docs.github.com/rest/issues/labels#create-a-label"},
                              {"status", "422"}});
      auto& l = ensure_label(r, name);
      if (has(body.root, "color")) l.color = str(body.root, "color");
      if (has(body.root, "description")) l.description = str(body.root, "description");
      return json_response(201, label_json(r, l));
    }
    if (route == "/repos/{owner}/{repo}/labels/{name}") {
      auto it = r.labels.find(lower(p["name"]));
      if (it == r.labels.end()) return error_response(404, "Not Found");
      return json_response(200, label_json(r, it->second));
    }

    if (route == "/repos/{owner}/{repo}/collaborators/{username}/permission") {
      std::string role = "none";
      auto it = r.permissions.find(lower(p["username"]));
      if (lower(p["username"]) == lower(r.owner))
        role = "admin";
      else if (it != r.permissions.end())
        role = it->second;
      // GitHub reports maintain as write and triage as read in "permission".
      std::string permission = role == "maintain" ? "write" : role == "triage" ? "read" : role;
      auto user = user_json(p["username"]);
      user["permissions"] = json::object{{"admin", role == "admin"},
                                         {"maintain", role == "admin" || role == "maintain"},
                                         {"push", permission == "admin" || permission == "write"},
                                         {"triage", role != "none" && role != "read"},
                                         {"pull", role != "none"}};
      user["role_name"] = role;
      return json_response(
          200, json::object{{"permission", permission}, {"role_name", role}, {"user", user}});
    }

    if (route == "/repos/{owner}/{repo}/pulls/comments/{comment_id}/reactions") {
      auto it = is_number(p["comment_id"]) ? review_comments.find(std::stoll(p["comment_id"]))
                                           : review_comments.end();
      if (it == review_comments.end() || it->second.repo_id != r.id)
        return error_response(404, "Not Found");
      return add_reaction(it->second.reactions, body.valid ? str(body.root, "content") : "");
    }

    if (route == "/repos/{owner}/{repo}/pulls") {
      if (req.method == "GET") {
        std::string head = req.query_param("head");
        std::string state = req.query_param("state");
        if (state.empty()) state = "open";
        json::array all;
        for (auto it = r.pulls.rbegin(); it != r.pulls.rend(); ++it) {
          auto& pr = it->second;
          auto& issue = r.issues[pr.number];
          if (state != "all" && issue.state != state) continue;
          if (!head.empty()) {
            auto colon = head.find(':');
            std::string branch = colon == std::string::npos ? head : head.substr(colon + 1);
            std::string owner = colon == std::string::npos ? r.owner : head.substr(0, colon);
            if (lower(owner) != lower(r.owner) || branch != pr.head_ref) continue;
          }
          all.push_back(pull_json(r, pr, true));
        }
        return paged(req, all);
      }
      if (!body.valid) return error_response(422, "Validation Failed");
      std::string head = str(body.root, "head"), base = str(body.root, "base");
      if (auto colon = head.find(':'); colon != std::string::npos) head = head.substr(colon + 1);
      auto head_sha = branch_sha_locked(r, head);
      auto base_sha = branch_sha_locked(r, base);
      if (str(body.root, "title").empty() || head_sha.empty() || base_sha.empty())
        return json_response(
            422,
            json::object{
                {"message", "Validation Failed"},
                {"errors", json::array{json::object{{"resource", "PullRequest"},
                                                    {"field", head_sha.empty() ? "head" : "base"},
                                                    {"code", "invalid"}}}},
                {"documentation_url",
                 "https://docs.github.com/rest/pulls/pulls#create-a-pull-request"},
                {"status", "422"}});
      for (auto& [n, existing] : r.pulls)
        if (existing.head_ref == head && r.issues[n].state == "open")
          return json_response(
              422, json::object{{"message", "Validation Failed"},
                                {"errors", json::array{json::object{
                                               {"resource", "PullRequest"},
                                               {"code", "custom"},
                                               {"message", "A pull request already exists for " +
                                                               r.owner + ":" + head + "."}}}},
                                {"documentation_url",
                                 "https://docs.github.com/rest/pulls/pulls#create-a-pull-request"},
                                {"status", "422"}});
      int n =
          create_issue_locked(r, bot, str(body.root, "title"), str(body.root, "body"), {}, true);
      PullRec pr;
      pr.number = n;
      pr.id = new_id();
      pr.head_ref = head;
      pr.base_ref = base;
      pr.head_sha = head_sha;
      pr.base_sha = base_sha;
      pr.user = bot;
      bool draft = false;
      if (!body.root["draft"].get_bool().get(draft)) pr.draft = draft;
      pr.computing_until = std::chrono::steady_clock::now() + options.mergeable_delay;
      r.pulls[n] = pr;
      auto j = pull_json(r, r.pulls[n], true);
      send_event(r, "pull_request", "opened", bot,
                 json::object{{"number", n}, {"pull_request", j}});
      return json_response(201, j);
    }

    if (route.rfind("/repos/{owner}/{repo}/pulls/{pull_number}", 0) == 0) {
      auto it =
          is_number(p["pull_number"]) ? r.pulls.find(std::stoi(p["pull_number"])) : r.pulls.end();
      if (it == r.pulls.end()) return error_response(404, "Not Found");
      auto& pr = it->second;
      if (route == "/repos/{owner}/{repo}/pulls/{pull_number}") {
        if (req.method == "PATCH" && body.valid) {
          auto& issue = r.issues[pr.number];
          if (has(body.root, "title")) issue.title = str(body.root, "title");
          if (has(body.root, "body")) issue.body = str(body.root, "body");
          if (has(body.root, "state")) {
            issue.state = str(body.root, "state");
            issue.closed_at = issue.state == "closed" ? now_iso() : "";
            send_event(r, "pull_request", issue.state == "closed" ? "closed" : "reopened", bot,
                       json::object{{"number", pr.number}, {"pull_request", pull_json(r, pr)}});
          }
          issue.updated_at = now_iso();
        }
        return json_response(200, pull_json(r, pr, true));
      }
      if (route == "/repos/{owner}/{repo}/pulls/{pull_number}/reviews") {
        json::array all;
        for (auto& [id, v] : reviews)
          if (v.repo_id == r.id && v.pull == pr.number) all.push_back(review_json(r, v, false));
        return paged(req, all);
      }
      if (route == "/repos/{owner}/{repo}/pulls/{pull_number}/comments") {
        json::array all;
        for (auto& [id, c] : review_comments)
          if (c.repo_id == r.id && c.pull == pr.number) all.push_back(review_comment_json(r, c));
        return paged(req, all);
      }
      if (route == "/repos/{owner}/{repo}/pulls/{pull_number}/comments/{comment_id}/replies") {
        auto cit = is_number(p["comment_id"]) ? review_comments.find(std::stoll(p["comment_id"]))
                                              : review_comments.end();
        if (cit == review_comments.end() || cit->second.pull != pr.number)
          return error_response(404, "Not Found");
        if (!body.valid || str(body.root, "body").empty())
          return error_response(422, "Validation Failed");
        ReviewCommentRec c = cit->second;
        c.id = new_id();
        c.user = bot;
        c.body = str(body.root, "body");
        c.in_reply_to = cit->second.in_reply_to ? *cit->second.in_reply_to : cit->second.id;
        c.created_at = c.updated_at = now_iso();
        c.reactions.clear();
        review_comments[c.id] = c;
        send_event(r, "pull_request_review_comment", "created", bot,
                   json::object{{"comment", review_comment_json(r, c)},
                                {"pull_request", pull_json(r, pr)}});
        return json_response(201, review_comment_json(r, c));
      }
    }

    if (route == "/repos/{owner}/{repo}/commits/{ref}/check-runs") {
      std::string sha = p["ref"];
      auto resolved = git(r.git_dir, {"rev-parse", "--verify", "--quiet", p["ref"] + "^{commit}"});
      if (resolved.exit_code == 0) sha = first_line(resolved.out);
      // filter=latest (GitHub's default): the newest run of each name only.
      const bool latest = req.query_param("filter") != "all";
      std::map<std::string, int64_t> newest;
      for (auto& [id, c] : check_runs)
        if (c.repo_id == r.id && c.head_sha == sha) newest[c.name] = std::max(newest[c.name], id);
      json::array all;
      for (auto& [id, c] : check_runs)
        if (c.repo_id == r.id && c.head_sha == sha && (!latest || newest[c.name] == id))
          all.push_back(check_run_json(r, c));
      int per_page = is_number(req.query_param("per_page"))
                         ? std::clamp(std::stoi(req.query_param("per_page")), 1, 100)
                         : 30;
      int page =
          is_number(req.query_param("page")) ? std::max(1, std::stoi(req.query_param("page"))) : 1;
      json::array out;
      std::size_t start = static_cast<std::size_t>((page - 1) * per_page);
      for (std::size_t i = start; i < all.size() && out.size() < static_cast<std::size_t>(per_page);
           ++i)
        out.push_back(all[i]);
      Response res = json_response(
          200,
          json::object{{"total_count", static_cast<int64_t>(all.size())}, {"check_runs", out}});
      if (start + static_cast<std::size_t>(per_page) < all.size())
        res.headers.emplace_back(
            "link", "<" + api_base() + req.path + "?per_page=" + std::to_string(per_page) +
                        "&page=" + std::to_string(page + 1) + ">; rel=\"next\"");
      return res;
    }

    if (route == "/repos/{owner}/{repo}/check-runs") {
      if (!body.valid || str(body.root, "name").empty() || str(body.root, "head_sha").empty())
        return error_response(422, "Validation Failed");
      CheckRunRec c;
      c.id = new_id();
      c.suite_id = new_id();
      c.repo_id = r.id;
      c.app_slug = options.app_slug;
      c.name = str(body.root, "name");
      c.head_sha = str(body.root, "head_sha");
      c.started_at = now_iso();
      apply_check_update(c, body.root);
      if (c.status.empty()) c.status = c.conclusion.empty() ? "queued" : "completed";
      check_runs[c.id] = c;
      send_event(r, "check_run", "created", bot,
                 json::object{{"check_run", check_run_json(r, check_runs[c.id])}});
      return json_response(201, check_run_json(r, check_runs[c.id]));
    }

    if (route.rfind("/repos/{owner}/{repo}/check-runs/{check_run_id}", 0) == 0) {
      auto it = is_number(p["check_run_id"]) ? check_runs.find(std::stoll(p["check_run_id"]))
                                             : check_runs.end();
      if (it == check_runs.end() || it->second.repo_id != r.id)
        return error_response(404, "Not Found");
      auto& c = it->second;
      if (route == "/repos/{owner}/{repo}/check-runs/{check_run_id}/annotations") {
        json::array all;
        for (auto& a : c.annotations)
          all.push_back(json::object{{"path", a.path},
                                     {"start_line", a.start_line},
                                     {"end_line", a.end_line},
                                     {"start_column", nullptr},
                                     {"end_column", nullptr},
                                     {"annotation_level", a.level},
                                     {"title", a.title},
                                     {"message", a.message},
                                     {"raw_details", nullptr},
                                     {"blob_href", web_base() + "/" + r.full_name() + "/blob/" +
                                                       c.head_sha + "/" + a.path}});
        return paged(req, all);
      }
      if (req.method == "PATCH") {
        if (c.app_slug != options.app_slug)
          return error_response(
              403, "Invalid app_id `" + std::to_string(options.app_id) +
                       "` - check run can only be modified by the GitHub App that created it.");
        if (!body.valid) return error_response(422, "Validation Failed");
        apply_check_update(c, body.root);
        if (!c.conclusion.empty()) c.status = "completed";
        send_event(r, "check_run", c.status == "completed" ? "completed" : "created", bot,
                   json::object{{"check_run", check_run_json(r, c)}});
      }
      return json_response(200, check_run_json(r, c));
    }

    if (route == "/repos/{owner}/{repo}/actions/runs/{run_id}/rerun-failed-jobs") {
      // A run is our check run's id (details_url /actions/runs/<id>/job/<id>).
      auto it =
          is_number(p["run_id"]) ? check_runs.find(std::stoll(p["run_id"])) : check_runs.end();
      if (it == check_runs.end() || it->second.repo_id != r.id)
        return error_response(404, "Not Found");
      if (it->second.status != "completed")
        return error_response(403, "This workflow is already running");
      reruns.push_back(it->first);
      return json_response(201, json::object{});
    }

    if (route == "/repos/{owner}/{repo}/actions/jobs/{job_id}/logs") {
      auto it =
          is_number(p["job_id"]) ? check_runs.find(std::stoll(p["job_id"])) : check_runs.end();
      if (it == check_runs.end() || it->second.repo_id != r.id)
        return error_response(404, "Not Found");
      // Like GitHub: a short-lived signed URL on another path, no credentials needed.
      Response res;
      res.status = 302;
      res.content_type.clear();
      // Another origin (localhost, not 127.0.0.1), as GitHub's blob storage is:
      // the client must not send its token there.
      res.headers.emplace_back(
          "location", scheme + "://localhost:" + std::to_string(server->port()) + "/_blobs/logs/" +
                          p["job_id"] + "?sig=" + hmac_sha256_hex(blob_secret, p["job_id"]));
      return res;
    }

    if (route == "/repos/{owner}/{repo}/git/ref/heads/{branch}") {
      auto sha = git(r.git_dir, {"rev-parse", "--verify", "--quiet",
                                 "refs/heads/" + p["branch"] + "^{commit}"});
      if (sha.exit_code != 0) return error_response(404, "Not Found");
      const std::string s = first_line(sha.out);
      const std::string ref = "refs/heads/" + p["branch"];
      return json_response(
          200, json::object{{"ref", ref},
                            {"node_id", node_id("Ref", r.id)},
                            {"url", api_base() + "/repos/" + r.full_name() + "/git/" + ref},
                            {"object", json::object{{"type", "commit"},
                                                    {"sha", s},
                                                    {"url", api_base() + "/repos/" + r.full_name() +
                                                                "/git/commits/" + s}}}});
    }

    if (route == "/repos/{owner}/{repo}/statuses/{sha}") {
      const std::string state = body.valid ? str(body.root, "state") : "";
      if (state != "pending" && state != "success" && state != "failure" && state != "error")
        return error_response(422, "Validation Failed");
      auto sha = git(r.git_dir, {"rev-parse", "--verify", "--quiet", p["sha"] + "^{commit}"});
      if (sha.exit_code != 0 || first_line(sha.out) != p["sha"])
        return error_response(422, "No commit found for SHA: " + p["sha"]);
      auto& st = add_status(r, p["sha"], state, str(body.root, "context"),
                            str(body.root, "description"), str(body.root, "target_url"), bot);
      return json_response(201, status_json(r, st, true));
    }

    // The combined status: the latest status of each context; failure when
    // one failed or errored, pending when one is pending (or there is none).
    if (route == "/repos/{owner}/{repo}/commits/{ref}/status") {
      auto resolved = git(r.git_dir, {"rev-parse", "--verify", "--quiet", p["ref"] + "^{commit}"});
      if (resolved.exit_code != 0)
        return error_response(404, "No commit found for SHA: " + p["ref"]);
      const std::string sha = first_line(resolved.out);
      std::map<std::string, const StatusRec*> latest;
      for (const auto& st : statuses)
        if (st.repo_id == r.id && st.sha == sha) latest[st.context] = &st;
      std::string state = latest.empty() ? "pending" : "success";
      json::array list;
      for (const auto& [context, st] : latest) {
        if (st->state == "failure" || st->state == "error")
          state = "failure";
        else if (st->state == "pending" && state != "failure")
          state = "pending";
        list.push_back(status_json(r, *st, false));
      }
      const std::string url = api_base() + "/repos/" + r.full_name() + "/commits/" + sha;
      return json_response(200, json::object{{"state", state},
                                             {"statuses", list},
                                             {"sha", sha},
                                             {"total_count", static_cast<int64_t>(list.size())},
                                             {"repository", repo_json(r)},
                                             {"commit_url", url},
                                             {"url", url + "/status"}});
    }

    if (route == "/repos/{owner}/{repo}/compare/{basehead}") {
      auto dots = p["basehead"].find("...");
      if (dots == std::string::npos) return error_response(404, "Not Found");
      std::string base = p["basehead"].substr(0, dots), head = p["basehead"].substr(dots + 3);
      auto bsha = git(r.git_dir, {"rev-parse", "--verify", "--quiet", base + "^{commit}"});
      auto hsha = git(r.git_dir, {"rev-parse", "--verify", "--quiet", head + "^{commit}"});
      if (bsha.exit_code != 0 || hsha.exit_code != 0) return error_response(404, "Not Found");
      std::string b = first_line(bsha.out), h = first_line(hsha.out);
      auto counts =
          first_line(git(r.git_dir, {"rev-list", "--left-right", "--count", b + "..." + h}).out);
      int behind = 0, ahead = 0;
      std::sscanf(counts.c_str(), "%d %d", &behind, &ahead);
      std::string mb = first_line(git(r.git_dir, {"merge-base", b, h}).out);
      auto names = git(r.git_dir, {"diff", "--name-status", mb, h});
      json::array files;
      std::size_t pos = 0;
      while (pos < names.out.size()) {
        auto nl = names.out.find('\n', pos);
        auto line = names.out.substr(pos, nl - pos);
        auto tab = line.find('\t');
        if (tab != std::string::npos) {
          char s = line[0];
          std::string status = s == 'A'   ? "added"
                               : s == 'D' ? "removed"
                               : s == 'R' ? "renamed"
                                          : "modified";
          files.push_back(json::object{{"sha", ""},
                                       {"filename", line.substr(line.rfind('\t') + 1)},
                                       {"status", status},
                                       {"additions", 0},
                                       {"deletions", 0},
                                       {"changes", 0},
                                       {"blob_url", ""},
                                       {"raw_url", ""},
                                       {"contents_url", ""}});
        }
        if (nl == std::string::npos) break;
        pos = nl + 1;
      }
      std::string status = ahead && behind ? "diverged"
                           : ahead         ? "ahead"
                           : behind        ? "behind"
                                           : "identical";
      auto commit_obj = [&](const std::string& sha) {
        return json::object{
            {"sha", sha},
            {"node_id", node_id("Commit", 1)},
            {"url", api_base() + "/repos/" + r.full_name() + "/commits/" + sha},
            {"html_url", web_base() + "/" + r.full_name() + "/commit/" + sha},
            {"comments_url",
             api_base() + "/repos/" + r.full_name() + "/commits/" + sha + "/comments"},
            {"commit", json::object{{"url", ""},
                                    {"author", nullptr},
                                    {"committer", nullptr},
                                    {"message", ""},
                                    {"comment_count", 0},
                                    {"tree", json::object{{"sha", ""}, {"url", ""}}}}},
            {"author", nullptr},
            {"committer", nullptr},
            {"parents", json::array()}};
      };
      std::string url = api_base() + "/repos/" + r.full_name() + "/compare/" + p["basehead"];
      return json_response(200, json::object{{"url", url},
                                             {"html_url", web_base() + "/" + r.full_name() +
                                                              "/compare/" + p["basehead"]},
                                             {"permalink_url", url},
                                             {"diff_url", url + ".diff"},
                                             {"patch_url", url + ".patch"},
                                             {"base_commit", commit_obj(b)},
                                             {"merge_base_commit", commit_obj(mb)},
                                             {"status", status},
                                             {"ahead_by", ahead},
                                             {"behind_by", behind},
                                             {"total_commits", ahead},
                                             {"commits", json::array()},
                                             {"files", files}});
    }
    return error_response(404, "Not Found");
  }

  void apply_check_update(CheckRunRec& c, dom::element b) {
    if (has(b, "name")) c.name = str(b, "name");
    // As on GitHub, a completed run stays completed (a conclusion completes it).
    if (has(b, "status") && (c.status != "completed" || str(b, "status") == "completed"))
      c.status = str(b, "status");
    if (has(b, "conclusion")) {
      c.conclusion = str(b, "conclusion");
      c.status = "completed";
      c.completed_at = now_iso();
    }
    if (has(b, "details_url")) c.details_url = str(b, "details_url");
    if (has(b, "external_id")) c.external_id = str(b, "external_id");
    dom::element out;
    if (!b["output"].get(out)) {
      if (has(out, "title")) c.title = str(out, "title");
      if (has(out, "summary")) c.summary = str(out, "summary");
      if (has(out, "text")) c.text = str(out, "text");
    }
  }

  json::object labeled_payload(RepoRec& r, IssueRec& issue, const LabelRec& label) {
    json::object o{{"label", label_json(r, label)}};
    if (issue.is_pull) {
      o["number"] = issue.number;
      o["pull_request"] = pull_json(r, r.pulls[issue.number]);
    } else {
      o["issue"] = issue_json(r, issue);
    }
    return o;
  }

  int create_issue_locked(RepoRec& r, const std::string& user, const std::string& title,
                          const std::string& body, const std::vector<std::string>& labels,
                          bool is_pull = false) {
    IssueRec i;
    i.id = new_id();
    i.number = r.next_number++;
    i.title = title;
    i.body = body;
    i.user = user;
    i.labels = labels;
    for (auto& l : labels) ensure_label(r, l);
    i.is_pull = is_pull;
    i.created_at = i.updated_at = now_iso();
    r.issues[i.number] = i;
    if (!is_pull)
      send_event(r, "issues", "opened", user,
                 json::object{{"issue", issue_json(r, r.issues[i.number])}});
    return i.number;
  }

  int64_t add_comment_locked(RepoRec& r, int number, const std::string& user,
                             const std::string& body) {
    CommentRec c;
    c.id = new_id();
    c.repo_id = r.id;
    c.issue = number;
    c.user = user;
    c.body = body;
    c.created_at = c.updated_at = now_iso();
    comments[c.id] = c;
    auto& issue = r.issues[number];
    issue.updated_at = c.created_at;
    send_event(r, "issue_comment", "created", user,
               json::object{{"issue", issue_json(r, issue)}, {"comment", comment_json(r, c)}});
    return c.id;
  }

  Response blob_log(const Request& req) {
    std::string job = req.path.substr(std::string("/_blobs/logs/").size());
    if (req.query_param("sig") != hmac_sha256_hex(blob_secret, job) || !is_number(job)) {
      Response r;
      r.status = 403;
      r.content_type = "application/xml";
      r.body = "<Error><Code>AuthenticationFailed</Code></Error>";
      return r;
    }
    auto it = check_runs.find(std::stoll(job));
    Response r;
    r.content_type = "text/plain";
    if (it == check_runs.end()) {
      r.status = 404;
      return r;
    }
    r.body = it->second.log;
    return r;
  }

  // ---------------------------------------------------------- git smart HTTP

  Response git_http(const Request& req, const Auth& auth) {
    auto pos = req.path.find(".git/");
    auto parts = split_path(req.path.substr(0, pos));
    Response denied;
    denied.status = 401;
    denied.content_type = "text/plain";
    denied.headers.emplace_back("www-authenticate", "Basic realm=\"GitHub\"");
    denied.body =
        "Invalid username or token. Password authentication is not supported for Git operations.\n";
    if (parts.size() != 2) {
      denied.status = 404;
      denied.headers.clear();
      denied.body = "Repository not found.\n";
      return denied;
    }
    if (auth.kind != "basic") return denied;
    RepoRec* r = find_repo(parts[0], parts[1]);
    if (!r || r->installation != auth.installation) {
      denied.status = 404;
      denied.headers.clear();
      denied.body = "Repository not found.\n";
      return denied;
    }
    std::string service_path = req.path.substr(pos + 4);  // "/info/refs", "/git-upload-pack", ...
    const bool push = service_path == "/git-receive-pack";
    std::map<std::string, std::string> before;
    if (push) before = refs(*r);
    std::vector<std::string> env = {
        "GIT_PROJECT_ROOT=" + options.state_dir + "/git",
        "GIT_HTTP_EXPORT_ALL=1",
        "REQUEST_METHOD=" + req.method,
        "PATH_INFO=/" + lower(r->owner) + "/" + lower(r->name) + ".git" + service_path,
        "QUERY_STRING=" + req.query,
        "CONTENT_TYPE=" + req.header("content-type"),
        "CONTENT_LENGTH=" + std::to_string(req.body.size()),
        "REMOTE_USER=x-access-token",
        "REMOTE_ADDR=127.0.0.1",
        "GIT_CONFIG_NOSYSTEM=1",
        "HOME=" + options.state_dir,
    };
    if (push) {
      // GitHub refuses an App's push that creates or changes a workflow
      // file unless the App has the `workflows` permission (ours has not).
      env.push_back("GIT_CONFIG_COUNT=1");
      env.push_back("GIT_CONFIG_KEY_0=core.hooksPath");
      env.push_back("GIT_CONFIG_VALUE_0=" + options.state_dir + "/hooks");
    }
    if (!req.header("content-encoding").empty())
      env.push_back("HTTP_CONTENT_ENCODING=" + req.header("content-encoding"));
    if (!req.header("git-protocol").empty())
      env.push_back("HTTP_GIT_PROTOCOL=" + req.header("git-protocol"));
    auto out = run_process({"git", "http-backend"}, env, req.body, tmp_dir());
    Response res;
    res.content_type.clear();
    auto split = out.out.find("\r\n\r\n");
    std::size_t skip = 4;
    if (split == std::string::npos) {
      split = out.out.find("\n\n");
      skip = 2;
    }
    if (out.exit_code != 0 && split == std::string::npos) {
      res.status = 500;
      res.body = "git http-backend failed\n";
      return res;
    }
    std::string head = out.out.substr(0, split);
    res.body = split == std::string::npos ? "" : out.out.substr(split + skip);
    std::size_t p = 0;
    while (p < head.size()) {
      auto nl = head.find('\n', p);
      std::string line = head.substr(p, nl - p);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      auto colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = lower(line.substr(0, colon));
        std::string value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        if (name == "status")
          res.status = std::atoi(value.c_str());
        else if (name == "content-type")
          res.content_type = value;
        else
          res.headers.emplace_back(name, value);
      }
      if (nl == std::string::npos) break;
      p = nl + 1;
    }
    if (push && res.status == 200) {
      auto after = refs(*r);
      std::set<std::string> names;
      for (auto& [k, v] : before) names.insert(k);
      for (auto& [k, v] : after) names.insert(k);
      for (auto& name : names) {
        std::string b = before.count(name) ? before[name] : "";
        std::string a = after.count(name) ? after[name] : "";
        if (a != b) ref_updated(*r, name, b, a, bot_login());
      }
    }
    return res;
  }

  // ------------------------------------------------------------- control API

  // /_fake/...: lets an out-of-process test script the fake (the program).
  Response control(const Request& req);
  FakeGitHub* self = nullptr;
};

// ============================================================ FakeGitHub

FakeGitHub::FakeGitHub(FakeGitHubOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->self = this;
}

FakeGitHub::~FakeGitHub() { stop(); }

Result<void> FakeGitHub::start() {
  auto& o = impl_->options;
  if (o.state_dir.empty()) return make_error("fake GitHub: state_dir is required");
  std::error_code ec;
  fs::create_directories(o.state_dir + "/git", ec);
  fs::create_directories(o.state_dir + "/tmp", ec);
  fs::create_directories(o.state_dir + "/hooks", ec);
  if (ec) return make_error("fake GitHub: cannot create " + o.state_dir + ": " + ec.message());
  o.state_dir = fs::absolute(o.state_dir).string();
  {
    const auto hook = o.state_dir + "/hooks/pre-receive";
    std::ofstream(hook) << kWorkflowsHook;
    fs::permissions(hook, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec, ec);
  }
  o.app_public_key_pem = public_key_of(o.app_public_key_pem);
  github::TransportOptions t;
  t.ca_file = o.webhook_ca_file;
  t.connect_timeout = std::chrono::milliseconds(5000);
  t.read_timeout = std::chrono::milliseconds(15000);
  t.user_agent = "GitHub-Hookshot/fake";
  impl_->hook_transport = std::make_unique<github::HttpTransport>(t);
  FakeServerOptions so;
  so.host = o.host;
  so.port = o.port;
  so.tls_cert_file = o.tls_cert_file;
  so.tls_key_file = o.tls_key_file;
  impl_->scheme = o.tls_cert_file.empty() ? "http" : "https";
  impl_->server =
      std::make_unique<FakeServer>(so, [this](const Request& r) { return impl_->handle(r); });
  auto started = impl_->server->start();
  if (!started) return started;
  o.port = impl_->server->port();  // a restart (stop, start) keeps the port and the state
  impl_->hook_stop = false;
  impl_->hook_thread = std::thread([this] { impl_->hook_loop(); });
  return {};
}

void FakeGitHub::stop() {
  if (!impl_->server) return;
  {
    std::unique_lock lock(impl_->hook_mu);
    impl_->hook_cv.wait_for(lock, 5s, [&] { return impl_->hook_queue.empty(); });
    impl_->hook_stop = true;
    impl_->hook_cv.notify_all();
  }
  if (impl_->hook_thread.joinable()) impl_->hook_thread.join();
  impl_->server->stop();
  impl_->server.reset();
}

uint16_t FakeGitHub::port() const { return impl_->server ? impl_->server->port() : 0; }
std::string FakeGitHub::base_url() const { return impl_->web_base(); }
std::string FakeGitHub::clone_url(const std::string& owner, const std::string& repo) const {
  return base_url() + "/" + owner + "/" + repo + ".git";
}

int64_t FakeGitHub::add_installation(const std::string& account) {
  std::lock_guard lock(impl_->mu);
  int64_t id = impl_->new_id();
  impl_->installations[id] = account;
  return id;
}

Result<int64_t> FakeGitHub::add_repository(int64_t installation_id, const std::string& owner,
                                           const std::string& name,
                                           const std::map<std::string, std::string>& files) {
  std::lock_guard lock(impl_->mu);
  if (!impl_->installations.count(installation_id)) return make_error("no such installation");
  RepoRec r;
  r.id = impl_->new_id();
  r.installation = installation_id;
  r.owner = owner;
  r.name = name;
  r.created_at = now_iso();
  r.git_dir = impl_->options.state_dir + "/git/" + lower(owner) + "/" + lower(name) + ".git";
  std::error_code ec;
  fs::create_directories(r.git_dir, ec);
  if (impl_->git(r.git_dir, {"init", "--bare", "--quiet", "--initial-branch=main"}).exit_code != 0)
    return make_error("git init failed in " + r.git_dir);
  (void)impl_->git(r.git_dir, {"config", "http.receivepack", "true"});
  auto initial =
      files.empty() ? std::map<std::string, std::string>{{"README.md", "# " + name + "\n"}} : files;
  auto commit = impl_->make_commit(r, "", initial, "Initial commit", owner);
  if (!commit) return commit.error();
  if (impl_->git(r.git_dir, {"update-ref", "refs/heads/main", *commit}).exit_code != 0)
    return make_error("update-ref failed");
  int64_t id = r.id;
  impl_->repos[lower(owner + "/" + name)] = std::move(r);
  return id;
}

void FakeGitHub::set_permission(const std::string& owner, const std::string& repo,
                                const std::string& user, const std::string& permission) {
  std::lock_guard lock(impl_->mu);
  if (auto* r = impl_->find_repo(owner, repo)) r->permissions[lower(user)] = permission;
}

std::string FakeGitHub::issue_token(int64_t installation_id, std::chrono::seconds ttl) {
  std::lock_guard lock(impl_->mu);
  std::string token = new_token();
  impl_->tokens[token] = TokenRec{installation_id, std::chrono::system_clock::now() + ttl};
  return token;
}

void FakeGitHub::revoke_tokens(int64_t installation_id) {
  std::lock_guard lock(impl_->mu);
  for (auto it = impl_->tokens.begin(); it != impl_->tokens.end();) {
    if (it->second.installation == installation_id)
      it = impl_->tokens.erase(it);
    else
      ++it;
  }
}

void FakeGitHub::uninstall(int64_t installation_id, const std::string& user) {
  std::lock_guard lock(impl_->mu);
  if (!impl_->installations.count(installation_id)) return;
  json::array listed;
  for (auto& [key, r] : impl_->repos)
    if (r.installation == installation_id) listed.push_back(impl_->repo_brief(r));
  impl_->send_installation_event(installation_id, "installation", "deleted", user,
                                 json::object{{"repositories", listed}});
  for (auto& [key, r] : impl_->repos)
    if (r.installation == installation_id) r.installation = 0;
  std::erase_if(impl_->tokens,
                [&](const auto& kv) { return kv.second.installation == installation_id; });
  impl_->installations.erase(installation_id);
  impl_->suspended.erase(installation_id);
}

void FakeGitHub::suspend_installation(int64_t installation_id, const std::string& user) {
  std::lock_guard lock(impl_->mu);
  if (!impl_->installations.count(installation_id)) return;
  impl_->suspended.insert(installation_id);
  std::erase_if(impl_->tokens,
                [&](const auto& kv) { return kv.second.installation == installation_id; });
  impl_->send_installation_event(installation_id, "installation", "suspend", user, {});
}

void FakeGitHub::unsuspend_installation(int64_t installation_id, const std::string& user) {
  std::lock_guard lock(impl_->mu);
  if (!impl_->suspended.erase(installation_id)) return;
  impl_->send_installation_event(installation_id, "installation", "unsuspend", user, {});
}

void FakeGitHub::remove_repository(int64_t installation_id, const std::string& owner,
                                   const std::string& repo, const std::string& user) {
  std::lock_guard lock(impl_->mu);
  auto* r = impl_->find_repo(owner, repo);
  if (!r || r->installation != installation_id) return;
  impl_->send_installation_event(
      installation_id, "installation_repositories", "removed", user,
      json::object{{"repository_selection", "selected"},
                   {"repositories_added", json::array{}},
                   {"repositories_removed", json::array{impl_->repo_brief(*r)}}});
  r->installation = 0;
}

int FakeGitHub::create_issue(const std::string& owner, const std::string& repo,
                             const std::string& user, const std::string& title,
                             const std::string& body, const std::vector<std::string>& labels) {
  std::lock_guard lock(impl_->mu);
  auto* r = impl_->find_repo(owner, repo);
  if (!r) return 0;
  return impl_->create_issue_locked(*r, user, title, body, labels);
}

int64_t FakeGitHub::add_comment(const std::string& owner, const std::string& repo, int number,
                                const std::string& user, const std::string& body) {
  std::lock_guard lock(impl_->mu);
  auto* r = impl_->find_repo(owner, repo);
  if (!r || !r->issues.count(number)) return 0;
  return impl_->add_comment_locked(*r, number, user, body);
}

void FakeGitHub::add_label_by(const std::string& owner, const std::string& repo, int number,
                              const std::string& user, const std::string& label) {
  std::lock_guard lock(impl_->mu);
  auto* r = impl_->find_repo(owner, repo);
  if (!r || !r->issues.count(number)) return;
  auto& issue = r->issues[number];
  auto& l = impl_->ensure_label(*r, label);
  for (const auto& existing : issue.labels)
    if (lower(existing) == lower(l.name)) return;
  issue.labels.push_back(l.name);
  issue.label_events.push_back({"labeled", l.name, user});
  impl_->send_event(*r, issue.is_pull ? "pull_request" : "issues", "labeled", user,
                    impl_->labeled_payload(*r, issue, l));
}

bool FakeGitHub::edit_comment(const std::string& owner, const std::string& repo, int64_t comment_id,
                              const std::string& user, const std::string& new_body) {
  std::lock_guard lock(impl_->mu);
  auto* r = impl_->find_repo(owner, repo);
  auto it = impl_->comments.find(comment_id);
  if (!r || it == impl_->comments.end() || it->second.repo_id != r->id) return false;
  auto& c = it->second;
  std::string old = c.body;
  c.body = new_body;
  c.updated_at = now_iso();
  auto& issue = r->issues[c.issue];
  impl_->send_event(*r, "issue_comment", "edited", user,
                    json::object{{"changes", json::object{{"body", json::object{{"from", old}}}}},
                                 {"issue", impl_->issue_json(*r, issue)},
                                 {"comment", impl_->comment_json(*r, c)}});
  return true;
}

void FakeGitHub::assign_issue(const std::string& owner, const std::string& repo, int number,
                              const std::string& user, const std::string& assignee) {
  std::lock_guard lock(impl_->mu);
  auto* r = impl_->find_repo(owner, repo);
  if (!r || !r->issues.count(number)) return;
  auto& issue = r->issues[number];
  for (const auto& a : issue.assignees)
    if (lower(a) == lower(assignee)) return;
  issue.assignees.push_back(assignee);
  issue.updated_at = now_iso();
  impl_->send_event(*r, issue.is_pull ? "pull_request" : "issues", "assigned", user,
                    issue.is_pull
                        ? json::object{{"number", number},
                                       {"assignee", impl_->user_json(assignee)},
                                       {"pull_request", impl_->pull_json(*r, r->pulls[number])}}
                        : json::object{{"assignee", impl_->user_json(assignee)},
                                       {"issue", impl_->issue_json(*r, issue)}});
}

void FakeGitHub::close_issue(const std::string& owner, const std::string& repo, int number,
                             const std::string& user) {
  std::lock_guard lock(impl_->mu);
  auto* r = impl_->find_repo(owner, repo);
  if (!r || !r->issues.count(number)) return;
  auto& issue = r->issues[number];
  if (issue.is_pull || issue.state == "closed") return;
  issue.state = "closed";
  issue.closed_at = issue.updated_at = now_iso();
  impl_->send_event(*r, "issues", "closed", user,
                    json::object{{"issue", impl_->issue_json(*r, issue)}});
}

void FakeGitHub::delete_issue(const std::string& owner, const std::string& repo, int number,
                              const std::string& user) {
  std::lock_guard lock(impl_->mu);
  auto* r = impl_->find_repo(owner, repo);
  if (!r || !r->issues.count(number) || r->issues[number].is_pull) return;
  auto payload = impl_->issue_json(*r, r->issues[number]);
  r->issues.erase(number);
  impl_->send_event(*r, "issues", "deleted", user, json::object{{"issue", payload}});
}

int64_t FakeGitHub::submit_review(const std::string& owner, const std::string& repo, int pull,
                                  const std::string& user, const std::string& state,
                                  const std::string& body,
                                  const std::vector<InlineComment>& inline_comments) {
  std::lock_guard lock(impl_->mu);
  auto* r = impl_->find_repo(owner, repo);
  if (!r || !r->pulls.count(pull)) return 0;
  auto& pr = r->pulls[pull];
  ReviewRec v;
  v.id = impl_->new_id();
  v.repo_id = r->id;
  v.pull = pull;
  v.user = user;
  v.state = upper(state);
  v.body = body;
  v.commit_id = pr.head_sha;
  v.submitted_at = now_iso();
  impl_->reviews[v.id] = v;
  for (auto& ic : inline_comments) {
    ReviewCommentRec c;
    c.id = impl_->new_id();
    c.repo_id = r->id;
    c.review_id = v.id;
    c.pull = pull;
    c.user = user;
    c.body = ic.body;
    c.path = ic.path;
    c.line = ic.line;
    c.commit_id = pr.head_sha;
    c.created_at = c.updated_at = v.submitted_at;
    impl_->review_comments[c.id] = c;
    impl_->send_event(*r, "pull_request_review_comment", "created", user,
                      json::object{{"comment", impl_->review_comment_json(*r, c)},
                                   {"pull_request", impl_->pull_json(*r, pr)}});
  }
  impl_->send_event(*r, "pull_request_review", "submitted", user,
                    json::object{{"review", impl_->review_json(*r, v, true)},
                                 {"pull_request", impl_->pull_json(*r, pr)}});
  return v.id;
}

int64_t FakeGitHub::add_check_run(const std::string& owner, const std::string& repo,
                                  const std::string& sha, const std::string& name,
                                  const std::string& conclusion, const std::string& log,
                                  const std::vector<Annotation>& annotations) {
  std::lock_guard lock(impl_->mu);
  auto* r = impl_->find_repo(owner, repo);
  if (!r) return 0;
  CheckRunRec c;
  c.id = impl_->new_id();
  c.suite_id = impl_->new_id();
  c.repo_id = r->id;
  c.head_sha = sha;
  c.name = name;
  c.status = "completed";
  c.conclusion = conclusion;
  c.title = name + (conclusion == "success" ? " succeeded" : " failed");
  c.summary = c.title;
  c.started_at = c.completed_at = now_iso();
  c.app_slug = "github-actions";
  c.annotations = annotations;
  c.log = log;
  impl_->check_runs[c.id] = c;
  auto run = impl_->check_run_json(*r, c);
  impl_->send_event(*r, "check_run", "completed", "github-actions[bot]",
                    json::object{{"check_run", run}});
  std::string suite_url = impl_->api_base() + "/repos/" + r->full_name() + "/check-suites/" +
                          std::to_string(c.suite_id);
  auto message = first_line(impl_->git(r->git_dir, {"log", "-1", "--format=%s", sha}).out);
  auto author = first_line(impl_->git(r->git_dir, {"log", "-1", "--format=%an", sha}).out);
  json::object person{{"name", author}, {"email", author + "@users.noreply.github.com"}};
  json::object suite{
      {"id", c.suite_id},
      {"node_id", node_id("CheckSuite", c.suite_id)},
      {"url", suite_url},
      {"check_runs_url", suite_url + "/check-runs"},
      {"head_sha", sha},
      {"head_branch", nullptr},
      {"before", nullptr},
      {"after", sha},
      {"status", "completed"},
      {"conclusion", conclusion},
      {"created_at", c.started_at},
      {"updated_at", c.completed_at},
      {"latest_check_runs_count", 1},
      {"head_commit",
       json::object{
           {"id", sha},
           {"tree_id", first_line(impl_->git(r->git_dir, {"rev-parse", sha + "^{tree}"}).out)},
           {"message", message},
           {"timestamp", c.started_at},
           {"author", person},
           {"committer", person}}},
      {"app", run["app"]},
      {"pull_requests", run["pull_requests"]}};
  impl_->send_event(*r, "check_suite", "completed", "github-actions[bot]",
                    json::object{{"check_suite", suite}});
  return c.id;
}

int64_t FakeGitHub::add_status(const std::string& owner, const std::string& repo,
                               const std::string& sha, const std::string& context,
                               const std::string& state, const std::string& description,
                               const std::string& target_url) {
  std::lock_guard lock(impl_->mu);
  auto* r = impl_->find_repo(owner, repo);
  if (!r) return 0;
  return impl_->add_status(*r, sha, state, context, description, target_url, "ci-service[bot]").id;
}

Result<std::string> FakeGitHub::commit_files(const std::string& owner, const std::string& repo,
                                             const std::string& branch,
                                             const std::map<std::string, std::string>& files,
                                             const std::string& message, const std::string& user) {
  std::lock_guard lock(impl_->mu);
  auto* r = impl_->find_repo(owner, repo);
  if (!r) return make_error("no such repository");
  std::string before = impl_->branch_sha_locked(*r, branch);
  std::string parent = before.empty() ? impl_->branch_sha_locked(*r, "main") : before;
  auto commit = impl_->make_commit(*r, parent, files, message, user);
  if (!commit) return commit;
  if (impl_->git(r->git_dir, {"update-ref", "refs/heads/" + branch, *commit}).exit_code != 0)
    return make_error("update-ref failed");
  impl_->ref_updated(*r, "refs/heads/" + branch, before, *commit, user);
  return commit;
}

Result<void> FakeGitHub::merge_pull(const std::string& owner, const std::string& repo, int pull,
                                    const std::string& user) {
  std::lock_guard lock(impl_->mu);
  auto* r = impl_->find_repo(owner, repo);
  if (!r || !r->pulls.count(pull)) return make_error("no such pull");
  auto& pr = r->pulls[pull];
  std::string base = impl_->branch_sha_locked(*r, pr.base_ref);
  std::string head = impl_->branch_sha_locked(*r, pr.head_ref);
  auto tree = impl_->git(r->git_dir, {"merge-tree", "--write-tree", "--no-messages", base, head});
  if (tree.exit_code != 0) return make_error("merge conflict");
  std::vector<std::string> id = {
      "GIT_AUTHOR_NAME=" + user, "GIT_AUTHOR_EMAIL=" + user + "@users.noreply.github.com",
      "GIT_COMMITTER_NAME=" + user, "GIT_COMMITTER_EMAIL=" + user + "@users.noreply.github.com"};
  auto commit = impl_->git(r->git_dir,
                           {"commit-tree", first_line(tree.out), "-p", base, "-p", head, "-m",
                            "Merge pull request #" + std::to_string(pull)},
                           id);
  if (commit.exit_code != 0) return make_error("commit-tree failed");
  std::string sha = first_line(commit.out);
  (void)impl_->git(r->git_dir, {"update-ref", "refs/heads/" + pr.base_ref, sha});
  pr.merged = true;
  pr.merge_commit_sha = sha;
  pr.merged_at = now_iso();
  pr.merged_by = user;
  pr.head_sha = head;
  auto& issue = r->issues[pull];
  issue.state = "closed";
  issue.closed_at = pr.merged_at;
  impl_->ref_updated(*r, "refs/heads/" + pr.base_ref, base, sha, user);
  impl_->send_event(*r, "pull_request", "closed", user,
                    json::object{{"number", pull}, {"pull_request", impl_->pull_json(*r, pr)}});
  return {};
}

Result<void> FakeGitHub::set_pull_state(const std::string& owner, const std::string& repo, int pull,
                                        const std::string& user, const std::string& state) {
  std::lock_guard lock(impl_->mu);
  auto* r = impl_->find_repo(owner, repo);
  if (!r || !r->pulls.count(pull)) return make_error("no such pull");
  auto& pr = r->pulls[pull];
  if (pr.merged) return make_error("a merged pull cannot change state");
  auto& issue = r->issues[pull];
  if (issue.state == state) return {};
  issue.state = state;
  issue.closed_at = state == "closed" ? now_iso() : "";
  issue.updated_at = now_iso();
  impl_->send_event(*r, "pull_request", state == "closed" ? "closed" : "reopened", user,
                    json::object{{"number", pull}, {"pull_request", impl_->pull_json(*r, pr)}});
  return {};
}

std::vector<LoggedRequest> FakeGitHub::requests() const {
  std::lock_guard lock(impl_->mu);
  return impl_->log;
}

void FakeGitHub::clear_requests() {
  std::lock_guard lock(impl_->mu);
  impl_->log.clear();
}

std::string FakeGitHub::registered_manifest() const {
  std::lock_guard lock(impl_->mu);
  return impl_->last_manifest;
}

std::vector<SentWebhook> FakeGitHub::webhooks() const {
  std::lock_guard lock(impl_->hook_mu);
  std::vector<SentWebhook> out;
  for (auto& d : impl_->deliveries)
    out.push_back({d.id, d.guid, d.event, d.action, d.body, d.status_code});
  return out;
}

int64_t FakeGitHub::send_again_as_another_hook(int64_t delivery_id) {
  DeliveryRec found;
  {
    std::lock_guard lock(impl_->hook_mu);
    auto index = delivery_id - 70000001;
    if (index < 0 || index >= static_cast<int64_t>(impl_->deliveries.size())) return 0;
    found = impl_->deliveries[static_cast<std::size_t>(index)];
  }
  return impl_->enqueue_delivery(found.event, found.action, found.body, found.installation,
                                 found.repo_id, false, "");
}

bool FakeGitHub::wait_for_webhooks(std::size_t count, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->hook_mu);
  return impl_->hook_cv.wait_for(lock, timeout, [&] { return impl_->attempted >= count; });
}

std::vector<std::string> FakeGitHub::issue_labels(const std::string& owner, const std::string& repo,
                                                  int number) const {
  std::lock_guard lock(impl_->mu);
  auto* r = impl_->find_repo(owner, repo);
  if (!r || !r->issues.count(number)) return {};
  return r->issues.at(number).labels;
}

std::vector<ReviewCommentView> FakeGitHub::review_comments(const std::string& owner,
                                                           const std::string& repo,
                                                           int pull) const {
  std::lock_guard lock(impl_->mu);
  std::vector<ReviewCommentView> out;
  auto* r = impl_->find_repo(owner, repo);
  if (!r) return out;
  for (const auto& [id, c] : impl_->review_comments)
    if (c.repo_id == r->id && c.pull == pull)
      out.push_back({id, c.review_id, c.in_reply_to.value_or(0), c.user, c.path, c.body, c.line});
  return out;
}

std::vector<ReviewView> FakeGitHub::reviews(const std::string& owner, const std::string& repo,
                                            int pull) const {
  std::lock_guard lock(impl_->mu);
  std::vector<ReviewView> out;
  auto* r = impl_->find_repo(owner, repo);
  if (!r) return out;
  for (const auto& [id, v] : impl_->reviews)
    if (v.repo_id == r->id && v.pull == pull)
      out.push_back({id, v.user, v.state, v.body, v.commit_id});
  return out;
}

std::vector<FakeGitHub::CheckRunView> FakeGitHub::check_runs(const std::string& owner,
                                                             const std::string& repo,
                                                             const std::string& sha) const {
  std::lock_guard lock(impl_->mu);
  std::vector<CheckRunView> out;
  auto* r = impl_->find_repo(owner, repo);
  if (!r) return out;
  for (const auto& [id, c] : impl_->check_runs)
    if (c.repo_id == r->id && c.head_sha == sha)
      out.push_back({c.app_slug, c.name, c.status, c.conclusion, c.title});
  return out;
}

std::vector<int64_t> FakeGitHub::reruns() const {
  std::lock_guard lock(impl_->mu);
  return impl_->reruns;
}

std::vector<std::string> FakeGitHub::repo_labels(const std::string& owner,
                                                 const std::string& repo) const {
  std::lock_guard lock(impl_->mu);
  auto* r = impl_->find_repo(owner, repo);
  std::vector<std::string> out;
  if (r)
    for (auto& [k, l] : r->labels) out.push_back(l.name);
  return out;
}

std::vector<CommentView> FakeGitHub::comments(const std::string& owner, const std::string& repo,
                                              int number) const {
  std::lock_guard lock(impl_->mu);
  auto* r = impl_->find_repo(owner, repo);
  std::vector<CommentView> out;
  if (!r) return out;
  for (auto& [id, c] : impl_->comments)
    if (c.repo_id == r->id && c.issue == number)
      out.push_back({c.id, c.user, c.body, c.created_at, c.updated_at});
  return out;
}

std::optional<CommentView> FakeGitHub::comment(const std::string& owner, const std::string& repo,
                                               int64_t comment_id) const {
  std::lock_guard lock(impl_->mu);
  auto* r = impl_->find_repo(owner, repo);
  auto it = impl_->comments.find(comment_id);
  if (!r || it == impl_->comments.end() || it->second.repo_id != r->id) return std::nullopt;
  const auto& c = it->second;
  return CommentView{c.id, c.user, c.body, c.created_at, c.updated_at};
}

std::optional<PullView> FakeGitHub::pull(const std::string& owner, const std::string& repo,
                                         int number) const {
  std::lock_guard lock(impl_->mu);
  auto* r = impl_->find_repo(owner, repo);
  if (!r || !r->pulls.count(number)) return std::nullopt;
  auto& p = r->pulls.at(number);
  auto& i = r->issues.at(number);
  return PullView{number,     i.state,  i.title, p.head_ref, p.head_sha,
                  p.base_ref, p.merged, i.body,  p.user};
}

std::vector<PullView> FakeGitHub::pulls(const std::string& owner, const std::string& repo) const {
  std::lock_guard lock(impl_->mu);
  auto* r = impl_->find_repo(owner, repo);
  std::vector<PullView> out;
  if (!r) return out;
  for (auto& [number, p] : r->pulls) {
    auto& i = r->issues.at(number);
    out.push_back(
        {number, i.state, i.title, p.head_ref, p.head_sha, p.base_ref, p.merged, i.body, p.user});
  }
  return out;
}

std::vector<std::string> FakeGitHub::reactions(const std::string& owner, const std::string& repo,
                                               int64_t comment_id) const {
  std::lock_guard lock(impl_->mu);
  std::vector<std::string> out;
  auto* r = impl_->find_repo(owner, repo);
  if (!r) return out;
  if (auto it = impl_->comments.find(comment_id); it != impl_->comments.end())
    for (auto& x : it->second.reactions) out.push_back(x.content);
  if (auto it = impl_->review_comments.find(comment_id); it != impl_->review_comments.end())
    for (auto& x : it->second.reactions) out.push_back(x.content);
  return out;
}

std::vector<ReactionView> FakeGitHub::comment_reactions(const std::string& owner,
                                                        const std::string& repo,
                                                        int64_t comment_id) const {
  std::lock_guard lock(impl_->mu);
  std::vector<ReactionView> out;
  auto* r = impl_->find_repo(owner, repo);
  if (!r) return out;
  if (auto it = impl_->comments.find(comment_id); it != impl_->comments.end())
    for (auto& x : it->second.reactions) out.push_back({x.user, x.content});
  if (auto it = impl_->review_comments.find(comment_id); it != impl_->review_comments.end())
    for (auto& x : it->second.reactions) out.push_back({x.user, x.content});
  return out;
}

std::vector<LabelEvent> FakeGitHub::label_history(const std::string& owner, const std::string& repo,
                                                  int number) const {
  std::lock_guard lock(impl_->mu);
  auto* r = impl_->find_repo(owner, repo);
  if (!r || !r->issues.count(number)) return {};
  return r->issues.at(number).label_events;
}

std::string FakeGitHub::git_dir(const std::string& owner, const std::string& repo) const {
  std::lock_guard lock(impl_->mu);
  auto* r = impl_->find_repo(owner, repo);
  return r ? r->git_dir : "";
}

std::string FakeGitHub::branch_sha(const std::string& owner, const std::string& repo,
                                   const std::string& branch) const {
  std::lock_guard lock(impl_->mu);
  auto* r = impl_->find_repo(owner, repo);
  return r ? impl_->branch_sha_locked(*r, branch) : "";
}

void FakeGitHub::inject_fault(const std::string& method, const std::string& route, Fault fault) {
  std::lock_guard lock(impl_->mu);
  impl_->faults.push_back({method, route, fault});
}

void FakeGitHub::clear_faults() {
  std::lock_guard lock(impl_->mu);
  impl_->faults.clear();
}

// ------------------------------------------------------------ control API

Response FakeGitHub::Impl::control(const Request& req) {
  Body body(req.body);
  auto s = [&](const char* k) { return body.valid ? str(body.root, k) : std::string(); };
  auto n = [&](const char* k) { return body.valid ? i64(body.root, k) : 0; };
  const std::string& path = req.path;
  if (req.method == "GET" && path == "/_fake/requests") {
    json::array a;
    for (auto& e : self->requests())
      a.push_back(json::object{{"method", e.method},
                               {"path", e.path},
                               {"query", e.query},
                               {"route", e.route},
                               {"status", e.status},
                               {"auth", e.auth},
                               {"installation_id", e.installation_id}});
    return json_response(200, a);
  }
  if (req.method == "GET" && path == "/_fake/webhooks") {
    json::array a;
    for (auto& w : self->webhooks())
      a.push_back(json::object{{"delivery_id", w.delivery_id},
                               {"guid", w.guid},
                               {"event", w.event},
                               {"action", w.action},
                               {"status_code", w.status_code}});
    return json_response(200, a);
  }
  if (req.method != "POST") return error_response(404, "Not Found");
  // The "files" object of a request: path → content.
  auto files_of = [&] {
    std::map<std::string, std::string> files;
    dom::object fo;
    if (body.valid && !body.root["files"].get_object().get(fo))
      for (auto field : fo) {
        std::string_view v;
        if (!field.value.get_string().get(v)) files[std::string(field.key)] = std::string(v);
      }
    return files;
  };
  if (path == "/_fake/installations")
    return json_response(201, json::object{{"id", self->add_installation(s("account"))}});
  if (path == "/_fake/repositories") {
    auto files = files_of();
    auto id = self->add_repository(n("installation_id"), s("owner"), s("name"), files);
    if (!id) return error_response(422, id.error().message);
    return json_response(201, json::object{{"id", *id}});
  }
  if (path == "/_fake/permissions") {
    self->set_permission(s("owner"), s("repo"), s("user"), s("permission"));
    return json_response(200, json::object());
  }
  if (path == "/_fake/tokens")
    return json_response(
        201, json::object{
                 {"token", self->issue_token(n("installation_id"),
                                             std::chrono::seconds(n("ttl") ? n("ttl") : 3600))}});
  if (path == "/_fake/issues") {
    std::vector<std::string> labels;
    dom::array la;
    if (body.valid && !body.root["labels"].get_array().get(la))
      for (dom::element e : la) {
        std::string_view v;
        if (!e.get_string().get(v)) labels.emplace_back(v);
      }
    return json_response(
        201, json::object{{"number", self->create_issue(s("owner"), s("repo"), s("user"),
                                                        s("title"), s("body"), labels)}});
  }
  if (path == "/_fake/comments")
    return json_response(201, json::object{{"id", self->add_comment(s("owner"), s("repo"),
                                                                    static_cast<int>(n("number")),
                                                                    s("user"), s("body"))}});
  if (path == "/_fake/labels") {
    self->add_label_by(s("owner"), s("repo"), static_cast<int>(n("number")), s("user"), s("label"));
    return json_response(200, json::object());
  }
  if (path == "/_fake/comment-edits") {
    if (!self->edit_comment(s("owner"), s("repo"), n("id"), s("user"), s("body")))
      return error_response(404, "Not Found");
    return json_response(200, json::object());
  }
  if (path == "/_fake/assignments") {
    self->assign_issue(s("owner"), s("repo"), static_cast<int>(n("number")), s("user"),
                       s("assignee"));
    return json_response(200, json::object());
  }
  if (path == "/_fake/closures") {
    self->close_issue(s("owner"), s("repo"), static_cast<int>(n("number")), s("user"));
    return json_response(200, json::object());
  }
  if (path == "/_fake/reviews") {
    std::vector<InlineComment> inl;
    dom::array ca;
    if (body.valid && !body.root["comments"].get_array().get(ca))
      for (dom::element e : ca)
        inl.push_back({str(e, "path"), static_cast<int>(i64(e, "line", 1)), str(e, "body")});
    return json_response(
        201,
        json::object{{"id", self->submit_review(s("owner"), s("repo"), static_cast<int>(n("pull")),
                                                s("user"), s("state"), s("body"), inl)}});
  }
  if (path == "/_fake/check-runs")
    return json_response(
        201, json::object{{"id", self->add_check_run(s("owner"), s("repo"), s("sha"), s("name"),
                                                     s("conclusion"), s("log"))}});
  if (path == "/_fake/commits") {
    auto files = files_of();
    auto sha = self->commit_files(s("owner"), s("repo"), s("branch"), files, s("message"),
                                  s("user").empty() ? "octocat" : s("user"));
    if (!sha) return error_response(422, sha.error().message);
    return json_response(201, json::object{{"sha", *sha}});
  }
  if (path == "/_fake/merges") {
    auto merged = self->merge_pull(s("owner"), s("repo"), static_cast<int>(n("pull")), s("user"));
    if (!merged) return error_response(409, merged.error().message);
    return json_response(200, json::object());
  }
  if (path == "/_fake/faults") {
    Fault f;
    std::string kind = s("kind");
    f.kind = kind == "secondary_limit" ? Fault::Kind::secondary_limit
             : kind == "too_many"      ? Fault::Kind::too_many
             : kind == "primary_limit" ? Fault::Kind::primary_limit
             : kind == "slow"          ? Fault::Kind::slow
             : kind == "drop"          ? Fault::Kind::drop
             : kind == "lost"          ? Fault::Kind::lost
                                       : Fault::Kind::status;
    if (n("status")) f.status = static_cast<int>(n("status"));
    if (body.valid && has(body.root, "retry_after"))
      f.retry_after = static_cast<int>(n("retry_after"));
    f.delay = std::chrono::milliseconds(n("delay_ms"));
    if (body.valid && has(body.root, "reset_in")) f.reset_in = std::chrono::seconds(n("reset_in"));
    f.times = n("times") ? static_cast<int>(n("times")) : 1;
    self->inject_fault(s("method").empty() ? "*" : s("method"), s("route"), f);
    return json_response(200, json::object());
  }
  return error_response(404, "Not Found");
}

}  // namespace bottega::fake_github
