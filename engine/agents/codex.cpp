// The Codex CLI adapter (`codex exec --json`).
#include <algorithm>
#include <set>

#include "engine/agents/json_decoder.h"
#include "engine/agents/model_rules.h"

namespace bottega::agents::detail {
namespace {

Usage minus(const Usage& a, const Usage& b) {
  Usage d;
  bool overflow = false;  // each difference computed, even after one overflowed
  auto sub = [&overflow](int64_t x, int64_t y, int64_t& out) {
    if (__builtin_sub_overflow(x, y, &out)) overflow = true;
  };
  sub(a.input_tokens, b.input_tokens, d.input_tokens);
  sub(a.cached_input_tokens, b.cached_input_tokens, d.cached_input_tokens);
  sub(a.cache_write_tokens, b.cache_write_tokens, d.cache_write_tokens);
  sub(a.output_tokens, b.output_tokens, d.output_tokens);
  sub(a.reasoning_tokens, b.reasoning_tokens, d.reasoning_tokens);
  // A total below the previous one means a different thread (or a reset):
  // the new total is then this turn's usage.
  if (overflow || d.input_tokens < 0 || d.cached_input_tokens < 0 || d.cache_write_tokens < 0 ||
      d.output_tokens < 0 || d.reasoning_tokens < 0) {
    Usage fresh = a;
    fresh.cost_usd.reset();
    return fresh;
  }
  return d;
}

class CodexDecoder final : public JsonDecoder {
 public:
  CodexDecoder(std::string model, PriceTable prices, Usage prior)
      : model_(std::move(model)), prices_(std::move(prices)) {
    state_.thread_usage = prior;
  }

 private:
  void decode_object(object obj, std::string_view line, std::vector<Event>& out) override {
    std::string_view type = str(obj, "type");
    if (type == "thread.started") {
      state_.session_id = str(obj, "thread_id");
      out.push_back(system("thread.started", state_.session_id));
    } else if (type == "turn.started") {
      out.push_back(system("turn.started", ""));
    } else if (type == "item.started") {
      object item;
      if (sub(obj, "item", item) && str(item, "type") == "command_execution") tool_use(item, out);
    } else if (type == "item.updated") {
      // Progress of an item that item.completed reports whole.
    } else if (type == "item.completed") {
      object item;
      if (!sub(obj, "item", item)) {
        out.push_back(unknown_event(type, line));
        return;
      }
      completed_item(item, line, out);
    } else if (type == "turn.completed") {
      turn_completed(obj, out);
    } else if (type == "turn.failed") {
      Event e;
      e.kind = EventKind::error;
      object error;
      if (sub(obj, "error", error)) e.text = str(error, "message");
      if (e.text.empty()) e.text = "the turn failed";
      state_.agent_error = e.text;
      out.push_back(std::move(e));
    } else if (type == "error") {
      Event e;
      e.kind = EventKind::error;
      e.subtype = "transient";  // "Reconnecting…": turn.failed is the failure
      e.text = str(obj, "message");
      out.push_back(std::move(e));
    } else {
      out.push_back(unknown_event(type, line));
    }
  }

  static Event system(std::string_view subtype, std::string_view text) {
    Event e;
    e.subtype = subtype;
    e.text = text;
    return e;
  }

  void tool_use(object item, std::vector<Event>& out) {
    std::string id(str(item, "id"));
    if (!started_.insert(id).second) return;
    Event e;
    e.kind = EventKind::tool_use;
    e.tool = str(item, "type");
    e.tool_id = id;
    if (e.tool == "command_execution") {
      e.input = str(item, "command");
    } else if (e.tool == "file_change") {
      e.input = raw(item, "changes");
    } else if (e.tool == "mcp_tool_call") {
      e.tool = std::string(str(item, "server")) + "/" + std::string(str(item, "tool"));
      e.input = raw(item, "arguments");
    } else if (e.tool == "web_search") {
      e.input = str(item, "query");
    }
    out.push_back(std::move(e));
  }

  void completed_item(object item, std::string_view line, std::vector<Event>& out) {
    std::string_view t = str(item, "type");
    if (t == "agent_message") {
      Event e;
      e.kind = EventKind::assistant;
      e.text = str(item, "text");
      out.push_back(std::move(e));
    } else if (t == "reasoning") {
      Event e;
      e.kind = EventKind::thinking;
      e.text = str(item, "text");
      out.push_back(std::move(e));
    } else if (t == "command_execution" || t == "file_change" || t == "mcp_tool_call" ||
               t == "web_search") {
      tool_use(item, out);
      Event r;
      r.kind = EventKind::tool_result;
      r.tool_id = str(item, "id");
      std::string_view status = str(item, "status");
      r.is_error = status == "failed" || status == "declined";
      if (t == "command_execution") {
        r.text = str(item, "aggregated_output");
        if (has(item, "exit_code")) {
          r.exit_code = i64(item, "exit_code");
          r.is_error = r.is_error || *r.exit_code != 0;
        }
      } else if (t == "file_change") {
        simdjson::dom::array changes;
        if (!item["changes"].get(changes))
          for (element c : changes) {
            object o;
            if (c.get(o)) continue;
            r.text += std::string(str(o, "kind")) + " " + std::string(str(o, "path")) + "\n";
          }
      } else if (t == "mcp_tool_call") {
        r.text = has(item, "error") ? raw(item, "error") : raw(item, "result");
      }
      out.push_back(std::move(r));
    } else if (t == "todo_list") {
      out.push_back(system("todo_list", raw(item, "items")));
    } else if (t == "error") {
      Event e;
      e.kind = EventKind::error;
      e.subtype = "item";
      e.text = str(item, "message");
      out.push_back(std::move(e));
    } else {
      out.push_back(unknown_event(t, line));
    }
  }

  void turn_completed(object obj, std::vector<Event>& out) {
    Usage total;
    object usage;
    if (sub(obj, "usage", usage)) {
      // input_tokens counts the whole prompt, cached and cache-written parts included.
      // Counts are non-negative, so each difference, floored at 0 before the
      // next, cannot overflow.
      int64_t input = count(usage, "input_tokens");
      total.cached_input_tokens = count(usage, "cached_input_tokens");
      total.cache_write_tokens = count(usage, "cache_write_input_tokens");
      int64_t uncached = std::max<int64_t>(0, input - total.cached_input_tokens);
      total.input_tokens = std::max<int64_t>(0, uncached - total.cache_write_tokens);
      total.output_tokens = count(usage, "output_tokens");
      total.reasoning_tokens = count(usage, "reasoning_output_tokens");
    }
    Usage delta = minus(total, state_.thread_usage);
    delta.cost_usd.reset();
    price_if_unknown(delta, prices_, model_);
    state_.thread_usage = total;
    state_.usage += delta;
    if (!state_.usage.cost_usd && delta.cost_usd) state_.usage.cost_usd = delta.cost_usd;
    state_.completed = true;
    Event e;
    e.kind = EventKind::result;
    e.subtype = "success";
    e.usage = delta;
    out.push_back(std::move(e));
  }

  std::string model_;
  PriceTable prices_;
  std::set<std::string> started_;
};

class CodexHarness final : public Harness {
 public:
  std::string_view name() const override { return "codex"; }
  Capabilities capabilities() const override {
    return {.disallowed_tools = false,
            .system_prompt = true,
            .reports_cost = false,
            .final_event = true};
  }

  Result<LaunchPlan> plan(const TurnRequest& turn, const HarnessSettings& settings) const override {
    if (auto e = check_model("codex", turn.model)) return make_error(*e);
    if (auto e = check_effort("codex", turn.effort)) return make_error(*e);
    if (settings.binary.empty()) return make_error("harnesses.codex.binary is not set");
    LaunchPlan p;
    p.cwd = turn.worktree;
    p.argv = {settings.binary, "exec"};
    if (!turn.resume_session.empty()) p.argv.insert(p.argv.end(), {"resume", turn.resume_session});
    p.argv.insert(p.argv.end(), {"--json", "--skip-git-repo-check"});
    if (turn.resume_session.empty()) p.argv.insert(p.argv.end(), {"-C", turn.worktree});
    p.argv.insert(p.argv.end(), {"-m", turn.model, "--dangerously-bypass-approvals-and-sandbox"});
    auto config = [&p](const std::string& kv) { p.argv.insert(p.argv.end(), {"-c", kv}); };
    if (!turn.effort.empty()) config("model_reasoning_effort=" + toml_string(turn.effort));
    if (!turn.system_prompt.empty())
      config("developer_instructions=" + toml_string(turn.system_prompt));
    // Codex's sub-agents (its multi_agent tools) are a feature switched off by config.
    if (turn.forbid_subagents) config("features.multi_agent=false");
    if (!settings.base_url.empty()) {
      // OPENAI_BASE_URL is ignored: a custom provider is the way to an endpoint.
      config("model_provider=\"bottega\"");
      config("model_providers.bottega.name=\"bottega\"");
      config("model_providers.bottega.base_url=" + toml_string(settings.base_url));
      config("model_providers.bottega.env_key=\"OPENAI_API_KEY\"");
      config("model_providers.bottega.wire_api=\"responses\"");
      config("model_providers.bottega.request_max_retries=2");
      config("model_providers.bottega.stream_max_retries=2");
    }
    p.argv.insert(p.argv.end(), {"--", turn.prompt});  // a prompt may start with '-'
    if (!settings.api_key.empty()) {
      p.env["OPENAI_API_KEY"] = settings.api_key;
      p.env["CODEX_API_KEY"] = settings.api_key;
    }
    return p;
  }

  std::unique_ptr<StreamDecoder> decoder(const TurnRequest& turn,
                                         const HarnessSettings& settings) const override {
    return std::make_unique<CodexDecoder>(turn.model, settings.prices, turn.prior_thread_usage);
  }
};

}  // namespace

const Harness& codex_harness() {
  static const CodexHarness harness;
  return harness;
}

}  // namespace bottega::agents::detail
