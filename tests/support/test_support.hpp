#pragma once
// Small helpers shared by the logging tests.

#include <prun/logging.hpp>

#include <fcntl.h>
#include <cstdlib>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace test {

/// Stress loops run this many times fewer rounds under ThreadSanitizer, which makes fork() of a
/// process with threads and every memory access many times slower (what they prove holds for
/// any number of rounds; the full count runs in the other builds).
#if defined(__SANITIZE_THREAD__)
inline constexpr int kSlowdown = 5;
#else
inline constexpr int kSlowdown = 1;
#endif

/// Redirects a file descriptor (1 or 2) into a memory file until text() is called.
class FdCapture {
 public:
  explicit FdCapture(int fd) : fd_(fd) {
    std::fflush(nullptr);
    mem_ = ::memfd_create("capture", MFD_CLOEXEC);
    ::fcntl(mem_, F_SETFL, O_APPEND);  // whole writes from several threads or processes never overwrite each other
    saved_ = ::dup(fd_);
    ::dup2(mem_, fd_);
  }
  ~FdCapture() {
    restore();
    ::close(mem_);
  }
  FdCapture(const FdCapture&) = delete;
  FdCapture& operator=(const FdCapture&) = delete;
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

/// Puts every logger back to a fresh Python child's state at the start and end of a test.
struct CleanLogging {
  CleanLogging() { reset(); }
  ~CleanLogging() { reset(); }
  static void reset() { prun::logging::reset_to_pristine(); }
};

}  // namespace test

#include <dirent.h>
#include <sys/resource.h>
#include <poll.h>
#include <sys/wait.h>

#include <set>
#include <vector>

namespace test {

/// Pids whose parent is this process (zombies included).
inline std::vector<pid_t> children_of_self() {
  std::vector<pid_t> out;
  DIR* proc = ::opendir("/proc");
  while (dirent* e = proc ? ::readdir(proc) : nullptr) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (*end != '\0' || pid <= 0) continue;
    std::ifstream stat("/proc/" + std::string(e->d_name) + "/stat");
    std::string line;
    std::getline(stat, line);
    auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    char state;
    long ppid = 0;
    rest >> state >> ppid;
    if (ppid == ::getpid()) out.push_back(static_cast<pid_t>(pid));
  }
  if (proc) ::closedir(proc);
  return out;
}

/// The descriptors this process has open.
// The descriptors open now: not the listing's own, which would otherwise hide whatever is
// opened next under its number.
inline std::set<int> open_fds() {
  std::set<int> fds;
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) return fds;
  while (const dirent* e = ::readdir(dir))
    if (e->d_name[0] >= '0' && e->d_name[0] <= '9') fds.insert(std::atoi(e->d_name));
  fds.erase(::dirfd(dir));
  ::closedir(dir);
  return fds;
}

struct ProcessResult {
  int status = -1;  // exit code, or 128 + signal
  std::string out, err;
};

/// A resource limit for run_program's child (setrlimit), e.g. {RLIMIT_NOFILE, 16}.
struct Limit {
  int resource;
  rlim_t value;
};

/// Runs a program and collects its output. Hangs are left to the test's CTest timeout.
inline ProcessResult run_program(const std::vector<std::string>& argv, const std::vector<Limit>& limits = {}) {
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) return {};
  pid_t pid = ::fork();
  if (pid == 0) {
    for (const Limit& l : limits) {
      rlimit rl{l.value, l.value};
      ::setrlimit(l.resource, &rl);
    }
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(out[1]);
  ::close(err[1]);
  ProcessResult r;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open = 2;
  char buf[65536];
  while (open > 0 && ::poll(fds, 2, -1) > 0) {
    for (int k = 0; k < 2; ++k) {
      if (fds[k].fd < 0 || !(fds[k].revents & (POLLIN | POLLHUP))) continue;
      ssize_t n = ::read(fds[k].fd, buf, sizeof buf);
      if (n <= 0) {
        ::close(fds[k].fd);
        fds[k].fd = -1;
        --open;
      } else {
        (k == 0 ? r.out : r.err).append(buf, static_cast<std::size_t>(n));
      }
    }
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

inline std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace test
