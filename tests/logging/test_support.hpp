#pragma once
// Small helpers shared by the logging tests.

#include <prun/logging.hpp>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace test {

/// Redirects a file descriptor (1 or 2) into a memory file until text() is called.
class FdCapture {
 public:
  explicit FdCapture(int fd) : fd_(fd) {
    std::fflush(nullptr);
    mem_ = ::memfd_create("capture", MFD_CLOEXEC);
    saved_ = ::dup(fd_);
    ::dup2(mem_, fd_);
  }
  ~FdCapture() { restore(); }
  std::string text() {
    restore();
    std::string out;
    ::lseek(mem_, 0, SEEK_SET);
    char buf[4096];
    for (ssize_t n; (n = ::read(mem_, buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
    return out;
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    std::fflush(nullptr);
    ::dup2(saved_, fd_);
    ::close(saved_);
    saved_ = -1;
  }
  int fd_, mem_ = -1, saved_ = -1;
};

/// A fresh temporary directory, removed at the end of the scope.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/prun-test-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

inline std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Puts the whole hierarchy back to a pristine state at the start and end of a test.
struct CleanLogging {
  CleanLogging() { reset(); }
  ~CleanLogging() { reset(); }
  static void reset() {
    prun::logging::detach_all_handlers();
    prun::logging::get_logger().set_level(prun::logging::WARNING);
    prun::logging::disable(prun::logging::NOTSET);
  }
};

}  // namespace test
