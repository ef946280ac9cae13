#include "engine/process/run.h"

#include <fcntl.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/readable_pipe.hpp>
#include <boost/process/v2/detail/last_error.hpp>
#include <boost/process/v2/process.hpp>
#include <boost/process/v2/start_dir.hpp>
#include <boost/process/v2/stdio.hpp>

#include "engine/process/inherit.h"

namespace bottega {

namespace bp = boost::process::v2;

Result<CommandResult> run_command(const std::string& exe, const std::vector<std::string>& args,
                                  const std::string& cwd) {
  try {
    boost::asio::io_context ctx;
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return make_error("cannot create a pipe for " + exe);
    boost::asio::readable_pipe out(ctx, fds[0]);
    CommandResult result;
    {
      // The child gets the write end as both stdout and stderr; ours closes
      // right after the start so that EOF means "the child is done".
      struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
      } write_end{fds[1]};
      bp::process proc =
          cwd.empty() ? bp::process(ctx, exe, args, bp::process_stdio{nullptr, fds[1], fds[1]},
                                    CloseInheritedFds{})
                      : bp::process(ctx, exe, args, bp::process_stdio{nullptr, fds[1], fds[1]},
                                    bp::process_start_dir(cwd), CloseInheritedFds{});
      ::close(write_end.fd);
      write_end.fd = -1;
      boost::system::error_code ec;
      boost::asio::read(out, boost::asio::dynamic_buffer(result.output), ec);
      result.exit_code = proc.wait();
    }
    return result;
  } catch (const std::exception& e) {
    return make_error("cannot run " + exe + ": " + e.what());
  }
}

std::string tail_lines(const std::string& text, std::size_t max_lines) {
  std::size_t pos = text.size();
  if (pos > 0 && text.back() == '\n') --pos;
  for (std::size_t lines = 0; pos > 0; ++lines) {
    auto nl = text.rfind('\n', pos - 1);
    if (nl == std::string::npos) return text;
    if (lines + 1 >= max_lines) return text.substr(nl + 1);
    pos = nl;
  }
  return text;
}

std::string find_program(const std::string& name, const std::string& path) {
  if (name.find('/') != std::string::npos) return name;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    if (!dir.empty()) {
      std::string candidate = dir + "/" + name;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    start = end + 1;
  }
  return {};
}

}  // namespace bottega
