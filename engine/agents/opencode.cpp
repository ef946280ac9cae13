// The OpenCode adapter (`opencode run --format json`).
#include "engine/agents/json_decoder.h"
#include "engine/agents/model_rules.h"

namespace bottega::agents::detail {
namespace {

class OpenCodeDecoder final : public JsonDecoder {
 public:
  OpenCodeDecoder(std::string model, PriceTable prices)
      : model_(std::move(model)), prices_(std::move(prices)) {}

  void finish(std::vector<Event>& out) override {
    // 1.18.33 has no final event: the end of the stream ends the turn.
    if (finished_) return;
    finished_ = true;
    state_.completed = true;
    price_if_unknown(state_.usage, prices_, model_);
    Event e;
    e.kind = EventKind::result;
    e.subtype = state_.agent_error ? "error" : "success";
    e.is_error = state_.agent_error.has_value();
    e.usage = state_.usage;
    out.push_back(std::move(e));
    ++state_.events;
  }

 private:
  void decode_object(object obj, std::string_view line, std::vector<Event>& out) override {
    if (auto sid = str(obj, "sessionID"); !sid.empty() && state_.session_id != sid)
      state_.session_id = sid;
    std::string_view type = str(obj, "type");
    object part;
    bool has_part = sub(obj, "part", part);
    if (type == "text" && has_part) {
      Event e;
      e.kind = EventKind::assistant;
      e.text = str(part, "text");
      out.push_back(std::move(e));
    } else if (type == "reasoning" && has_part) {
      Event e;
      e.kind = EventKind::thinking;
      e.text = str(part, "text");
      out.push_back(std::move(e));
    } else if (type == "tool_use" && has_part) {
      tool(part, out);
    } else if (type == "step_start") {
      Event e;
      e.subtype = "step_start";
      out.push_back(std::move(e));
    } else if (type == "step_finish" && has_part) {
      step_finish(part, out);
    } else if (type == "error") {
      Event e;
      e.kind = EventKind::error;
      object error;
      if (sub(obj, "error", error)) {
        object data;
        if (sub(error, "data", data)) e.text = str(data, "message");
        e.subtype = str(error, "name");
      }
      if (e.text.empty()) e.text = e.subtype.empty() ? "the agent reported an error" : e.subtype;
      state_.agent_error = e.text;
      out.push_back(std::move(e));
    } else if (type == "done") {
      finish(out);
    } else {
      out.push_back(unknown_event(type, line));
    }
  }

  void tool(object part, std::vector<Event>& out) {
    Event use;
    use.kind = EventKind::tool_use;
    use.tool = str(part, "tool");
    use.tool_id = str(part, "callID");
    object st;
    bool has_state = sub(part, "state", st);
    if (has_state) use.input = raw(st, "input");
    std::string_view status = has_state ? str(st, "status") : "";
    out.push_back(use);
    if (status != "completed" && status != "error") return;
    Event r;
    r.kind = EventKind::tool_result;
    r.tool_id = use.tool_id;
    r.is_error = status == "error";
    r.text = r.is_error ? str(st, "error") : str(st, "output");
    object metadata;
    if (sub(st, "metadata", metadata) && has(metadata, "exit")) r.exit_code = i64(metadata, "exit");
    out.push_back(std::move(r));
  }

  void step_finish(object part, std::vector<Event>& out) {
    Usage u;
    object tokens;
    if (sub(part, "tokens", tokens)) {
      u.input_tokens = count(tokens, "input");
      u.output_tokens = count(tokens, "output");
      u.reasoning_tokens = count(tokens, "reasoning");
      object cache;
      if (sub(tokens, "cache", cache)) {
        u.cached_input_tokens = count(cache, "read");
        u.cache_write_tokens = count(cache, "write");
      }
    }
    u.cost_usd = cost(part, "cost");
    state_.usage += u;  // per step: the turn's usage is the sum
    Event e;
    e.subtype = "step_finish";
    e.text = str(part, "reason");
    e.usage = u;
    out.push_back(std::move(e));
  }

  std::string model_;
  PriceTable prices_;
  bool finished_ = false;
};

class OpenCodeHarness final : public Harness {
 public:
  std::string_view name() const override { return "opencode"; }
  Capabilities capabilities() const override {
    return {.disallowed_tools = true,
            .system_prompt = true,
            .reports_cost = true,
            .final_event = false};
  }

  Result<LaunchPlan> plan(const TurnRequest& turn, const HarnessSettings& settings) const override {
    if (auto e = check_model("opencode", turn.model)) return make_error(*e);
    if (auto e = check_effort("opencode", turn.effort)) return make_error(*e);
    if (settings.binary.empty()) return make_error("harnesses.opencode.binary is not set");
    LaunchPlan p;
    p.cwd = turn.worktree;
    p.argv = {settings.binary, "run", "--format", "json", "-m", turn.model};
    if (!turn.effort.empty()) p.argv.insert(p.argv.end(), {"--variant", turn.effort});
    p.argv.insert(p.argv.end(), {"--dir", turn.worktree});
    if (!turn.resume_session.empty())
      p.argv.insert(p.argv.end(), {"--session", turn.resume_session});
    p.argv.insert(p.argv.end(), {"--auto", "--", turn.prompt});

    // Inline configuration: the provider's endpoint and key, instructions, denied tools.
    std::string provider = turn.model.substr(0, turn.model.find('/'));
    std::string config = "{\"$schema\":\"https://opencode.ai/config.json\",\"autoupdate\":false";
    if (!settings.base_url.empty() || !settings.api_key.empty()) {
      config += ",\"provider\":{\"";
      append_json_escaped(provider, config);
      config += "\":{";
      // A provider OpenCode does not know is an OpenAI-compatible endpoint
      // (gateways, local servers): declare it and its model.
      const bool builtin = provider == "anthropic" || provider == "openai" ||
                           provider == "google" || provider == "openrouter" ||
                           provider == "opencode";
      if (!builtin) {
        config += "\"npm\":\"@ai-sdk/openai-compatible\",\"name\":\"";
        append_json_escaped(provider, config);
        config += "\",\"models\":{\"";
        append_json_escaped(turn.model.substr(provider.size() + 1), config);
        config += "\":{}},";
      }
      config += "\"options\":{";
      bool first = true;
      if (!settings.base_url.empty()) {
        config += "\"baseURL\":\"";
        append_json_escaped(settings.base_url, config);
        config += '"';
        first = false;
      }
      if (!settings.api_key.empty()) {
        config += first ? "\"apiKey\":\"" : ",\"apiKey\":\"";
        append_json_escaped(settings.api_key, config);
        config += '"';
      }
      config += "}}}";
    }
    if (!turn.system_prompt.empty()) {
      std::string file = turn.run_dir + "/instructions.md";
      p.files.emplace_back(file, turn.system_prompt);
      config += ",\"instructions\":[\"";
      append_json_escaped(file, config);
      config += "\"]";
    }
    auto denied = turn.disallowed_tools;
    if (turn.forbid_subagents) denied.emplace_back("task");  // OpenCode's ids are lower case
    if (!denied.empty()) {
      config += ",\"tools\":{";
      for (std::size_t i = 0; i < denied.size(); ++i) {
        config += i ? ",\"" : "\"";
        append_json_escaped(denied[i], config);
        config += "\":false";
      }
      config += '}';
    }
    config += '}';
    p.env["OPENCODE_CONFIG_CONTENT"] = config;
    p.env["OPENCODE_DISABLE_AUTOUPDATE"] = "1";
    p.env["OPENCODE_DISABLE_MODELS_FETCH"] = "1";
    return p;
  }

  std::unique_ptr<StreamDecoder> decoder(const TurnRequest& turn,
                                         const HarnessSettings& settings) const override {
    return std::make_unique<OpenCodeDecoder>(turn.model, settings.prices);
  }
};

}  // namespace

const Harness& opencode_harness() {
  static const OpenCodeHarness harness;
  return harness;
}

}  // namespace bottega::agents::detail
