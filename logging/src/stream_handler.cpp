#include <prun/logging/stream_handler.hpp>
#include <prun/logging/detail/standard_streams.hpp>

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <iostream>
#include <cstdio>
#include <ostream>
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

}  // namespace prun::logging
