#include <prun/logging/stream_handler.hpp>
#include <prun/logging/detail/standard_streams.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <iostream>
#include <cstdio>
#include <ostream>
#include <stdexcept>
#include <string>
#include <system_error>

namespace prun::logging {

namespace detail {
namespace {
struct Writer {
  StandardStreamWriter fn;
  void* context;
};
std::atomic<const Writer*> g_writer{nullptr};
Writer g_writers[2];  // alternated, so that a writer being read is never overwritten
std::atomic<int> g_next{0};
}  // namespace

void set_standard_stream_writer(StandardStreamWriter writer, void* context) noexcept {
  if (!writer) {
    g_writer.store(nullptr, std::memory_order_release);
    return;
  }
  Writer& w = g_writers[g_next.fetch_add(1) & 1];
  w = Writer{writer, context};
  g_writer.store(&w, std::memory_order_release);
}

bool write_standard_stream(int stream, const char* data, std::size_t size) noexcept {
  const Writer* w = g_writer.load(std::memory_order_acquire);
  if (!w) return false;
  w->fn(w->context, stream, data, size);
  return true;
}
}  // namespace detail

namespace {

void write_all(int fd, const char* data, std::size_t size) {
  if ((fd == STDOUT_FILENO || fd == STDERR_FILENO) && detail::write_standard_stream(fd, data, size)) return;
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "write to log destination");
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}
}  // namespace

StreamHandler::StreamHandler(Stream stream)
    : fd_(stream == Stream::stdout_ ? STDOUT_FILENO : STDERR_FILENO) {}
StreamHandler::StreamHandler(int fd) : fd_(fd) {}
StreamHandler::StreamHandler(std::ostream& os) : os_(&os) {}
StreamHandler::~StreamHandler() {
  std::lock_guard lock(mutex_);
  try {
    StreamHandler::flush_locked();
  } catch (...) {
  }
}

void StreamHandler::set_terminator(std::string terminator) {
  std::lock_guard lock(mutex_);
  terminator_ = std::move(terminator);
}

void StreamHandler::emit(const Record& record) {
  format_locked(record, buffer_);
  buffer_.append(terminator_);
  if (buffer_.size() >= kMaxBuffered || !detail::defer_flush(*this)) flush_locked();
}

void StreamHandler::flush_locked() {
  if (buffer_.size() == 0) return;
  if (os_) {
    const int standard = os_ == &std::cout ? STDOUT_FILENO : (os_ == &std::cerr || os_ == &std::clog) ? STDERR_FILENO : -1;
    if (standard > 0) {
      os_->flush();
      if (detail::write_standard_stream(standard, buffer_.data(), buffer_.size())) {
        buffer_.clear();
        return;
      }
    }
    os_->write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    os_->flush();
    buffer_.clear();
    return;
  }
  if (fd_ < 0) {
    buffer_.clear();
    return;
  }
  try {
    write_all(fd_, buffer_.data(), buffer_.size());
  } catch (...) {
    buffer_.clear();  // a failed write drops what it could not write, once
    throw;
  }
  buffer_.clear();
}

void StreamHandler::close_locked() {}

void StreamHandler::after_fork_in_child() { buffer_.clear(); }

// ---------------------------------------------------------------------------------------------

FileHandler::FileHandler(std::string path, std::string mode, bool delay)
    : StreamHandler(-1), path_(std::move(path)), mode_(std::move(mode)) {
  if (mode_ != "a" && mode_ != "w")
    throw std::invalid_argument("FileHandler: mode must be \"a\" or \"w\", not \"" + mode_ + "\"");
  if (!delay) {
    std::lock_guard lock(mutex_);
    open_locked();
  }
}

FileHandler::~FileHandler() {
  std::lock_guard lock(mutex_);
  try {
    flush_locked();
  } catch (...) {
  }
  close_fd_locked();
}

void FileHandler::open_locked() {
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (mode_ == "w" ? O_TRUNC : O_APPEND);
  int fd = ::open(path_.c_str(), flags, 0666);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "cannot open log file '" + path_ + "'");
  set_fd(fd);
  closed_ = false;
}

void FileHandler::close_fd_locked() {
  if (fd() >= 0) ::close(fd());
  set_fd(-1);
}

void FileHandler::emit(const Record& record) {
  // As Python: a closed handler in append mode reopens its file at the next record.
  if (fd() < 0 && (mode_ != "w" || !closed_)) open_locked();
  StreamHandler::emit(record);
}

void FileHandler::close_locked() {
  close_fd_locked();
  closed_ = true;
}

// ---------------------------------------------------------------------------------------------

RotatingFileHandler::RotatingFileHandler(std::string path, std::string mode, std::size_t max_bytes,
                                         int backup_count, bool delay)
    : FileHandler(std::move(path), max_bytes > 0 ? "a" : std::move(mode), delay),
      max_bytes_(max_bytes), backup_count_(backup_count) {
  if (fd() >= 0) {
    struct stat st{};
    if (::fstat(fd(), &st) == 0) file_size_ = static_cast<std::size_t>(st.st_size);
  }
}

void RotatingFileHandler::emit(const Record& record) {
  if (fd() < 0 && (mode_ != "w" || !closed_)) {
    open_locked();
    struct stat st{};
    file_size_ = ::fstat(fd(), &st) == 0 ? static_cast<std::size_t>(st.st_size) : 0;
  }
  scratch_.clear();
  format_locked(record, scratch_);
  scratch_.append(terminator_);
  if (max_bytes_ > 0 && file_size_ + scratch_.size() >= max_bytes_) {
    struct stat st{};
    // Python: rotate only a regular file.
    if (::stat(path_.c_str(), &st) != 0 || S_ISREG(st.st_mode)) {
      flush_locked();
      rollover_locked();
    }
  }
  buffer_.append(scratch_);
  file_size_ += scratch_.size();
  if (buffer_.size() >= kMaxBuffered || !detail::defer_flush(*this)) flush_locked();
}

void RotatingFileHandler::do_rollover() {
  std::lock_guard lock(mutex_);
  flush_locked();
  rollover_locked();
}

void RotatingFileHandler::rollover_locked() {
  close_fd_locked();
  if (backup_count_ > 0) {
    for (int i = backup_count_ - 1; i > 0; --i) {
      std::string src = path_ + "." + std::to_string(i);
      std::string dst = path_ + "." + std::to_string(i + 1);
      if (::access(src.c_str(), F_OK) == 0) {
        ::unlink(dst.c_str());
        ::rename(src.c_str(), dst.c_str());
      }
    }
    std::string first = path_ + ".1";
    ::unlink(first.c_str());
    if (::access(path_.c_str(), F_OK) == 0) ::rename(path_.c_str(), first.c_str());
  }
  open_locked();
  struct stat st{};
  file_size_ = ::fstat(fd(), &st) == 0 ? static_cast<std::size_t>(st.st_size) : 0;
}

}  // namespace prun::logging
