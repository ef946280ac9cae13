// FakeModelApi: a local stand-in for the model APIs the agent CLIs call,
// answering every conversation with one tool call (a shell command) and,
// once the tool's result comes back, a final text. It speaks:
//   - Anthropic Messages (POST /v1/messages, SSE or JSON) for claude,
//   - OpenAI Responses (POST /v1/responses, SSE) for codex,
//   - OpenAI-compatible chat completions (POST /v1/chat/completions, SSE)
//     for opencode.
// Requests without tools (titles, summaries) get a short text. Every
// request is recorded for assertions.
// Thread-safety: start()/stop() from one thread; requests() from any.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/base/result.h"

namespace bottega::testing {

struct RecordedRequest {
  std::string method;
  std::string path;
  std::string body;
  std::string authorization;  // the Authorization or x-api-key header
};

class FakeModelApi {
 public:
  // `command` is the shell command the tool call asks for.
  explicit FakeModelApi(std::string command, std::string final_text = "Done: the file is written.");
  ~FakeModelApi();

  Result<void> start();  // binds 127.0.0.1 on a free port
  void stop();
  std::string base_url() const;  // http://127.0.0.1:PORT
  std::vector<RecordedRequest> requests() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bottega::testing
