#include "sys.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <system_error>

namespace prun::pool::sys {

void throw_errno(std::string_view what, int err) {
  std::string message = fmt::format("prun: {}", what);
  if (std::string why = explain_fd_error(err); !why.empty()) message += " (" + why + ")";
  throw std::system_error(err, std::generic_category(), message);
}

void throw_errno(std::string_view what) { throw_errno(what, errno); }

bool write_all(int fd, const void* data, std::size_t size) noexcept {
  auto* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

bool send_all(int fd, const void* data, std::size_t size) noexcept {
  auto* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::send(fd, p, size, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (n == 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

bool read_exact(int fd, void* data, std::size_t size) noexcept {
  auto* p = static_cast<char*>(data);
  while (size > 0) {
    ssize_t n = ::read(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

ReadStatus read_available(int fd, std::string& into, std::size_t limit) noexcept {
  char buf[65536];
  std::size_t got = 0;
  while (got < limit) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      into.append(buf, static_cast<std::size_t>(n));
      got += static_cast<std::size_t>(n);
      continue;
    }
    if (n == 0) return ReadStatus::eof;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK ? ReadStatus::open : ReadStatus::error;
  }
  return ReadStatus::open;
}

Fd& Fd::operator=(Fd&& o) noexcept {
  if (this != &o) reset(o.release());
  return *this;
}

Fd::~Fd() { reset(); }

int Fd::release() noexcept {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

void Fd::reset(int fd) noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

Pipe Pipe::open() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno("pipe2");
  return Pipe{Fd(fds[0]), Fd(fds[1])};
}

void close_quietly(int fd) noexcept {
  if (fd >= 0) ::close(fd);
}

void close_all_except(std::span<const int> keep_unsorted) noexcept {
  int keep[64];
  std::size_t n = 0;
  for (int fd : keep_unsorted)
    if (fd >= 0 && n < 64) keep[n++] = fd;
  std::sort(keep, keep + n);
  unsigned next = 0;
  for (std::size_t k = 0; k < n; ++k) {
    const auto fd = static_cast<unsigned>(keep[k]);
    if (fd > next) ::close_range(next, fd - 1, 0);
    next = fd + 1;
  }
  ::close_range(next, ~0u, 0);
}

void close_all_except(std::span<const int> sorted, std::span<const int> few) noexcept {
  int small[16];
  std::size_t n = 0;
  for (int fd : few)
    if (fd >= 0 && n < 16) small[n++] = fd;
  std::sort(small, small + n);
  unsigned next = 0;
  auto keep = [&next](int fd) {
    const auto u = static_cast<unsigned>(fd);
    if (u < next) return;  // in both lists
    if (u > next) ::close_range(next, u - 1, 0);
    next = u + 1;
  };
  std::size_t i = 0, k = 0;
  while (i < sorted.size() || k < n) {
    if (k == n || (i < sorted.size() && sorted[i] < small[k])) {
      if (sorted[i] >= 0) keep(sorted[i]);
      ++i;
    } else {
      keep(small[k++]);
    }
  }
  ::close_range(next, ~0u, 0);
}

std::vector<int> open_descriptors() {
  std::vector<int> fds;
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) return fds;
  const int own = ::dirfd(dir);
  while (const dirent* e = ::readdir(dir)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    const int fd = std::atoi(e->d_name);
    if (fd != own) fds.push_back(fd);
  }
  ::closedir(dir);
  std::sort(fds.begin(), fds.end());
  return fds;
}

void set_nonblocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) throw_errno("fcntl(O_NONBLOCK)");
}

void set_cloexec(int fd, bool on) {
  int flags = ::fcntl(fd, F_GETFD);
  if (flags < 0 || ::fcntl(fd, F_SETFD, on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC) < 0) throw_errno("fcntl(FD_CLOEXEC)");
}

int dup_at_least(int fd, int min) {
  int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, min);
  if (copy < 0) throw_errno(fmt::format("duplicate descriptor {} above {}", fd, min));
  return copy;
}

int pidfd_open(pid_t pid) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) throw_errno("pidfd_open");
  return fd;
}

bool has_exited(pid_t pid) noexcept {
  siginfo_t info{};
  int r;
  do r = ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT);
  while (r < 0 && errno == EINTR);
  return r == 0 && info.si_pid == pid;
}

std::optional<int> try_reap(pid_t pid) noexcept {
  int status = 0;
  pid_t r;
  do r = ::waitpid(pid, &status, WNOHANG);
  while (r < 0 && errno == EINTR);
  if (r == pid) return status;
  return std::nullopt;
}

int reap(pid_t pid) noexcept {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

long open_files_limit() noexcept {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return -1;
  return rl.rlim_cur == RLIM_INFINITY ? -1 : static_cast<long>(rl.rlim_cur);
}

std::string explain_fd_error(int err) {
  if (err == EMFILE) return fmt::format("the limit on open files (ulimit -n) is {}", open_files_limit());
  if (err == ENFILE) return "the system-wide limit on open files is reached";
  return {};
}

long peak_rss_kib() noexcept {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

std::int64_t monotonic_ns() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::string one_line(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    if (c == '\\') {
      out += "\\\\";
      ++i;
      continue;
    }
    if (c >= 0x80) {  // keep whole, valid UTF-8 sequences; escape anything else
      std::size_t len = c >= 0xf0 && c < 0xf5 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
      bool valid = len > 0 && i + len <= text.size();
      for (std::size_t k = 1; valid && k < len; ++k) valid = (static_cast<unsigned char>(text[i + k]) & 0xc0) == 0x80;
      if (valid) {
        out.append(text.substr(i, len));
        i += len;
        continue;
      }
    }
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: out += fmt::format("\\x{:02x}", c);
    }
    ++i;
  }
  return out;
}

}  // namespace prun::pool::sys
