#include <prun/logging/rotating_file_handler.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <mutex>
#include <string>

namespace prun::logging {

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
