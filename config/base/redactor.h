// The one redactor: every text the app writes to GitHub (comments, replies,
// PR bodies, commit messages, the stderr tail), to its logs and to the
// transcript store passes through it, and it knows every secret the app
// holds: the exact value and its common encodings, namely
//   - JSON-escaped (also with "\/"), percent-encoded (%XX upper and lower),
//   - hex (lower and upper case),
//   - base64, standard and URL-safe, with and without padding, and the
//     three base64 alignments: the value encoded after 0, 1 and 2 prefix
//     bytes with the characters that depend on neighbouring bytes dropped,
//     so a secret inside a longer base64 blob is found too.
// Each occurrence is replaced with "[REDACTED]" (leftmost match first, the
// longest at a position). A PEM private key also registers each base64 line
// of its body, so a key is found even when only one line leaks.
//
// Values shorter than kMinSecretBytes are ignored (they would mangle
// ordinary words). A value registered n times stays until it has been
// unregistered n times (two owners of the same value do not cancel out).
//
// Matching is one pass over the text whatever the number of secrets: every
// encoded form is at least 8 bytes long, so each 8-byte window of the text
// is hashed against a bitset of the forms' first 8 bytes, and only hits are
// compared in full. The index is rebuilt on each (un)registration and
// swapped under a lock; a redaction holds no lock while it scans.
//
// Thread-safety: every member is safe from any thread at once.
// Ownership: the redactor owns copies of the secrets; the process-wide one
// (Redactor::global(), behind the free functions) lives until exit.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace bottega {

inline constexpr std::string_view kRedacted = "[REDACTED]";
inline constexpr std::size_t kMinSecretBytes = 8;

class Redactor {
 public:
  Redactor();
  ~Redactor();
  Redactor(const Redactor&) = delete;
  Redactor& operator=(const Redactor&) = delete;

  // The process-wide redactor used by the log sink, the GitHub client and
  // the transcript store.
  static Redactor& global();

  // Registers `value` and its encodings. `name` says what it is ("the App
  // private key", "harnesses.claude.api_key"); find_secret() reports it.
  // A value shorter than kMinSecretBytes is ignored.
  void register_secret(std::string value, std::string name);
  // Registers the whole PEM text and each line of its base64 body (header
  // and "-----" lines excluded), all under `name`.
  void register_pem(std::string_view pem, const std::string& name);
  // Undoes one register_secret(value) (per-turn tokens die with the turn);
  // an unknown value is not an error.
  void unregister_secret(std::string_view value);
  // Undoes register_pem(pem).
  void unregister_pem(std::string_view pem);

  // `text` with every occurrence of every registered form replaced.
  [[nodiscard]] std::string redact(std::string_view text) const;
  // The same, in place; true when something was replaced. Allocates
  // nothing when the text holds no secret.
  bool redact_in_place(std::string& text) const;
  // The name of the secret of the leftmost match, never the value; nullopt
  // when the text holds none (for refusing a push).
  [[nodiscard]] std::optional<std::string> find_secret(std::string_view text) const;

  // Distinct registered values and encoded forms (tests, benchmarks).
  std::size_t secret_count() const;
  std::size_t pattern_count() const;

  struct Index;  // the matcher (redactor.cpp)

 private:
  struct Entry {
    std::string name;
    int count = 0;
  };
  void rebuild_locked();
  std::shared_ptr<const Index> index() const;

  std::mutex write_mutex_;  // serializes registrations; guards secrets_
  std::map<std::string, Entry, std::less<>> secrets_;
  mutable std::shared_mutex index_mutex_;  // guards the index_ pointer only
  std::shared_ptr<const Index> index_;
};

// Every form under which `value` is looked for (exact value first), each at
// least kMinSecretBytes long, without duplicates. Pure; exposed for tests.
std::vector<std::string> secret_encodings(std::string_view value);

// --- the process-wide redactor --------------------------------------------
void register_secret(std::string value, std::string name);
void register_secret(std::string value);  // named "a secret"
void register_pem(std::string_view pem, const std::string& name);
void unregister_secret(std::string_view value);
std::string redact(std::string_view text);
bool redact_in_place(std::string& text);
std::optional<std::string> find_secret(std::string_view text);

}  // namespace bottega
