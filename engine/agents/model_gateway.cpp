#include "engine/agents/model_gateway.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <mutex>

#include "config/base/log.h"
#include "config/base/redactor.h"
#include "engine/agents/local_server.h"
#include "github/http_transport.h"

namespace bottega::agents {
namespace {

using local::Clock;
using local::Io;
using simdjson::dom::element;
using simdjson::dom::object;

constexpr int64_t kMaxTokens = 1'000'000'000'000'000;  // 1e15: far past any real count
constexpr std::size_t kMaxHeadBytes = 64 * 1024;
constexpr std::size_t kMaxRequestsKept = 10'000;
constexpr auto kBodyTimeout = std::chrono::seconds(60);

// ---- usage --------------------------------------------------------------

int64_t clamp_add(int64_t a, int64_t b) { return std::min(kMaxTokens, a + b); }

void add_usage(Usage& into, const Usage& u) {
  into.input_tokens = clamp_add(into.input_tokens, u.input_tokens);
  into.cached_input_tokens = clamp_add(into.cached_input_tokens, u.cached_input_tokens);
  into.cache_write_tokens = clamp_add(into.cache_write_tokens, u.cache_write_tokens);
  into.output_tokens = clamp_add(into.output_tokens, u.output_tokens);
  into.reasoning_tokens = clamp_add(into.reasoning_tokens, u.reasoning_tokens);
  if (u.cost_usd) into.cost_usd = into.cost_usd.value_or(0.0) + *u.cost_usd;
}

// A count: negative or non-integer values are ignored (0), huge ones clamped.
std::optional<int64_t> count_opt(object o, std::string_view key) {
  element e;
  if (o[key].get(e)) return std::nullopt;
  int64_t v = 0;
  if (!e.get_int64().get(v)) return std::clamp<int64_t>(v, 0, kMaxTokens);
  uint64_t u = 0;
  if (!e.get_uint64().get(u)) return kMaxTokens;
  return std::nullopt;
}
int64_t count(object o, std::string_view key) { return count_opt(o, key).value_or(0); }

int64_t nested(object o, std::string_view outer, std::string_view key) {
  object sub;
  if (o[outer].get(sub)) return 0;
  return count(sub, key);
}

Usage anthropic_usage(object u) {
  Usage out;
  out.input_tokens = count(u, "input_tokens");
  out.cached_input_tokens = count(u, "cache_read_input_tokens");
  out.cache_write_tokens = count(u, "cache_creation_input_tokens");
  out.output_tokens = count(u, "output_tokens");
  return out;
}

// OpenAI counts cached tokens inside the prompt total.
Usage responses_usage(object u) {
  Usage out;
  out.cached_input_tokens = nested(u, "input_tokens_details", "cached_tokens");
  out.input_tokens = std::max<int64_t>(0, count(u, "input_tokens") - out.cached_input_tokens);
  out.output_tokens = count(u, "output_tokens");
  out.reasoning_tokens = nested(u, "output_tokens_details", "reasoning_tokens");
  return out;
}

Usage chat_usage(object u) {
  Usage out;
  out.cached_input_tokens = nested(u, "prompt_tokens_details", "cached_tokens");
  out.input_tokens = std::max<int64_t>(0, count(u, "prompt_tokens") - out.cached_input_tokens);
  out.output_tokens = count(u, "completion_tokens");
  out.reasoning_tokens = nested(u, "completion_tokens_details", "reasoning_tokens");
  return out;
}

bool has_key(object o, std::string_view key) {
  element e;
  return !o[key].get(e);
}

std::string_view str(object o, std::string_view key) {
  std::string_view s;
  if (o[key].get(s)) return {};
  return s;
}

// Usage of a whole JSON answer by its shape.
Usage json_usage(object body) {
  object u;
  if (body["usage"].get(u)) return {};
  if (has_key(u, "prompt_tokens") || has_key(u, "completion_tokens")) return chat_usage(u);
  if (str(body, "object") == "response" || has_key(u, "input_tokens_details"))
    return responses_usage(u);
  return anthropic_usage(u);
}

// Walks an SSE stream: Anthropic's message_start then cumulative
// message_delta counts; Responses' final response.* event; chat chunks'
// usage (the last one seen: some providers repeat it cumulatively).
class SseMeter {
 public:
  void event(std::string_view data) {
    if (data.find("\"usage\"") == std::string_view::npos) return;
    object o;
    if (parser_.parse(data.data(), data.size()).get(o)) return;
    std::string_view type = str(o, "type");
    object u, inner;
    if (type == "message_start") {
      flush_message();
      if (!o["message"].get(inner) && !inner["usage"].get(u)) message_ = anthropic_usage(u);
      in_message_ = true;
    } else if (type == "message_delta") {
      if (o["usage"].get(u)) return;
      in_message_ = true;
      if (auto v = count_opt(u, "output_tokens")) message_.output_tokens = *v;
      if (auto v = count_opt(u, "input_tokens")) message_.input_tokens = *v;
      if (auto v = count_opt(u, "cache_read_input_tokens")) message_.cached_input_tokens = *v;
      if (auto v = count_opt(u, "cache_creation_input_tokens")) message_.cache_write_tokens = *v;
    } else if (type == "response.completed" || type == "response.incomplete" ||
               type == "response.failed" || type == "response.done") {
      if (!o["response"].get(inner) && !inner["usage"].get(u))
        add_usage(total_, responses_usage(u));
    } else if (type.empty() && !o["usage"].get(u)) {
      chat_ = chat_usage(u);
    }
  }

  Usage finish() {
    flush_message();
    add_usage(total_, chat_);
    chat_ = {};
    return total_;
  }

 private:
  void flush_message() {
    if (in_message_) add_usage(total_, message_);
    message_ = {};
    in_message_ = false;
  }

  simdjson::dom::parser parser_;
  Usage total_, message_, chat_;
  bool in_message_ = false;
};

// ---- HTTP bits ------------------------------------------------------------

struct Upstream {
  std::string origin;  // scheme://authority
  std::string path;    // "" or "/v1"
};

std::optional<Upstream> parse_upstream(std::string_view url) {
  std::size_t sep = url.find("://");
  if (sep == std::string_view::npos) return std::nullopt;
  std::string scheme = local::lower(url.substr(0, sep));
  if (scheme != "http" && scheme != "https") return std::nullopt;
  std::string_view rest = url.substr(sep + 3);
  std::size_t slash = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, slash);
  if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
  Upstream u;
  u.origin = scheme + "://" + std::string(authority);
  if (slash != std::string_view::npos) {
    std::string_view path = rest.substr(slash);
    path = path.substr(0, path.find_first_of("?#"));
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    u.path = std::string(path);
  }
  return u;
}

bool drop_request_header(const std::string& lname) {
  static const char* const kDrop[] = {"connection",
                                      "keep-alive",
                                      "proxy-connection",
                                      "proxy-authorization",
                                      "proxy-authenticate",
                                      "te",
                                      "trailer",
                                      "transfer-encoding",
                                      "upgrade",
                                      "host",
                                      "content-length",
                                      "accept-encoding",
                                      "authorization",
                                      "x-api-key",
                                      "expect"};
  return std::find(std::begin(kDrop), std::end(kDrop), lname) != std::end(kDrop);
}

bool drop_response_header(const std::string& lname) {
  static const char* const kDrop[] = {
      "connection",        "keep-alive", "proxy-connection", "proxy-authenticate", "te", "trailer",
      "transfer-encoding", "upgrade",    "content-length",   "content-encoding"};
  return std::find(std::begin(kDrop), std::end(kDrop), lname) != std::end(kDrop);
}

// The comma-separated items of a header value, lower-cased.
std::vector<std::string> header_items(std::string_view value) {
  std::vector<std::string> out;
  while (!value.empty()) {
    std::size_t comma = value.find(',');
    std::string_view item = value.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (!item.empty()) out.push_back(local::lower(item));
    value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
  }
  return out;
}

std::string json_string(std::string_view text) {
  std::string out = "\"";
  append_json_escaped(text, out);
  out += '"';
  return out;
}

struct Answer {
  int status = 200;
  github::Headers headers;  // lower-case names
  std::string body;
  std::string head_length;  // HEAD: the upstream's Content-Length, relayed as is
};

Answer error_answer(int status, bool anthropic, std::string_view type, std::string_view message) {
  Answer a;
  a.status = status;
  a.headers.emplace_back("content-type", "application/json");
  if (anthropic) {
    a.body = "{\"type\":\"error\",\"error\":{\"type\":" + json_string(type) +
             ",\"message\":" + json_string(message) + "}}";
  } else {
    std::string openai_type = type == "authentication_error" ? "invalid_request_error"
                              : type == "api_error"          ? "server_error"
                                                             : std::string(type);
    a.body = "{\"error\":{\"message\":" + json_string(message) +
             ",\"type\":" + json_string(openai_type) + ",\"param\":null,\"code\":" +
             (status == 401 ? std::string("\"invalid_api_key\"") : std::string("null")) + "}}";
  }
  return a;
}

std::string money(double usd) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "$%.4f", usd);
  return buf;
}

// Reads a chunked body into `body` (at most `cap` bytes).
Io read_chunked(int fd, int stop_fd, Clock::time_point deadline, std::size_t cap,
                std::string& buffer, std::string& body) {
  auto fill = [&]() -> Io {
    Io r = local::read_some(fd, stop_fd, deadline, buffer);
    return r == Io::eof ? Io::error : r;
  };
  auto line = [&](std::string& out) -> Io {
    for (;;) {
      std::size_t nl = buffer.find('\n');
      if (nl != std::string::npos) {
        out.assign(buffer, 0, nl);
        if (!out.empty() && out.back() == '\r') out.pop_back();
        buffer.erase(0, nl + 1);
        return Io::ok;
      }
      if (buffer.size() > 8192) return Io::error;
      if (Io r = fill(); r != Io::ok) return r;
    }
  };
  for (;;) {
    std::string size_line;
    if (Io r = line(size_line); r != Io::ok) return r;
    std::string_view hex = std::string_view(size_line).substr(0, size_line.find(';'));
    while (!hex.empty() && (hex.back() == ' ' || hex.back() == '\t')) hex.remove_suffix(1);
    if (hex.empty() || hex.size() > 15) return Io::error;
    std::size_t size = 0;
    for (char c : hex) {
      int d = (c >= '0' && c <= '9')   ? c - '0'
              : (c >= 'a' && c <= 'f') ? c - 'a' + 10
              : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                       : -1;
      if (d < 0) return Io::error;
      size = size * 16 + static_cast<std::size_t>(d);
    }
    if (size == 0) {
      for (;;) {  // trailers, up to the blank line
        std::string trailer;
        if (Io r = line(trailer); r != Io::ok) return r;
        if (trailer.empty()) return Io::ok;
      }
    }
    if (size > cap || body.size() > cap - size) return Io::too_large;
    while (buffer.size() < size + 2)
      if (Io r = fill(); r != Io::ok) return r;
    body.append(buffer, 0, size);
    std::size_t crlf = buffer.compare(size, 2, "\r\n") == 0 ? 2 : (buffer[size] == '\n' ? 1 : 0);
    if (crlf == 0) return Io::error;
    buffer.erase(0, size + crlf);
  }
}

}  // namespace

Usage metered_usage(std::string_view body) {
  std::size_t first = body.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  if (body[first] == '{') {
    simdjson::dom::parser parser;
    object o;
    if (parser.parse(body.data(), body.size()).get(o)) return {};
    return json_usage(o);
  }
  // Server-sent events: "data:" lines joined by newlines, dispatched at a blank line.
  SseMeter meter;
  std::string data;
  bool have_data = false;
  while (!body.empty()) {
    std::size_t nl = body.find('\n');
    std::string_view line = body.substr(0, nl);
    body = nl == std::string_view::npos ? std::string_view{} : body.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      if (have_data) meter.event(data);
      data.clear();
      have_data = false;
      continue;
    }
    if (!line.starts_with("data:")) continue;
    std::string_view value = line.substr(5);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (have_data) data += '\n';
    data += value;
    have_data = true;
  }
  if (have_data) meter.event(data);
  return meter.finish();
}

std::string gateway_base_url(std::string_view upstream_base_url, uint16_t port) {
  auto u = parse_upstream(upstream_base_url);
  return "http://127.0.0.1:" + std::to_string(port) + (u ? u->path : std::string());
}

std::string default_upstream(std::string_view harness, std::string_view model) {
  if (harness == "claude") return "https://api.anthropic.com";
  if (harness == "codex") return "https://api.openai.com/v1";
  if (harness == "opencode") {
    if (model.starts_with("anthropic/")) return "https://api.anthropic.com/v1";
    if (model.starts_with("openai/")) return "https://api.openai.com/v1";
  }
  return "";
}

// ---- the gateway ------------------------------------------------------------

struct ModelGateway::Impl {
  ModelGatewayOptions options;
  std::string token;
  std::optional<Upstream> upstream;
  std::unique_ptr<github::HttpTransport> transport;
  std::unique_ptr<local::LocalServer> server;
  std::atomic<bool> stopped{false};

  mutable std::mutex mutex;
  Usage total;
  std::vector<GatewayRequest> log_entries;
  bool spent = false;
  bool warned_unpriced = false;

  // The token dies with the turn (the last connection thread may end later).
  ~Impl() { unregister_secret(token); }

  spdlog::logger& log() const { return component_log("gateway"); }

  bool token_ok(std::string_view given) const {
    return given.size() == token.size() &&
           CRYPTO_memcmp(given.data(), token.data(), token.size()) == 0;
  }

  void record(GatewayRequest entry) {
    std::lock_guard lock(mutex);
    if (log_entries.size() < kMaxRequestsKept) log_entries.push_back(std::move(entry));
  }

  // Marks the budget spent once the total reaches it; true the first time.
  bool reach_budget_locked() {
    if (spent || !options.budget_usd || total.cost_usd.value_or(0.0) < *options.budget_usd)
      return false;
    spent = true;
    return true;
  }

  void budget_reached() {
    log().warn("{}: the budget ({}) is spent; refusing further model requests", options.label,
               money(options.budget_usd.value_or(0)));
    if (!stopped && options.on_budget_spent) options.on_budget_spent();
  }

  std::optional<Price> price_for(const std::string& body_model) const {
    std::vector<std::string> names;
    if (!body_model.empty()) {
      names.push_back(body_model);
      if (auto slash = options.model.find('/'); slash != std::string::npos)
        names.push_back(options.model.substr(0, slash + 1) + body_model);
    }
    names.push_back(options.model);
    if (auto slash = options.model.find('/'); slash != std::string::npos)
      names.push_back(options.model.substr(slash + 1));
    for (const auto& n : names)
      if (auto it = options.prices.find(n); it != options.prices.end()) return it->second;
    return std::nullopt;
  }

  static std::string request_model(const std::string& body) {
    if (body.empty() || body.find("\"model\"") == std::string::npos) return {};
    simdjson::dom::parser parser;
    object o;
    if (parser.parse(body).get(o)) return {};
    return std::string(str(o, "model"));
  }

  Answer handle(const local::RequestHead& head, const std::string& body) {
    GatewayRequest entry;
    entry.method = head.method;
    entry.path = head.target.substr(0, head.target.find('?'));
    const bool anthropic =
        entry.path.find("/messages") != std::string::npos || !head.header("x-api-key").empty();
    auto finish = [&](Answer a) {
      entry.status = a.status;
      const Usage& u = entry.usage;
      std::string metered = u.total_tokens() == 0
                                ? std::string()
                                : " (" + std::to_string(u.input_tokens) + " in, " +
                                      std::to_string(u.cached_input_tokens) + " cached, " +
                                      std::to_string(u.cache_write_tokens) + " cache-write, " +
                                      std::to_string(u.output_tokens) + " out" +
                                      (u.cost_usd ? ", " + money(*u.cost_usd) : std::string()) +
                                      ")";
      log().info("{}: {} {} -> {}{}{}", options.label, entry.method, entry.path, a.status,
                 entry.forwarded ? "" : " (not forwarded)", metered);
      record(std::move(entry));
      return a;
    };

    std::string_view given = head.header("x-api-key");
    bool bearer = false;
    if (given.empty()) {
      std::string_view auth = head.header("authorization");
      if (auth.size() > 7 && local::lower(auth.substr(0, 7)) == "bearer ") {
        given = auth.substr(7);
        bearer = true;
      }
    }
    if (!token_ok(given))
      return finish(error_answer(401, anthropic, "authentication_error",
                                 "bottega gateway: missing or wrong API key for this turn"));
    if (head.target.empty() || head.target.front() != '/')
      return finish(error_answer(400, anthropic, "invalid_request_error",
                                 "bottega gateway: the request target must be a path"));

    bool first_refusal = false;
    bool refuse = false;
    {
      std::lock_guard lock(mutex);
      first_refusal = reach_budget_locked();
      refuse = spent;
    }
    if (first_refusal) budget_reached();
    if (refuse)
      return finish(error_answer(400, anthropic, "invalid_request_error",
                                 "bottega: the task's budget (" +
                                     money(options.budget_usd.value_or(0)) +
                                     " left for this turn) is spent; the turn is being stopped"));

    entry.model = request_model(body);
    github::HttpCall call;
    call.method = head.method;
    call.url = upstream->origin + head.target;
    call.body = body;
    call.follow_redirects = false;
    call.max_body_bytes = options.max_response_bytes;
    std::vector<std::string> listed;
    for (const auto& [k, v] : head.headers)
      if (local::lower(k) == "connection")
        for (auto& item : header_items(v)) listed.push_back(std::move(item));
    for (const auto& [k, v] : head.headers) {
      std::string lk = local::lower(k);
      if (drop_request_header(lk) || std::find(listed.begin(), listed.end(), lk) != listed.end())
        continue;
      auto same = std::find_if(call.headers.begin(), call.headers.end(),
                               [&](const auto& h) { return h.first == lk; });
      if (same != call.headers.end()) {
        same->second += ", " + v;  // one field, as the transport sets each name once
      } else {
        call.headers.emplace_back(lk, v);
      }
    }
    if (!options.api_key.empty()) {
      if (bearer) {
        call.headers.emplace_back("authorization", "Bearer " + options.api_key);
      } else {
        call.headers.emplace_back("x-api-key", options.api_key);
      }
    }

    auto reply = transport->send(call);
    entry.forwarded = true;
    if (!reply) {
      log().warn("{}: upstream call failed: {}", options.label, reply.error().message);
      return finish(
          error_answer(502, anthropic, "api_error",
                       "bottega gateway: the model API did not answer: " + reply.error().message));
    }

    if (reply->status >= 200 && reply->status < 300) {
      entry.usage = metered_usage(reply->body);
      if (auto price = price_for(entry.model))
        entry.usage.cost_usd = price_usage(entry.usage, *price);
    }
    bool reached = false;
    bool warn_unpriced = false;
    {
      std::lock_guard lock(mutex);
      add_usage(total, entry.usage);
      reached = reach_budget_locked();
      if (entry.usage.total_tokens() > 0 && !entry.usage.cost_usd && options.budget_usd &&
          !warned_unpriced) {
        warned_unpriced = warn_unpriced = true;
      }
    }
    if (warn_unpriced)
      log().warn("{}: no price for model \"{}\": the budget cannot be enforced for it",
                 options.label, entry.model.empty() ? options.model : entry.model);
    if (reached) budget_reached();

    Answer a;
    a.status = reply->status;
    std::vector<std::string> drop;
    for (const auto& [k, v] : reply->headers)
      if (k == "connection")
        for (auto& item : header_items(v)) drop.push_back(std::move(item));
    for (auto& [k, v] : reply->headers) {
      if (drop_response_header(k) || std::find(drop.begin(), drop.end(), k) != drop.end()) continue;
      a.headers.emplace_back(k, v);
    }
    if (head.method == "HEAD") a.head_length = std::string(reply->header("content-length"));
    a.body = std::move(reply->body);
    return finish(std::move(a));
  }

  static std::string render(const Answer& a, bool head_only, bool keep_alive) {
    std::string out = "HTTP/1.1 " + std::to_string(a.status) + " " +
                      std::string(local::reason_phrase(a.status)) + "\r\n";
    for (const auto& [k, v] : a.headers) {
      if (v.find_first_of("\r\n") != std::string::npos) continue;
      out += k + ": " + v + "\r\n";
    }
    if (a.status >= 200 && a.status != 204 && a.status != 304) {
      std::string length =
          head_only && !a.head_length.empty() ? a.head_length : std::to_string(a.body.size());
      out += "content-length: " + length + "\r\n";
    }
    out += keep_alive ? "connection: keep-alive\r\n\r\n" : "connection: close\r\n\r\n";
    if (!head_only) out += a.body;
    return out;
  }

  void send_error(int fd, int stop_fd, int status, std::string_view message) {
    Answer a = error_answer(status, false, "invalid_request_error", message);
    (void)local::write_all(fd, stop_fd, Clock::now() + std::chrono::seconds(5),
                           render(a, false, false));
  }

  void serve(int fd, int stop_fd) {
    std::string buffer;
    for (;;) {
      std::string text;
      Io io = local::read_head(fd, stop_fd, Clock::now() + options.idle_timeout,
                               options.header_timeout, kMaxHeadBytes, buffer, text);
      if (io == Io::too_large)
        return send_error(fd, stop_fd, 431, "bottega gateway: head too large");
      if (io != Io::ok) return;
      local::RequestHead head;
      if (!local::parse_request_head(text, head))
        return send_error(fd, stop_fd, 400, "bottega gateway: malformed request");

      bool keep_alive = head.version == "HTTP/1.1";
      for (const auto& item : header_items(head.header("connection")))
        if (item == "close") keep_alive = false;

      std::string body;
      const auto body_deadline = Clock::now() + kBodyTimeout;
      std::string te = local::lower(head.header("transfer-encoding"));
      std::string_view cl = head.header("content-length");
      bool expects_body = !te.empty() || (!cl.empty() && cl != "0");
      if (expects_body && local::lower(head.header("expect")) == "100-continue" &&
          local::write_all(fd, stop_fd, body_deadline, "HTTP/1.1 100 Continue\r\n\r\n") != Io::ok)
        return;
      if (!te.empty()) {
        if (te != "chunked")
          return send_error(fd, stop_fd, 400, "bottega gateway: unsupported transfer-encoding");
        Io r = read_chunked(fd, stop_fd, body_deadline, options.max_request_bytes, buffer, body);
        if (r == Io::too_large)
          return send_error(fd, stop_fd, 413, "bottega gateway: request body too large");
        if (r != Io::ok) return;
      } else if (!cl.empty()) {
        if (cl.size() > 12 || cl.find_first_not_of("0123456789") != std::string_view::npos)
          return send_error(fd, stop_fd, 400, "bottega gateway: bad content-length");
        std::size_t length = std::stoull(std::string(cl));
        if (length > options.max_request_bytes)
          return send_error(fd, stop_fd, 413, "bottega gateway: request body too large");
        while (buffer.size() < length) {
          Io r = local::read_some(fd, stop_fd, body_deadline, buffer);
          if (r != Io::ok) return;
        }
        body.assign(buffer, 0, length);
        buffer.erase(0, length);
      }

      Answer a = handle(head, body);
      if (local::write_all(fd, stop_fd, Clock::now() + kBodyTimeout,
                           render(a, head.method == "HEAD", keep_alive)) != Io::ok ||
          !keep_alive)
        return;
    }
  }
};

ModelGateway::ModelGateway(ModelGatewayOptions options) : impl_(std::make_shared<Impl>()) {
  Impl& m = *impl_;
  m.options = std::move(options);
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    component_log("gateway").critical("OpenSSL's random source failed: cannot make a token");
    std::abort();
  }
  static const char kHex[] = "0123456789abcdef";
  for (unsigned char b : bytes) {
    m.token += kHex[b >> 4];
    m.token += kHex[b & 15];
  }
  register_secret(m.token, "the model gateway's token");
  if (!m.options.api_key.empty()) register_secret(m.options.api_key, "the model API key");
  m.upstream = parse_upstream(m.options.upstream);
  github::TransportOptions t;
  t.ca_file = m.options.ca_file;
  t.connect_timeout = m.options.connect_timeout;
  t.read_timeout = m.options.read_timeout;
  t.max_redirects = 0;
  t.user_agent = "bottega-gateway";
  m.transport = std::make_unique<github::HttpTransport>(std::move(t));
  std::weak_ptr<Impl> weak = impl_;
  m.server = std::make_unique<local::LocalServer>("gateway", m.options.max_connections,
                                                  [weak](int fd, int stop_fd) {
                                                    if (auto self = weak.lock())
                                                      self->serve(fd, stop_fd);
                                                  });
}

ModelGateway::~ModelGateway() { stop(); }

Result<void> ModelGateway::listen_unix(const std::string& path) {
  if (!impl_->upstream)
    return make_error("model gateway: unusable upstream URL \"" + impl_->options.upstream +
                      "\" (expected https://host[:port][/path])");
  return impl_->server->listen_unix(path);
}

Result<uint16_t> ModelGateway::listen_loopback() {
  if (!impl_->upstream)
    return make_error("model gateway: unusable upstream URL \"" + impl_->options.upstream +
                      "\" (expected https://host[:port][/path])");
  return impl_->server->listen_loopback();
}

void ModelGateway::stop() {
  impl_->stopped = true;
  impl_->server->stop(impl_->options.stop_grace);
}

const std::string& ModelGateway::token() const { return impl_->token; }

Usage ModelGateway::usage() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->total;
}

std::vector<GatewayRequest> ModelGateway::requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->log_entries;
}

bool ModelGateway::budget_spent() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->spent;
}

}  // namespace bottega::agents
