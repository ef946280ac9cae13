// The Claude Code adapter (`claude -p --output-format stream-json --verbose`).
#include "engine/agents/json_decoder.h"
#include "engine/agents/model_rules.h"

namespace bottega::agents::detail {
namespace {

std::string content_text(element content) {
  std::string_view s;
  if (!content.get(s)) return std::string(s);
  simdjson::dom::array items;
  if (content.get(items)) return {};
  std::string text;
  for (element item : items) {
    object o;
    if (item.get(o)) continue;
    if (str(o, "type") == "text") {
      if (!text.empty()) text += '\n';
      text += str(o, "text");
    }
  }
  return text;
}

class ClaudeDecoder final : public JsonDecoder {
 public:
  ClaudeDecoder(std::string model, PriceTable prices)
      : model_(std::move(model)), prices_(std::move(prices)) {}

 private:
  void decode_object(object obj, std::string_view line, std::vector<Event>& out) override {
    if (auto sid = str(obj, "session_id"); !sid.empty() && state_.session_id != sid)
      state_.session_id = sid;
    std::string_view type = str(obj, "type");
    if (type == "assistant" || type == "user") {
      decode_message(obj, type == "assistant", line, out);
    } else if (type == "system") {
      Event e;
      e.subtype = str(obj, "subtype");
      if (e.subtype == "init") {
        e.text = "model " + std::string(str(obj, "model")) + " in " + std::string(str(obj, "cwd"));
      } else if (e.subtype == "api_retry") {
        e.text = "attempt " + std::to_string(i64(obj, "attempt")) + ", status " +
                 std::to_string(i64(obj, "error_status"));
      } else {
        e.text = utf8_prefix(line, 4096);
      }
      out.push_back(std::move(e));
    } else if (type == "result") {
      decode_result(obj, out);
    } else {
      out.push_back(unknown_event(type, line));
    }
  }

  void decode_message(object obj, bool assistant, std::string_view line, std::vector<Event>& out) {
    object message;
    element content;
    if (!sub(obj, "message", message) || message["content"].get(content)) {
      out.push_back(unknown_event("message", line));
      return;
    }
    std::string_view s;
    if (!content.get(s)) {
      Event e;
      e.kind = assistant ? EventKind::assistant : EventKind::user;
      e.text = s;
      out.push_back(std::move(e));
      return;
    }
    simdjson::dom::array items;
    if (content.get(items)) return;
    for (element item : items) {
      object o;
      if (item.get(o)) continue;
      std::string_view t = str(o, "type");
      Event e;
      if (t == "text") {
        e.kind = assistant ? EventKind::assistant : EventKind::user;
        e.text = str(o, "text");
      } else if (t == "thinking") {
        e.kind = EventKind::thinking;
        e.text = str(o, "thinking");
      } else if (t == "redacted_thinking") {
        e.kind = EventKind::thinking;
        e.subtype = "redacted";
      } else if (t == "tool_use") {
        e.kind = EventKind::tool_use;
        e.tool = str(o, "name");
        e.tool_id = str(o, "id");
        e.input = raw(o, "input");
      } else if (t == "tool_result") {
        e.kind = EventKind::tool_result;
        e.tool_id = str(o, "tool_use_id");
        e.is_error = boolean(o, "is_error");
        element c;
        if (!o["content"].get(c)) e.text = content_text(c);
      } else {
        e = unknown_event(t, simdjson::minify(item));
      }
      out.push_back(std::move(e));
    }
  }

  void decode_result(object obj, std::vector<Event>& out) {
    Event e;
    e.kind = EventKind::result;
    e.subtype = str(obj, "subtype");
    e.text = str(obj, "result");
    e.is_error = boolean(obj, "is_error");
    Usage u;
    object usage;
    if (sub(obj, "usage", usage)) {
      u.input_tokens = count(usage, "input_tokens");
      u.cached_input_tokens = count(usage, "cache_read_input_tokens");
      u.cache_write_tokens = count(usage, "cache_creation_input_tokens");
      u.output_tokens = count(usage, "output_tokens");
    }
    u.cost_usd = cost(obj, "total_cost_usd");
    price_if_unknown(u, prices_, model_);
    simdjson::dom::array denials;
    if (!obj["permission_denials"].get(denials) && denials.size() > 0)
      e.input = "{\"permission_denials\":" + simdjson::minify(denials) + "}";
    e.usage = u;
    state_.usage = u;  // the result carries the turn's totals
    state_.completed = true;
    // API failures end with subtype "success" and is_error true: trust is_error.
    if (e.is_error) {
      std::string message = e.text.empty() ? std::string(e.subtype) : e.text;
      state_.agent_error = message.empty() ? "the agent reported an error" : message;
    }
    out.push_back(std::move(e));
  }

  std::string model_;
  PriceTable prices_;
};

class ClaudeHarness final : public Harness {
 public:
  std::string_view name() const override { return "claude"; }
  Capabilities capabilities() const override {
    return {
        .disallowed_tools = true, .system_prompt = true, .reports_cost = true, .final_event = true};
  }

  Result<LaunchPlan> plan(const TurnRequest& turn, const HarnessSettings& settings) const override {
    if (auto e = check_model("claude", turn.model)) return make_error(*e);
    if (auto e = check_effort("claude", turn.effort)) return make_error(*e);
    if (settings.binary.empty()) return make_error("harnesses.claude.binary is not set");
    LaunchPlan p;
    p.cwd = turn.worktree;  // no working-directory flag: start it there
    p.argv = {settings.binary, "-p",       "--output-format",   "stream-json",      "--verbose",
              "--model",       turn.model, "--permission-mode", "bypassPermissions"};
    if (!turn.effort.empty()) p.argv.insert(p.argv.end(), {"--effort", turn.effort});
    if (!turn.system_prompt.empty())
      p.argv.insert(p.argv.end(), {"--append-system-prompt", turn.system_prompt});
    auto denied = turn.disallowed_tools;
    // Agent is the sub-agent tool since 2.x; Task is its earlier name.
    if (turn.forbid_subagents) denied.insert(denied.end(), {"Agent", "Task"});
    if (!denied.empty()) {
      std::string list;
      for (const auto& t : denied) list += (list.empty() ? "" : ",") + t;
      p.argv.insert(p.argv.end(), {"--disallowed-tools", list});
    }
    if (!turn.resume_session.empty())
      p.argv.insert(p.argv.end(), {"--resume", turn.resume_session});
    p.argv.insert(p.argv.end(), {"--", turn.prompt});  // a prompt may start with '-'
    if (!settings.base_url.empty()) p.env["ANTHROPIC_BASE_URL"] = settings.base_url;
    if (!settings.api_key.empty()) p.env["ANTHROPIC_API_KEY"] = settings.api_key;
    p.env["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1";
    p.env["DISABLE_AUTOUPDATER"] = "1";
    p.env["IS_SANDBOX"] = "1";  // bypass mode refuses root otherwise; we sandbox it ourselves
    return p;
  }

  std::unique_ptr<StreamDecoder> decoder(const TurnRequest& turn,
                                         const HarnessSettings& settings) const override {
    return std::make_unique<ClaudeDecoder>(turn.model, settings.prices);
  }
};

}  // namespace

const Harness& claude_harness() {
  static const ClaudeHarness harness;
  return harness;
}

}  // namespace bottega::agents::detail
