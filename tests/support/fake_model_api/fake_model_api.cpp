#include "tests/support/fake_model_api/fake_model_api.h"

#include <simdjson.h>

#include <atomic>

#include "app/http/server.h"
#include "engine/agents/event.h"

namespace bottega::testing {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

std::string q(std::string_view s) {
  std::string out = "\"";
  agents::append_json_escaped(s, out);
  out += '"';
  return out;
}

std::string sse(std::string_view event, const std::string& data) {
  std::string out;
  if (!event.empty()) out += "event: " + std::string(event) + "\n";
  return out + "data: " + data + "\n\n";
}

HttpResponse sse_response(std::string body) {
  HttpResponse r;
  r.content_type = "text/event-stream";
  r.body = std::move(body);
  r.headers.push_back({"cache-control", "no-cache"});
  return r;
}

bool has_tools(object req) {
  array tools;
  return !req["tools"].get(tools) && tools.size() > 0;
}

std::vector<std::string> tool_names(object req) {
  std::vector<std::string> names;
  array tools;
  if (req["tools"].get(tools)) return names;
  for (element t : tools) {
    object o;
    if (t.get(o)) continue;
    std::string_view name;
    if (!o["name"].get(name)) names.emplace_back(name);
    object fn;
    if (!o["function"].get(fn) && !fn["name"].get(name)) names.emplace_back(name);
  }
  return names;
}

// Anthropic Messages: has the conversation's last user turn a tool_result?
bool anthropic_tool_answered(object req) {
  array messages;
  if (req["messages"].get(messages) || messages.size() == 0) return false;
  element last = messages.at(messages.size() - 1);
  array content;
  if (last["content"].get(content)) return false;
  for (element block : content) {
    std::string_view type;
    if (!block["type"].get(type) && type == "tool_result") return true;
  }
  return false;
}

// OpenAI Responses: a function_call_output after the last user message?
bool responses_tool_answered(object req) {
  array input;
  if (req["input"].get(input)) return false;
  bool answered = false;
  for (element item : input) {
    std::string_view type, role;
    if (item["type"].get(type)) type = {};
    if (item["role"].get(role)) role = {};
    if (role == "user") answered = false;
    if (type == "function_call_output" || type == "custom_tool_call_output") answered = true;
  }
  return answered;
}

// Chat completions: is the last message a tool result?
bool chat_tool_answered(object req) {
  array messages;
  if (req["messages"].get(messages) || messages.size() == 0) return false;
  std::string_view role;
  if (messages.at(messages.size() - 1)["role"].get(role)) role = {};
  return role == "tool";
}

}  // namespace

struct FakeModelApi::Impl {
  std::string command, final_text;
  std::unique_ptr<HttpServer> server;
  mutable std::mutex mutex;
  std::vector<RecordedRequest> requests;
  std::atomic<int> ids{0};

  HttpResponse handle(const HttpRequest& req) {
    {
      std::lock_guard lock(mutex);
      std::string auth(req.header("authorization"));
      if (auth.empty()) auth = std::string(req.header("x-api-key"));
      requests.push_back({req.method, req.target, req.body, auth});
    }
    if (req.method == "HEAD" || req.method == "GET") return HttpResponse::text(200, "");
    simdjson::dom::parser parser;
    object body;
    if (parser.parse(req.body).get(body))
      return HttpResponse::text(400, "{\"error\":\"not JSON\"}");
    std::string_view path = req.path();
    int id = ++ids;
    if (path.ends_with("/messages")) return anthropic(body, id);
    if (path.ends_with("/responses")) return responses(body, id);
    if (path.ends_with("/chat/completions")) return chat(body, id);
    return HttpResponse::text(404, "{\"error\":\"no such endpoint\"}");
  }

  HttpResponse anthropic(object req, int id) {
    std::string model = "claude-sonnet-4-5";
    std::string_view m;
    if (!req["model"].get(m)) model = m;
    bool stream = false;
    if (req["stream"].get(stream)) stream = {};
    bool call_tool = has_tools(req) && !anthropic_tool_answered(req);
    std::string text = has_tools(req) ? final_text : "Fake title";
    std::string msg_id = "msg_fake_" + std::to_string(id);
    std::string tool_id = "toolu_fake_" + std::to_string(id);
    std::string input = "{\"command\":" + q(command) + ",\"description\":\"Write the file\"}";
    std::string usage =
        "{\"input_tokens\":100,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,"
        "\"output_tokens\":20}";
    if (!stream) {
      std::string content = call_tool ? "[{\"type\":\"tool_use\",\"id\":\"" + tool_id +
                                            "\",\"name\":\"Bash\",\"input\":" + input + "}]"
                                      : "[{\"type\":\"text\",\"text\":" + q(text) + "}]";
      HttpResponse r;
      r.content_type = "application/json";
      r.body = "{\"id\":\"" + msg_id +
               "\",\"type\":\"message\",\"role\":\"assistant\",\"model\":" + q(model) +
               ",\"content\":" + content + ",\"stop_reason\":\"" +
               (call_tool ? "tool_use" : "end_turn") +
               "\",\"stop_sequence\":null,\"usage\":" + usage + "}";
      return r;
    }
    std::string out =
        sse("message_start",
            "{\"type\":\"message_start\",\"message\":{\"id\":\"" + msg_id +
                "\",\"type\":\"message\",\"role\":\"assistant\",\"model\":" + q(model) +
                ",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_"
                "tokens\":100,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,"
                "\"output_tokens\":1}}}");
    if (call_tool) {
      out += sse("content_block_start",
                 "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"tool_"
                 "use\",\"id\":\"" +
                     tool_id + "\",\"name\":\"Bash\",\"input\":{}}}");
      out += sse("content_block_delta",
                 "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_"
                 "delta\",\"partial_json\":" +
                     q(input) + "}}");
    } else {
      out += sse("content_block_start",
                 "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":"
                 "\"text\",\"text\":\"\"}}");
      out += sse("content_block_delta",
                 "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
                 "\"text\":" +
                     q(text) + "}}");
    }
    out += sse("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}");
    out += sse("message_delta",
               std::string("{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"") +
                   (call_tool ? "tool_use" : "end_turn") +
                   "\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":20}}");
    out += sse("message_stop", "{\"type\":\"message_stop\"}");
    return sse_response(std::move(out));
  }

  HttpResponse responses(object req, int id) {
    auto names = tool_names(req);
    bool call_tool = !names.empty() && !responses_tool_answered(req);
    std::string resp_id = "resp_fake_" + std::to_string(id);
    std::string item;
    if (call_tool) {
      // Codex offers its shell tool under one of a few names, with its own argument shape.
      std::string name = "shell", args = "{\"command\":[\"bash\",\"-lc\"," + q(command) + "]}";
      for (const auto& n : names) {
        if (n == "shell_command") {
          name = n;
          args = "{\"command\":" + q(command) + "}";
          break;
        }
        if (n == "exec_command") {
          name = n;
          args = "{\"cmd\":" + q(command) + "}";
          break;
        }
        if (n == "shell") break;
      }
      item = "{\"type\":\"function_call\",\"id\":\"fc_fake_" + std::to_string(id) +
             "\",\"call_id\":\"call_fake_" + std::to_string(id) + "\",\"name\":\"" + name +
             "\",\"arguments\":" + q(args) + ",\"status\":\"completed\"}";
    } else {
      item = "{\"type\":\"message\",\"id\":\"msg_fake_" + std::to_string(id) +
             "\",\"role\":\"assistant\",\"status\":\"completed\",\"content\":[{\"type\":\"output_"
             "text\",\"text\":" +
             q(final_text) + ",\"annotations\":[]}]}";
    }
    std::string response_head =
        "{\"id\":\"" + resp_id +
        "\",\"object\":\"response\",\"created_at\":1763700000,\"model\":\"fake\"";
    std::string out =
        sse("response.created",
            "{\"type\":\"response.created\",\"sequence_number\":0,\"response\":" + response_head +
                ",\"status\":\"in_progress\",\"output\":[]}}");
    out += sse("response.output_item.added",
               "{\"type\":\"response.output_item.added\",\"sequence_number\":1,\"output_index\":0,"
               "\"item\":" +
                   item + "}");
    out += sse("response.output_item.done",
               "{\"type\":\"response.output_item.done\",\"sequence_number\":2,\"output_index\":0,"
               "\"item\":" +
                   item + "}");
    out +=
        sse("response.completed",
            "{\"type\":\"response.completed\",\"sequence_number\":3,\"response\":" + response_head +
                ",\"status\":\"completed\",\"output\":[" + item +
                "],\"usage\":{\"input_tokens\":100,\"input_tokens_details\":{\"cached_tokens\":40},"
                "\"output_tokens\":20,"
                "\"output_tokens_details\":{\"reasoning_tokens\":5},\"total_tokens\":120}}}");
    return sse_response(std::move(out));
  }

  HttpResponse chat(object req, int id) {
    bool call_tool = has_tools(req) && !chat_tool_answered(req);
    std::string text = has_tools(req) ? final_text : "Fake title";
    bool stream = false;
    if (req["stream"].get(stream)) stream = {};
    std::string head = "{\"id\":\"chatcmpl-fake-" + std::to_string(id) +
                       "\",\"object\":\"chat.completion.chunk\",\"created\":1763700000,\"model\":"
                       "\"fake-model\",\"choices\":[";
    std::string args = "{\"command\":" + q(command) + ",\"description\":\"Write the file\"}";
    std::string usage =
        "\"usage\":{\"prompt_tokens\":100,\"completion_tokens\":20,\"total_tokens\":120}";
    if (!stream) {
      HttpResponse r;
      r.content_type = "application/json";
      std::string message =
          call_tool
              ? "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_fake_" +
                    std::to_string(id) +
                    "\",\"type\":\"function\",\"function\":{\"name\":\"bash\",\"arguments\":" +
                    q(args) + "}}]}"
              : "{\"role\":\"assistant\",\"content\":" + q(text) + "}";
      r.body = "{\"id\":\"chatcmpl-fake-" + std::to_string(id) +
               "\",\"object\":\"chat.completion\",\"created\":1763700000,"
               "\"model\":\"fake-model\",\"choices\":[{\"index\":0,\"message\":" +
               message + ",\"finish_reason\":\"" + (call_tool ? "tool_calls" : "stop") + "\"}]," +
               usage + "}";
      return r;
    }
    std::string out;
    if (call_tool) {
      out += sse("", head +
                         "{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null,\"tool_"
                         "calls\":[{\"index\":0,\"id\":\"call_fake_" +
                         std::to_string(id) +
                         "\",\"type\":\"function\",\"function\":{\"name\":\"bash\",\"arguments\":" +
                         q(args) + "}}]},\"finish_reason\":null}]}");
      out += sse(
          "", head + "{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]," + usage + "}");
    } else {
      out +=
          sse("", head + "{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":" + q(text) +
                      "},\"finish_reason\":null}]}");
      out +=
          sse("", head + "{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]," + usage + "}");
    }
    out += "data: [DONE]\n\n";
    return sse_response(std::move(out));
  }
};

FakeModelApi::FakeModelApi(std::string command, std::string final_text)
    : impl_(std::make_unique<Impl>()) {
  impl_->command = std::move(command);
  impl_->final_text = std::move(final_text);
}

FakeModelApi::~FakeModelApi() { stop(); }

Result<void> FakeModelApi::start() {
  HttpServerOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.threads = 2;
  Impl* impl = impl_.get();
  impl_->server = std::make_unique<HttpServer>(
      options, [impl](HttpRequest&& req, Responder respond) { respond(impl->handle(req)); });
  return impl_->server->start();
}

void FakeModelApi::stop() {
  if (impl_->server) impl_->server->stop(std::chrono::milliseconds(500));
  impl_->server.reset();
}

std::string FakeModelApi::base_url() const {
  return "http://127.0.0.1:" + std::to_string(impl_->server ? impl_->server->port() : 0);
}

std::vector<RecordedRequest> FakeModelApi::requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->requests;
}

}  // namespace bottega::testing
