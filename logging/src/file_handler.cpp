#include <prun/logging/file_handler.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>

namespace prun::logging {

namespace {
// open(2) flags for a Python open() mode that can write text; throws for any other mode.
int flags_for_mode(const std::string& mode) {
  int kind = 0, plus = 0, text = 0;
  char base = 0;
  for (char c : mode) {
    if (c == 'r' || c == 'w' || c == 'a' || c == 'x') {
      ++kind;
      base = c;
    } else if (c == '+') {
      ++plus;
    } else if (c == 't') {
      ++text;
    } else if (c == 'b') {
      throw std::invalid_argument("FileHandler: binary mode '" + mode + "' cannot take text records");
    } else {
      throw std::invalid_argument("FileHandler: invalid mode '" + mode + "'");
    }
  }
  if (kind != 1 || plus > 1 || text > 1) throw std::invalid_argument("FileHandler: invalid mode '" + mode + "'");
  if (base == 'r' && plus == 0) throw std::invalid_argument("FileHandler: mode 'r' cannot write; use 'a', 'w', 'x' or 'r+'");
  const int access = plus ? O_RDWR : O_WRONLY;
  switch (base) {
    case 'a': return access | O_CREAT | O_APPEND;
    case 'w': return access | O_CREAT | O_TRUNC;
    case 'x': return access | O_CREAT | O_EXCL;
    default: return access;  // r+
  }
}
}  // namespace

FileHandler::FileHandler(std::string path, std::string mode, bool delay)
    : StreamHandler(-1), path_(std::move(path)), mode_(std::move(mode)), open_flags_(flags_for_mode(mode_)) {
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
  int fd = ::open(path_.c_str(), open_flags_ | O_CLOEXEC, 0666);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "cannot open log file '" + path_ + "'");
  set_fd(fd);
  closed_ = false;
}

void FileHandler::close_fd_locked() {
  if (fd() >= 0) ::close(fd());
  set_fd(-1);
}

void FileHandler::reopen_if_needed_locked() {
  // As Python: a closed handler reopens its file at the next record, except in mode "w".
  if (fd() < 0 && (mode_ != "w" || !closed_)) open_locked();
}

void FileHandler::emit(const Record& record) {
  reopen_if_needed_locked();
  StreamHandler::emit(record);
}

void FileHandler::close_locked() {
  close_fd_locked();
  closed_ = true;
}

}  // namespace prun::logging
