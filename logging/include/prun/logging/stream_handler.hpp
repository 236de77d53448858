#pragma once
/// StreamHandler: writes formatted records, one per line, to a file descriptor or std::ostream.

#include <prun/logging/handler.hpp>

#include <iosfwd>
#include <string>

namespace prun::logging {

/// Python's logging.StreamHandler. Each record is written with one write() as soon as it is
/// handled (Python flushes after each record too), unless a BatchScope defers the write-out.
/// The handler does not own the descriptor or stream it was given.
class StreamHandler : public Handler {
 public:
  enum class Stream { stdout_, stderr_ };
  /// Writes to standard error (Python's default), or to standard output.
  explicit StreamHandler(Stream stream = Stream::stderr_);
  /// Writes to file descriptor `fd`.
  explicit StreamHandler(int fd);
  /// Writes to `os`, which must outlive the handler.
  explicit StreamHandler(std::ostream& os);
  ~StreamHandler() override;

  /// What ends each record; "\n" by default (Python's StreamHandler.terminator).
  void set_terminator(std::string terminator);
  int fd() const noexcept { return fd_; }

 protected:
  void emit(const Record& record) override;
  void flush_locked() override;
  void close_locked() override;
  void after_fork_in_child() override;
  /// For subclasses that open their own descriptor; -1 until opened.
  void set_fd(int fd) noexcept { fd_ = fd; }
  std::size_t buffered() const noexcept { return buffer_.size(); }
  /// Inside a BatchScope, a buffer this large is written out at once.
  static constexpr std::size_t kMaxBuffered = 64 * 1024;

  fmt::memory_buffer buffer_;
  std::string terminator_ = "\n";

 private:
  int fd_ = -1;
  std::ostream* os_ = nullptr;
};

}  // namespace prun::logging
