// The web pages' parsers of what a browser or an agent sends: the Cookie
// header and the signed cookies in it, the stream's cursor
// (Last-Event-ID), the return path, and the renderers of agent
// text (Markdown, a stored event's JSON). None may crash, and the
// rendered HTML never holds a tag that was in the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "app/web/html.h"
#include "app/web/session.h"
#include "app/web/transcript_view.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  using namespace bottega::web;
  static const CookieSigner signer("fuzz-secret");
  const std::string value = cookie_value(input, kSessionCookie);
  (void)signer.session_login(value, 1000);
  (void)signer.session_login(input, 1000);
  (void)signer.state_return(input, "nonce", 1000);
  (void)parse_cursor(input);
  (void)safe_return_path(input);
  const std::string md = markdown(input);
  if (md.find("<script") != std::string::npos) std::abort();
  (void)escape(input);
  (void)event_html("tool_result", input);
  (void)event_html("assistant", input);
  return 0;
}
