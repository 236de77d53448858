#pragma once
// The operating-system helpers of the pool, in one place (as fmt keeps its os.h): descriptors,
// errno, processes. Everything here retries on EINTR and never raises SIGPIPE.

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace prun::pool::sys {

/// Throws std::system_error("prun: <what>: <strerror(err)>").
[[noreturn]] void throw_errno(std::string_view what, int err);
/// Same, with the current errno.
[[noreturn]] void throw_errno(std::string_view what);

/// Writes all of `data`; false on any error but EINTR (a closed pipe gives false, not SIGPIPE
/// when the caller ignores it, see send_all for sockets).
bool write_all(int fd, const void* data, std::size_t size) noexcept;
/// send() with MSG_NOSIGNAL until everything is sent: a dead peer gives false, never SIGPIPE.
bool send_all(int fd, const void* data, std::size_t size) noexcept;
/// Reads exactly `size` bytes; false at end of file or on error.
bool read_exact(int fd, void* data, std::size_t size) noexcept;

enum class ReadStatus { open, eof, error };
/// Appends what a non-blocking `fd` holds now, up to about `limit` bytes.
ReadStatus read_available(int fd, std::string& into, std::size_t limit) noexcept;

/// An owned descriptor, closed by the destructor.
class Fd {
 public:
  Fd() noexcept = default;
  explicit Fd(int fd) noexcept : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept;
  ~Fd();
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  int release() noexcept;
  void reset(int fd = -1) noexcept;

 private:
  int fd_ = -1;
};

/// A close-on-exec pipe: [0] read end, [1] write end. Throws.
struct Pipe {
  Fd read, write;
  static Pipe open();
};

void close_quietly(int fd) noexcept;
/// Closes every descriptor except those in `keep` (any order, -1 entries ignored).
/// Allocation-free: safe between fork() and exec().
void close_all_except(std::span<const int> keep) noexcept;
/// The same with two lists: `sorted` in ascending order (any length), `few` in any order (at most 16).
void close_all_except(std::span<const int> sorted, std::span<const int> few) noexcept;
/// The descriptors open now, ascending (read from /proc/self/fd; empty if it cannot be read).
std::vector<int> open_descriptors();
void set_nonblocking(int fd);
void set_cloexec(int fd, bool on);
/// A close-on-exec copy of `fd` numbered at least `min`. Throws (EMFILE names the limit).
int dup_at_least(int fd, int min);

/// pidfd_open(2). Throws.
int pidfd_open(pid_t pid);
/// Whether `pid` has exited, without reaping it (its pid and process group stay reserved).
bool has_exited(pid_t pid) noexcept;
/// waitpid(pid, WNOHANG): the wait status once `pid` has exited and been reaped here.
std::optional<int> try_reap(pid_t pid) noexcept;
/// waitpid(pid, 0).
int reap(pid_t pid) noexcept;

/// The soft limit on open descriptors (RLIMIT_NOFILE), for error messages.
long open_files_limit() noexcept;
/// "the limit on open files (ulimit -n) is 64" when `err` is EMFILE/ENFILE, else "".
std::string explain_fd_error(int err);

/// Peak resident set size of this process, in KiB (getrusage).
long peak_rss_kib() noexcept;
/// CLOCK_MONOTONIC in nanoseconds: comparable between processes on one machine.
std::int64_t monotonic_ns() noexcept;

/// Escapes control and non-UTF-8 bytes so that `text` prints on one line ("\n", "\x1b", ...).
std::string one_line(std::string_view text);

}  // namespace prun::pool::sys
