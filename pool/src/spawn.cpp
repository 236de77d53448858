#include "spawn.hpp"

#include <prun/pool/pool.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/process/v2/process.hpp>
#include <boost/process/v2/stdio.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace prun::pool::detail {

namespace bp = boost::process::v2;

namespace {

// Puts descriptors at fixed numbers in the child. Boost 1.81's posix::bind_fd cannot be used:
// its on_setup has no return statement (undefined behaviour: "bad executor" or a corrupt heap at
// -O2). This one whitelists the targets (so the launcher does not close them) and dup2s them.
struct MapFds {
  const std::vector<std::pair<int, int>>& fds;

  bp::error_code on_setup(bp::posix::default_launcher& launcher, const bp::filesystem::path&, const char* const*) {
    for (const auto& [source, target] : fds) launcher.fd_whitelist.push_back(target);
    return {};
  }

  // Boost 1.81's launcher also fails to close some inherited descriptors that lack O_CLOEXEC
  // (its loop skips entries), so the child closes everything it does not keep itself: the
  // launcher's whitelist (0-2 and its exec-error pipe) and our targets. No allocation here.
  static void close_the_rest(const std::vector<int>& keep_unsorted) {
    int keep[32];
    std::size_t n = 0;
    for (int fd : keep_unsorted)
      if (n < 32) keep[n++] = fd;
    std::sort(keep, keep + n);
    unsigned next = 0;
    for (std::size_t k = 0; k < n; ++k) {
      const auto fd = static_cast<unsigned>(keep[k]);
      if (fd > next) ::close_range(next, fd - 1, 0);
      next = fd + 1;
    }
    ::close_range(next, ~0u, 0);
  }

  bp::error_code on_exec_setup(bp::posix::default_launcher& launcher, const bp::filesystem::path&, const char* const*) {
    // Sources and targets may overlap: first move every source out of the way, then place it.
    int moved[16];
    const std::size_t n = fds.size() < 16 ? fds.size() : 16;
    for (std::size_t k = 0; k < n; ++k) {
      moved[k] = ::fcntl(fds[k].first, F_DUPFD_CLOEXEC, 64);
      if (moved[k] < 0) return {errno, bp::system_category()};
    }
    for (std::size_t k = 0; k < n; ++k)
      if (::dup2(moved[k], fds[k].second) < 0) return {errno, bp::system_category()};  // dup2 clears CLOEXEC
    close_the_rest(launcher.fd_whitelist);  // the whitelist already holds our targets
    return {};
  }
};

}  // namespace

int spawn_program(const std::string& program, const std::vector<std::string>& args, int out_fd, int err_fd,
                  const std::vector<std::pair<int, int>>& fds) {
  // Checked here so that the error names the cause plainly; the launcher would report it too.
  if (::access(program.c_str(), X_OK) != 0)
    throw WorkerStartError(program, std::string("cannot execute it: ") + std::strerror(errno));
  boost::asio::io_context ctx;
  try {
    bp::process child(ctx.get_executor(), bp::filesystem::path(program), args,
                      bp::process_stdio{{}, out_fd, err_fd}, MapFds{fds});
    const int pid = child.id();
    // ~basic_process would SIGKILL a running child: the pool owns it from here (and reaps it).
    child.detach();
    return pid;
  } catch (const std::system_error& e) {
    throw WorkerStartError(program, std::string("cannot start it: ") + e.what());
  }
}

}  // namespace prun::pool::detail
