#include "engine/db/secret_box.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <memory>

namespace bottega {
namespace {

constexpr std::size_t kKeyBytes = 32, kNonceBytes = 12, kTagBytes = 16;

using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) return {};
  return out;
}

}  // namespace

Result<SecretBox> SecretBox::from_key(std::string key) {
  if (key.size() != kKeyBytes) return make_error("the secret key must be 32 bytes");
  return SecretBox(std::move(key));
}

Result<SecretBox> SecretBox::load(const std::string& hex_key, const std::string& data_dir) {
  if (!hex_key.empty()) {
    if (hex_key.size() != 2 * kKeyBytes)
      return make_error("BOTTEGA_SECRET_KEY must be 64 hex digits (openssl rand -hex 32)");
    std::string key;
    for (std::size_t i = 0; i < hex_key.size(); i += 2) {
      auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
      };
      int hi = nibble(hex_key[i]), lo = nibble(hex_key[i + 1]);
      if (hi < 0 || lo < 0)
        return make_error("BOTTEGA_SECRET_KEY must be 64 hex digits (openssl rand -hex 32)");
      key += static_cast<char>(hi * 16 + lo);
    }
    return from_key(std::move(key));
  }
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  const std::string path = (std::filesystem::path(data_dir) / "secret.key").string();
  // Created exclusively with 0600, so two processes starting at once agree.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    std::string key = random_bytes(kKeyBytes);
    const bool written = !key.empty() &&
                         ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) &&
                         ::fsync(fd) == 0;
    ::close(fd);
    if (!written) {
      ::unlink(path.c_str());
      return make_error("cannot write the secret key file " + path);
    }
  }
  fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return make_error("cannot read the secret key file " + path);
  struct stat st {};
  std::string key(kKeyBytes + 1, '\0');
  ssize_t n = ::fstat(fd, &st) == 0 ? ::read(fd, key.data(), key.size()) : -1;
  ::close(fd);
  if (st.st_mode & (S_IRWXG | S_IRWXO))
    return make_error("the secret key file " + path +
                      " can be read by others; chmod 600 it (or set BOTTEGA_SECRET_KEY)");
  if (n != static_cast<ssize_t>(kKeyBytes))
    return make_error("the secret key file " + path + " is not 32 bytes");
  key.resize(kKeyBytes);
  return from_key(std::move(key));
}

Result<std::string> SecretBox::seal(const std::string& plaintext) const {
  std::string nonce = random_bytes(kNonceBytes);
  if (nonce.empty()) return make_error("no random bytes for a nonce");
  CipherContext ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  std::string out = nonce;
  out.resize(kNonceBytes + plaintext.size() + kTagBytes);
  auto* o = reinterpret_cast<unsigned char*>(out.data()) + kNonceBytes;
  int len = 0, total = 0;
  if (!ctx ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr,
                         reinterpret_cast<const unsigned char*>(key_.data()),
                         reinterpret_cast<const unsigned char*>(nonce.data())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), o, &len,
                        reinterpret_cast<const unsigned char*>(plaintext.data()),
                        static_cast<int>(plaintext.size())) != 1)
    return make_error("encryption failed");
  total = len;
  if (EVP_EncryptFinal_ex(ctx.get(), o + total, &len) != 1) return make_error("encryption failed");
  total += len;
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, o + total) != 1)
    return make_error("encryption failed");
  out.resize(kNonceBytes + static_cast<std::size_t>(total) + kTagBytes);
  return out;
}

Result<std::string> SecretBox::open(const std::string& sealed) const {
  if (sealed.size() < kNonceBytes + kTagBytes) return make_error("a sealed secret is too short");
  const auto* in = reinterpret_cast<const unsigned char*>(sealed.data());
  const std::size_t n = sealed.size() - kNonceBytes - kTagBytes;
  std::string out(n, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  CipherContext ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int len = 0, total = 0;
  std::string tag = sealed.substr(kNonceBytes + n);
  if (!ctx ||
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr,
                         reinterpret_cast<const unsigned char*>(key_.data()), in) != 1 ||
      EVP_DecryptUpdate(ctx.get(), o, &len, in + kNonceBytes, static_cast<int>(n)) != 1)
    return make_error("decryption failed");
  total = len;
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), o + total, &len) != 1)
    return make_error(
        "the stored App credentials cannot be opened with this key (another BOTTEGA_SECRET_KEY "
        "or secret.key than the host that registered the App?)");
  total += len;
  out.resize(static_cast<std::size_t>(total));
  return out;
}

}  // namespace bottega
