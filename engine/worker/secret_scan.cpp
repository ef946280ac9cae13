#include "engine/worker/secret_scan.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "config/base/redactor.h"

namespace bottega {

namespace {

// A secret split across two chunks is still found: each chunk is scanned
// with the tail of the previous one in front (longer than any secret).
constexpr std::size_t kChunk = 1 << 20;
constexpr std::size_t kOverlap = 16 * 1024;

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

Result<std::optional<std::string>> scan_file(const std::string& path) {
  Fd f{::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)};
  if (f.fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::optional<std::string>();
    return make_error("cannot read " + path + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(f.fd, &st) != 0)
    return make_error("cannot read " + path + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return std::optional<std::string>();
  std::string window;
  std::string buffer(kChunk, '\0');
  while (true) {
    ssize_t n = ::read(f.fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error("cannot read " + path + ": " + std::strerror(errno));
    if (n == 0) break;
    if (window.size() > kOverlap) window.erase(0, window.size() - kOverlap);
    window.append(buffer.data(), static_cast<std::size_t>(n));
    if (auto what = find_secret(window)) return what;
  }
  return std::optional<std::string>();
}

}  // namespace

Result<std::optional<std::string>> find_secret_in_files(const std::string& worktree,
                                                        const std::vector<std::string>& paths) {
  for (const auto& relative : paths) {
    const std::string path = worktree + "/" + relative;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) continue;  // deleted
    std::optional<std::string> what;
    if (S_ISLNK(st.st_mode)) {
      std::array<char, 4096> target{};
      ssize_t n = ::readlink(path.c_str(), target.data(), target.size());
      if (n > 0) what = find_secret(std::string_view(target.data(), static_cast<std::size_t>(n)));
    } else if (S_ISREG(st.st_mode)) {
      auto found = scan_file(path);
      if (!found) return found.error();
      what = std::move(*found);
    }
    if (what) return std::optional<std::string>(relative + " (it holds " + *what + ")");
  }
  return std::optional<std::string>();
}

bool is_workflow_file(const std::string& path) {
  // The directories themselves too: made a link or a nested repository,
  // they would carry workflows GitHub reads.
  return path == ".github" || path == ".github/" || path == ".github/workflows" ||
         path.rfind(".github/workflows/", 0) == 0;
}

Result<std::optional<UnpushableChange>> unpushable_change(const std::string& worktree,
                                                          const std::vector<std::string>& paths) {
  for (const auto& path : paths)
    if (is_workflow_file(path))
      return std::optional<UnpushableChange>(UnpushableChange{
          "`" + path +
              "` is a GitHub Actions workflow, which the App may not change (it has no "
              "`workflows` permission: workflows run with the repository's secrets); a person "
              "can make that change",
          true});
  auto leak = find_secret_in_files(worktree, paths);
  if (!leak) return leak.error();
  if (*leak)
    return std::optional<UnpushableChange>(UnpushableChange{
        "`" + **leak + "`: the app does not commit or push a secret it holds", false});
  return std::optional<UnpushableChange>();
}

}  // namespace bottega
