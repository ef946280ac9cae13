#include "config/base/safe_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

namespace bottega {

namespace {

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

std::string errno_text(int e) { return std::strerror(e); }

std::vector<std::string> split_relative(const std::string& relative, std::string& why) {
  std::vector<std::string> parts;
  if (relative.empty()) {
    why = "the path is empty";
    return {};
  }
  if (relative.front() == '/') {
    why = "an absolute path is not allowed";
    return {};
  }
  std::size_t start = 0;
  while (true) {
    auto slash = relative.find('/', start);
    std::string part =
        relative.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (part.empty()) {
      why = "it has an empty component";
      return {};
    }
    if (part == "." || part == "..") {
      why = "it has a \"" + part + "\" component";
      return {};
    }
    if (part.find('\0') != std::string::npos) {
      why = "it holds a NUL byte";
      return {};
    }
    parts.push_back(std::move(part));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return parts;
}

// What the entry `name` in `dir` is, without following a link: for errors.
std::string describe_entry(int dir, const std::string& name) {
  struct stat st {};
  if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return "";
  if (S_ISLNK(st.st_mode)) return "a symbolic link";
  if (S_ISDIR(st.st_mode)) return "a directory";
  if (S_ISREG(st.st_mode)) return "a regular file";
  if (S_ISFIFO(st.st_mode)) return "a FIFO";
  if (S_ISSOCK(st.st_mode)) return "a socket";
  return "a device";
}

bool write_all(int fd, std::string_view content) {
  while (!content.empty()) {
    ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    content.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

Result<void> write_file_beneath(const std::string& root, const std::string& relative,
                                std::string_view content) {
  std::string why;
  auto parts = split_relative(relative, why);
  if (parts.empty())
    return make_error("cannot write \"" + relative + "\" under " + root + ": " + why +
                      "; nothing was written");
  const std::string nothing = "; nothing was written";

  Fd dir(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0) return make_error("cannot open " + root + ": " + errno_text(errno));

  std::string walked;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    const std::string& part = parts[i];
    walked += (walked.empty() ? "" : "/") + part;
    int fd = ::openat(dir.get(), part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
      if (::mkdirat(dir.get(), part.c_str(), 0755) != 0 && errno != EEXIST)
        return make_error(relative + ": cannot create " + walked + ": " + errno_text(errno) +
                          nothing);
      fd = ::openat(dir.get(), part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0) {
      int e = errno;
      std::string what = describe_entry(dir.get(), part);
      if (what == "a symbolic link")
        return make_error(relative + ": " + walked + " is a symbolic link in the worktree" +
                          nothing);
      if (!what.empty() && what != "a directory")
        return make_error(relative + ": " + walked + " is " + what + ", not a directory" + nothing);
      return make_error(relative + ": cannot open " + walked + ": " + errno_text(e) + nothing);
    }
    dir = Fd(fd);
  }

  const std::string& name = parts.back();
  const std::string what = describe_entry(dir.get(), name);
  if (what == "a symbolic link")
    return make_error(relative + " is a symbolic link in the worktree" + nothing);
  if (!what.empty() && what != "a regular file")
    return make_error(relative + " is " + what + ", not a regular file" + nothing);

  // A temporary name no agent can have prepared (O_EXCL), renamed over the
  // entry: rename replaces a link planted meanwhile instead of following it.
  static std::atomic<unsigned> counter{0};
  // Appended piece by piece: GCC 12 -O2 warns (falsely, -Wrestrict) on "." + string.
  std::string tmp = ".";
  tmp += name.substr(0, 100);
  tmp += ".bottega-tmp-";
  tmp += std::to_string(::getpid());
  tmp += '-';
  tmp += std::to_string(counter++);
  Fd file(
      ::openat(dir.get(), tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (file.get() < 0)
    return make_error(relative +
                      ": cannot create a temporary file beside it: " + errno_text(errno) + nothing);
  if (!write_all(file.get(), content)) {
    int e = errno;
    ::unlinkat(dir.get(), tmp.c_str(), 0);
    return make_error(relative + ": cannot write: " + errno_text(e));
  }
  file.reset();
  if (::renameat(dir.get(), tmp.c_str(), dir.get(), name.c_str()) != 0) {
    int e = errno;
    ::unlinkat(dir.get(), tmp.c_str(), 0);
    return make_error(relative + ": cannot rename the temporary file into place: " + errno_text(e) +
                      nothing);
  }
  return {};
}

Result<std::string> read_regular_file(const std::string& path, std::size_t max_bytes) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (fd.get() < 0) {
    int e = errno;
    if (e == ENOENT) return make_error(path + " does not exist");
    if (e == ELOOP) return make_error(path + " is a symbolic link, not a regular file");
    return make_error("cannot open " + path + ": " + errno_text(e));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0)
    return make_error("cannot stat " + path + ": " + errno_text(errno));
  if (!S_ISREG(st.st_mode)) {
    const char* what = S_ISDIR(st.st_mode)    ? "a directory"
                       : S_ISFIFO(st.st_mode) ? "a FIFO"
                       : S_ISSOCK(st.st_mode) ? "a socket"
                                              : "a device";
    return make_error(path + " is " + what + ", not a regular file");
  }
  const std::string too_big = path + " is larger than " + std::to_string(max_bytes) + " bytes";
  if (static_cast<unsigned long long>(st.st_size) > max_bytes) return make_error(too_big);
  std::string out;
  char buf[16 * 1024];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error("cannot read " + path + ": " + errno_text(errno));
    }
    if (n == 0) break;
    if (out.size() + static_cast<std::size_t>(n) > max_bytes) return make_error(too_big);
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

}  // namespace bottega
