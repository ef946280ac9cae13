// bench_stream: decodes and persists a ~100 MB agent stream and prints
// MB/s decoded (one core) and events/s persisted (PostgreSQL, COPY batches),
// plus the line-to-row latency of the transcript writer.
//
//   bench_stream [--mb N] [--harness claude|codex|opencode] [--file STREAM.jsonl]
//
// Persisting needs $BOTTEGA_TEST_DATABASE_URL (an admin connection string:
// a scratch database is created and dropped); without it only decoding runs.
// Build it Release for figures (see README.md, "Performance").
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <pqxx/pqxx>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "engine/agents/harness.h"
#include "engine/agents/transcript_store.h"
#include "engine/db/database.h"
#include "engine/db/migrations.h"

using namespace bottega;
using namespace bottega::agents;
using Steady = std::chrono::steady_clock;

namespace {

double seconds_since(Steady::time_point t) {
  return std::chrono::duration<double>(Steady::now() - t).count();
}

std::string esc(const std::string& s) {
  std::string out;
  append_json_escaped(s, out);
  return out;
}

// A stream in the recorded shape of each CLI: a realistic mix of messages,
// tool calls with outputs of a few hundred bytes to a few KB, and usage.
std::string make_stream(const std::string& harness, std::size_t bytes) {
  std::string out;
  out.reserve(bytes + 8192);
  std::string prose =
      "I will look at the failing test first, then change the parser so that an empty body is "
      "rejected with a clear message. ";
  std::string output;
  for (int i = 0; i < 40; ++i)
    output += "src/module_" + std::to_string(i) + ".cpp:42: warning: unused variable 'x'\n";
  const std::string sid = "5d9c1c9e-8f0e-4f0b-9b7a-0c1e2d3f4a5b";
  for (std::size_t n = 0; out.size() < bytes; ++n) {
    std::string id = std::to_string(n);
    if (harness == "claude") {
      out +=
          R"({"type":"assistant","message":{"id":"msg_)" + id +
          R"(","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":")" +
          esc(prose + prose) +
          R"("}],"stop_reason":null,"usage":{"input_tokens":12,"output_tokens":80}},"parent_tool_use_id":null,"session_id":")" +
          sid + "\"}\n";
      out +=
          R"({"type":"assistant","message":{"id":"msg_)" + id +
          R"(","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"tool_use","id":"toolu_)" +
          id +
          R"(","name":"Bash","input":{"command":"make -C build test 2>&1 | tail -40","description":"Run the tests"}}],"stop_reason":null,"usage":{"input_tokens":12,"output_tokens":30}},"parent_tool_use_id":null,"session_id":")" +
          sid + "\"}\n";
      out += R"({"type":"user","message":{"role":"user","content":[{"tool_use_id":"toolu_)" + id +
             R"(","type":"tool_result","content":")" + esc(output) +
             R"(","is_error":false}]},"parent_tool_use_id":null,"session_id":")" + sid + "\"}\n";
    } else if (harness == "codex") {
      out += R"({"type":"item.completed","item":{"id":"item_)" + id +
             R"(","type":"agent_message","text":")" + esc(prose + prose) + "\"}}\n";
      out +=
          R"({"type":"item.completed","item":{"id":"item_c)" + id +
          R"(","type":"command_execution","command":"bash -lc 'make test'","aggregated_output":")" +
          esc(output) +
          R"(","exit_code":0,"status":"completed"}})"
          "\n";
      out += R"({"type":"turn.completed","usage":{"input_tokens":)" +
             std::to_string(1000 * (n + 1)) + R"(,"cached_input_tokens":)" +
             std::to_string(800 * (n + 1)) + R"(,"output_tokens":)" +
             std::to_string(100 * (n + 1)) +
             R"(,"reasoning_output_tokens":0}})"
             "\n";
    } else {
      std::string pre =
          R"({"type":"text","timestamp":1763700000000,"sessionID":"ses_abc","part":{"id":"prt_)" +
          id;
      out += pre + R"(","sessionID":"ses_abc","messageID":"msg_1","type":"text","text":")" +
             esc(prose + prose) +
             R"(","time":{"start":1,"end":2}}})"
             "\n";
      out +=
          R"({"type":"tool_use","timestamp":1763700000000,"sessionID":"ses_abc","part":{"id":"prt_t)" +
          id + R"(","callID":"call_)" + id +
          R"(","tool":"bash","type":"tool","state":{"status":"completed","input":{"command":"make test"},"output":")" +
          esc(output) +
          R"(","metadata":{"exit":0}}}})"
          "\n";
      out +=
          R"({"type":"step_finish","timestamp":1763700000000,"sessionID":"ses_abc","part":{"type":"step-finish","reason":"tool-calls","cost":0.001,"tokens":{"input":100,"output":20,"reasoning":0,"cache":{"read":50,"write":0}}}})"
          "\n";
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t mb = 100;
  std::string harness = "claude", file;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--mb")
      mb = std::strtoul(argv[i + 1], nullptr, 10);
    else if (a == "--harness")
      harness = argv[i + 1];
    else if (a == "--file")
      file = argv[i + 1];
  }
  const Harness* h = find_harness(harness);
  if (!h) {
    std::fprintf(stderr, "bench_stream: unknown harness %s\n", harness.c_str());
    return 2;
  }
  std::string stream;
  if (!file.empty()) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    stream = ss.str();
  } else {
    stream = make_stream(harness, mb << 20);
  }

  // Decode: one decoder on one core, the way the runner feeds it lines.
  TurnRequest turn;
  turn.model = harness == "opencode" ? "anthropic/claude-sonnet-4-5" : "gpt-5";
  auto decoder = h->decoder(turn, {});
  std::vector<Event> events;
  events.reserve(stream.size() / 300);
  std::size_t lines = 0;
  auto t0 = Steady::now();
  std::string_view rest(stream);
  while (!rest.empty()) {
    auto nl = rest.find('\n');
    decoder->decode(rest.substr(0, nl), events);
    ++lines;
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
  decoder->finish(events);
  double decode_s = seconds_since(t0);
  double mbytes = static_cast<double>(stream.size()) / (1 << 20);
  std::printf("stream:  %s format, %.1f MB, %zu lines, %zu events\n", harness.c_str(), mbytes,
              lines, events.size());
  std::printf("decode:  %.0f MB/s, %.0f lines/s (%.3f s, one core)\n", mbytes / decode_s,
              lines / decode_s, decode_s);

  const char* admin = std::getenv("BOTTEGA_TEST_DATABASE_URL");
  if (!admin || !*admin) {
    std::printf("persist: skipped (set BOTTEGA_TEST_DATABASE_URL to an admin connection string)\n");
    return 0;
  }
  std::string name = "bench_stream_" + std::to_string(::getpid());
  try {
    pqxx::connection conn(admin);
    pqxx::nontransaction(conn).exec("CREATE DATABASE " + name);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_stream: cannot create a database: %s\n", e.what());
    return 1;
  }
  int status = 0;
  {
    std::string url = std::string(admin) + " dbname=" + name;
    pqxx::connection conn(url);
    if (auto m = apply_migrations(conn, builtin_migrations()); !m) {
      std::fprintf(stderr, "bench_stream: %s\n", m.error().message.c_str());
      return 1;
    }
    Database db(url, 4);
    TranscriptStore store(db, SystemClock::instance());
    auto run = store.begin_run({std::nullopt, "bench", harness, turn.model, ""});
    if (!run) {
      std::fprintf(stderr, "bench_stream: %s\n", run.error().message.c_str());
      return 1;
    }
    auto t1 = Steady::now();
    TranscriptWriter writer(store, *run);
    for (const auto& e : events) writer.on_event(e);
    auto closed = writer.close();
    double persist_s = seconds_since(t1);
    if (!closed) {
      std::fprintf(stderr, "bench_stream: %s\n", closed.error().message.c_str());
      status = 1;
    }
    std::printf(
        "persist: %.0f events/s (%zu events in %.3f s; COPY batches of up to 5000, serialization "
        "included)\n",
        writer.written() / persist_s, writer.written(), persist_s);

    // Line-to-row latency: one event at a time, polled until its row is visible.
    auto run2 = store.begin_run({std::nullopt, "bench", harness, turn.model, ""});
    std::vector<double> lat;
    if (run2) {
      TranscriptWriter w(store, *run2);
      pqxx::connection poll(url);
      for (int i = 0; i < 20; ++i) {
        auto t = Steady::now();
        w.on_event(events[static_cast<std::size_t>(i)]);
        for (;;) {
          pqxx::read_transaction tx(poll);
          auto r = tx.exec_params("SELECT count(*) FROM agent_events WHERE run_id = $1", *run2);
          if (r[0][0].as<int>() > i) break;
          tx.commit();
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        lat.push_back(seconds_since(t) * 1000);
        std::this_thread::sleep_for(
            std::chrono::milliseconds(37));  // land at varied points of the interval
      }
      (void)w.close();
      std::sort(lat.begin(), lat.end());
      std::printf(
          "latency: line to row p50 %.0f ms, max %.0f ms (%zu samples, flush interval 100 ms)\n",
          lat[lat.size() / 2], lat.back(), lat.size());
    }
  }
  try {
    pqxx::connection conn(admin);
    pqxx::nontransaction(conn).exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
  } catch (const std::exception&) {
  }
  return status;
}
