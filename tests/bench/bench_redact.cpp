// bench_redact: the redactor's throughput over an agent-transcript-like
// text (~100 MB of JSON lines) with 0, 10 and 100 registered secrets
// (each with all its encoded forms), plus find_secret() on the same text.
//
//   bench_redact [--mb N]
//
// A few secrets are planted in the text so the replacing path runs too.
// Build it Release for figures (see README.md, "Performance").
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "config/base/redactor.h"

using namespace bottega;
using Steady = std::chrono::steady_clock;

namespace {

std::string random_token(std::mt19937_64& rng, std::size_t n) {
  static const char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
  std::string s = "sk-";
  for (std::size_t i = 0; i < n; ++i) s += kChars[rng() % 64];
  return s;
}

// JSON lines like a transcript: prose, code, paths, base64 and hex blobs.
std::string make_text(std::mt19937_64& rng, std::size_t bytes) {
  static const char* kWords[] = {"the",         "function",
                                 "returns",     "{\"kind\":\"assistant\"",
                                 "int",         "src/engine/worker.cpp",
                                 "std::string", "if",
                                 "error:",      "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=",
                                 "0x7ffd3a2c",  "deadbeef",
                                 "\\n",         "test",
                                 "passed",      "npm",
                                 "install",     "--save-dev"};
  std::string out;
  out.reserve(bytes + 256);
  while (out.size() < bytes) {
    for (int w = 0; w < 20; ++w) {
      out += kWords[rng() % (sizeof kWords / sizeof *kWords)];
      out += ' ';
    }
    out += "\"}\n";
  }
  out.resize(bytes);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t mb = 100;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::string_view(argv[i]) == "--mb") mb = std::strtoul(argv[i + 1], nullptr, 10);
  std::mt19937_64 rng(42);
  const std::string base = make_text(rng, mb * 1024 * 1024);
  std::printf("text: %zu MB\n", mb);
  for (int count : {0, 10, 100}) {
    Redactor r;
    std::vector<std::string> secrets;
    for (int i = 0; i < count; ++i) {
      secrets.push_back(random_token(rng, 40));
      r.register_secret(secrets.back(), "secret " + std::to_string(i));
    }
    std::string text = base;
    if (!secrets.empty())  // a handful of leaks, spread over the text
      for (std::size_t at = text.size() / 7; at + 64 < text.size(); at += text.size() / 7)
        text.replace(at, secrets[at % secrets.size()].size(), secrets[at % secrets.size()]);

    auto t0 = Steady::now();
    std::string out = r.redact(text);
    auto t1 = Steady::now();
    auto found = r.find_secret(base);
    auto t2 = Steady::now();
    auto secs = [](auto d) { return std::chrono::duration<double>(d).count(); };
    std::printf("%3d secrets (%4zu forms): redact %8.1f MB/s, find_secret %8.1f MB/s%s\n", count,
                r.pattern_count(), double(mb) / secs(t1 - t0), double(mb) / secs(t2 - t1),
                found ? " (unexpected match)" : "");
  }
  return 0;
}
