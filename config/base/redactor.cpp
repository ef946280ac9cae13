#include "config/base/redactor.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

namespace bottega {
namespace {

constexpr std::size_t kAnchor = 8;  // bytes hashed per window; == kMinSecretBytes
static_assert(kAnchor <= kMinSecretBytes);
constexpr uint64_t kMultiplier = 0x9E3779B97F4A7C15ull;

const char kStd64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Base64 (standard alphabet) of `bytes` without padding: the last character
// of a partial group is computed with zero bits.
std::string base64_unpadded(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t n = (uint32_t(uint8_t(bytes[i])) << 16) | (uint32_t(uint8_t(bytes[i + 1])) << 8) |
                 uint8_t(bytes[i + 2]);
    out += kStd64[(n >> 18) & 63];
    out += kStd64[(n >> 12) & 63];
    out += kStd64[(n >> 6) & 63];
    out += kStd64[n & 63];
  }
  std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t n = uint32_t(uint8_t(bytes[i])) << 16;
    if (rest == 2) n |= uint32_t(uint8_t(bytes[i + 1])) << 8;
    out += kStd64[(n >> 18) & 63];
    out += kStd64[(n >> 12) & 63];
    if (rest == 2) out += kStd64[(n >> 6) & 63];
  }
  return out;
}

std::string url_safe(std::string s) {
  for (char& c : s) {
    if (c == '+')
      c = '-';
    else if (c == '/')
      c = '_';
  }
  return s;
}

// The characters of base64(`prefix` zero bytes + value) that depend on the
// value's bits alone: what any base64 blob holding the value at that
// alignment contains.
std::string base64_core(std::string_view value, std::size_t prefix) {
  std::string buf(prefix, '\0');
  buf.append(value);
  std::string all = base64_unpadded(buf);
  std::size_t first_bit = 8 * prefix, end_bit = 8 * (prefix + value.size());
  std::size_t first = (first_bit + 5) / 6;  // first char starting at or after first_bit
  std::size_t last = end_bit / 6;           // chars [first, last) end at or before end_bit
  if (last <= first) return {};
  return all.substr(first, last - first);
}

std::string json_escaped(std::string_view s, bool escape_slash) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '/':
        out += escape_slash ? "\\/" : "/";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

// RFC 3986: unreserved characters stay, every other byte is %XX.
std::string percent_encoded(std::string_view s, bool upper) {
  const char* hex = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '_' || c == '.' || c == '~';
    if (plain) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string hex_encoded(std::string_view s, bool upper) {
  const char* hex = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  out.reserve(2 * s.size());
  for (unsigned char c : s) {
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

uint64_t load64(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

// The lines of a PEM body: base64 text between the BEGIN and END lines,
// without header lines ("Proc-Type: ...").
std::vector<std::string> pem_body_lines(std::string_view pem) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < pem.size()) {
    auto nl = pem.find('\n', pos);
    if (nl == std::string_view::npos) nl = pem.size();
    std::string_view line = pem.substr(pos, nl - pos);
    pos = nl + 1;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
      line.remove_suffix(1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty() || line.starts_with("-----") || line.find(':') != std::string_view::npos)
      continue;
    out.emplace_back(line);
  }
  return out;
}

}  // namespace

struct Redactor::Index {
  struct Pattern {
    std::string bytes;
    uint32_t name = 0;
  };
  std::vector<Pattern> patterns;
  std::vector<std::string> names;
  std::vector<uint64_t> filter;  // bitset over hash(first 8 bytes)
  unsigned shift = 64;
  // First 8 bytes → patterns starting with them, longest first.
  std::unordered_map<uint64_t, std::vector<uint32_t>> buckets;

  struct Match {
    std::size_t pos;
    const Pattern* pattern;
  };

  // The leftmost match at or after `from` (the longest there), if any.
  std::optional<Match> next(std::string_view text, std::size_t from) const {
    if (patterns.empty() || text.size() < kAnchor) return std::nullopt;
    const char* data = text.data();
    const std::size_t n = text.size();
    const std::size_t last = n - kAnchor;
    const uint64_t* bits = filter.data();
    const unsigned sh = shift;
    for (std::size_t p = from; p <= last; ++p) {
      uint64_t w = load64(data + p);
      uint64_t h = (w * kMultiplier) >> sh;
      if (!((bits[h >> 6] >> (h & 63)) & 1)) [[likely]]
        continue;
      auto it = buckets.find(w);
      if (it == buckets.end()) continue;
      for (uint32_t i : it->second) {
        const Pattern& pat = patterns[i];
        if (pat.bytes.size() <= n - p && std::memcmp(data + p + kAnchor, pat.bytes.data() + kAnchor,
                                                     pat.bytes.size() - kAnchor) == 0)
          return Match{p, &pat};
      }
    }
    return std::nullopt;
  }
};

std::vector<std::string> secret_encodings(std::string_view value) {
  std::vector<std::string> forms;
  if (value.size() < kMinSecretBytes) return forms;
  forms.emplace_back(value);
  forms.push_back(json_escaped(value, false));
  forms.push_back(json_escaped(value, true));
  forms.push_back(percent_encoded(value, true));
  forms.push_back(percent_encoded(value, false));
  forms.push_back(hex_encoded(value, false));
  forms.push_back(hex_encoded(value, true));
  std::string whole = base64_unpadded(value);
  std::string padded = whole + std::string((4 - whole.size() % 4) % 4, '=');
  for (const auto& b : {padded, whole}) {
    forms.push_back(b);
    forms.push_back(url_safe(b));
  }
  for (std::size_t prefix = 0; prefix < 3; ++prefix) {
    std::string core = base64_core(value, prefix);
    forms.push_back(core);
    forms.push_back(url_safe(std::move(core)));
  }
  std::vector<std::string> out;
  std::unordered_set<std::string> seen;
  for (auto& f : forms)
    if (f.size() >= kMinSecretBytes && seen.insert(f).second) out.push_back(std::move(f));
  return out;
}

Redactor::Redactor() : index_(std::make_shared<Index>()) {}
Redactor::~Redactor() = default;

Redactor& Redactor::global() {
  static Redactor* redactor = new Redactor();  // never destroyed: logging may run at exit
  return *redactor;
}

void Redactor::register_secret(std::string value, std::string name) {
  if (value.size() < kMinSecretBytes) return;
  std::lock_guard lock(write_mutex_);
  auto [it, inserted] = secrets_.try_emplace(std::move(value), Entry{std::move(name), 0});
  ++it->second.count;
  if (inserted) rebuild_locked();
}

void Redactor::register_pem(std::string_view pem, const std::string& name) {
  register_secret(std::string(pem), name);
  for (auto& line : pem_body_lines(pem)) register_secret(std::move(line), name);
}

void Redactor::unregister_secret(std::string_view value) {
  std::lock_guard lock(write_mutex_);
  auto it = secrets_.find(value);
  if (it == secrets_.end()) return;
  if (--it->second.count > 0) return;
  secrets_.erase(it);
  rebuild_locked();
}

void Redactor::unregister_pem(std::string_view pem) {
  unregister_secret(pem);
  for (const auto& line : pem_body_lines(pem)) unregister_secret(line);
}

void Redactor::rebuild_locked() {
  auto index = std::make_shared<Index>();
  for (const auto& [value, entry] : secrets_) {
    auto forms = secret_encodings(value);
    uint32_t name = static_cast<uint32_t>(index->names.size());
    index->names.push_back(entry.name);
    for (auto& f : forms) index->patterns.push_back({std::move(f), name});
  }
  // Drop forms shared by two secrets (the first one keeps it).
  std::vector<Index::Pattern> unique;
  unique.reserve(index->patterns.size());
  {
    std::unordered_set<std::string> taken;
    for (auto& p : index->patterns)
      if (taken.insert(p.bytes).second) unique.push_back(std::move(p));
  }
  index->patterns = std::move(unique);

  // About 1024 bits per form (a false hit every ~1000 windows per form),
  // from 8 KB, up to 512 KB.
  unsigned log2 = 16;
  while (log2 < 22 && (std::size_t(1) << log2) < 1024 * index->patterns.size()) ++log2;
  index->shift = 64 - log2;
  index->filter.assign((std::size_t(1) << log2) / 64, 0);
  for (uint32_t i = 0; i < index->patterns.size(); ++i) {
    uint64_t w = load64(index->patterns[i].bytes.data());
    uint64_t h = (w * kMultiplier) >> index->shift;
    index->filter[h >> 6] |= uint64_t(1) << (h & 63);
    index->buckets[w].push_back(i);
  }
  for (auto& [anchor, ids] : index->buckets)
    std::stable_sort(ids.begin(), ids.end(), [&](uint32_t a, uint32_t b) {
      return index->patterns[a].bytes.size() > index->patterns[b].bytes.size();
    });

  std::unique_lock lock(index_mutex_);
  index_ = std::move(index);
}

std::shared_ptr<const Redactor::Index> Redactor::index() const {
  std::shared_lock lock(index_mutex_);
  return index_;
}

namespace {

// `text` with every match replaced, into `out`; false (and `out` untouched)
// when there is none.
bool redact_into(const Redactor::Index& ix, std::string_view text, std::string& out) {
  auto match = ix.next(text, 0);
  if (!match) return false;
  out.clear();
  out.reserve(text.size());
  std::size_t copied = 0;
  while (match) {
    out.append(text.substr(copied, match->pos - copied));
    out += kRedacted;
    copied = match->pos + match->pattern->bytes.size();
    match = ix.next(text, copied);
  }
  out.append(text.substr(copied));
  return true;
}

}  // namespace

std::string Redactor::redact(std::string_view text) const {
  std::string out;
  if (!redact_into(*index(), text, out)) out.assign(text);
  return out;
}

bool Redactor::redact_in_place(std::string& text) const {
  std::string out;
  if (!redact_into(*index(), text, out)) return false;
  text = std::move(out);
  return true;
}

std::optional<std::string> Redactor::find_secret(std::string_view text) const {
  auto ix = index();
  auto match = ix->next(text, 0);
  if (!match) return std::nullopt;
  return ix->names[match->pattern->name];
}

std::size_t Redactor::secret_count() const { return index()->names.size(); }
std::size_t Redactor::pattern_count() const { return index()->patterns.size(); }

void register_secret(std::string value, std::string name) {
  Redactor::global().register_secret(std::move(value), std::move(name));
}
void register_secret(std::string value) {
  Redactor::global().register_secret(std::move(value), "a secret");
}
void register_pem(std::string_view pem, const std::string& name) {
  Redactor::global().register_pem(pem, name);
}
void unregister_secret(std::string_view value) { Redactor::global().unregister_secret(value); }
std::string redact(std::string_view text) { return Redactor::global().redact(text); }
bool redact_in_place(std::string& text) { return Redactor::global().redact_in_place(text); }
std::optional<std::string> find_secret(std::string_view text) {
  return Redactor::global().find_secret(text);
}

}  // namespace bottega
