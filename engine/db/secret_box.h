// SecretBox: seals and opens small secrets with AES-256-GCM (OpenSSL), for
// what the app keeps in the database (the registered App's credentials).
// A sealed value is a random 12-byte nonce, the ciphertext and the 16-byte
// tag; opening fails when any byte was changed or the key is another.
//
// The key comes from BOTTEGA_SECRET_KEY (64 hex digits) or, when that is
// not set, from <data_dir>/secret.key (32 random bytes, created mode 0600
// on first use; a key file others can read is refused). Every host sharing
// the database needs the same key.
// Thread-safety: a SecretBox is immutable; seal() and open() may be called
// from any thread. Ownership: holds its key.
#pragma once

#include <string>

#include "config/base/result.h"

namespace bottega {

class SecretBox {
 public:
  // `key`: 32 raw bytes.
  static Result<SecretBox> from_key(std::string key);
  // hex_key (64 hex digits) when not empty, else the key file under data_dir.
  static Result<SecretBox> load(const std::string& hex_key, const std::string& data_dir);

  Result<std::string> seal(const std::string& plaintext) const;
  Result<std::string> open(const std::string& sealed) const;

 private:
  explicit SecretBox(std::string key) : key_(std::move(key)) {}
  std::string key_;
};

}  // namespace bottega
