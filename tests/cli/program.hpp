#pragma once
// Runs a program with a given standard input, lets a test wait for some output and signal it,
// then collects everything it printed. Hangs are left to the test's CTest timeout.

#include "test_support.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace test {

class Program {
 public:
  /// Starts `argv` with `input` as its standard input (a memory file: read to its end, it
  /// gives EOF) and `env` added to the environment.
  explicit Program(const std::vector<std::string>& argv, const std::string& input = {},
                   const std::vector<std::string>& env = {}, bool piped_stdin = false) {
    int in = -1;
    if (piped_stdin) {  // the test writes it as it goes (write_stdin, close_stdin)
      int p[2];
      (void)!::pipe2(p, O_CLOEXEC);
      in = p[0];
      stdin_ = p[1];
    } else {
      in = ::memfd_create("stdin", MFD_CLOEXEC);
      (void)!::write(in, input.data(), input.size());
      ::lseek(in, 0, SEEK_SET);
    }
    int out[2], err[2];
    (void)!::pipe2(out, O_CLOEXEC);
    (void)!::pipe2(err, O_CLOEXEC);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(in, 0);
      ::dup2(out[1], 1);
      ::dup2(err[1], 2);
      for (const auto& e : env) ::putenv(const_cast<char*>(e.c_str()));
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::close(in);
    ::close(out[1]);
    ::close(err[1]);
    fds_[0] = out[0];
    fds_[1] = err[0];
  }
  ~Program() {
    close_stdin();
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    for (int fd : fds_)
      if (fd >= 0) ::close(fd);
  }
  Program(const Program&) = delete;
  Program& operator=(const Program&) = delete;

  int pid() const { return pid_; }

  /// Reads until stdout (1) or stderr (2) holds `text`; false if the program closed it first.
  bool read_until(int stream, const std::string& text) {
    while ((stream == 1 ? result_.out : result_.err).find(text) == std::string::npos)
      if (!read_some()) return false;
    return true;
  }

  void signal(int sig) { ::kill(pid_, sig); }
  void write_stdin(const std::string& text) { (void)!::write(stdin_, text.data(), text.size()); }
  void close_stdin() {
    if (stdin_ >= 0) ::close(stdin_);
    stdin_ = -1;
  }

  /// Everything it printed, and its exit status (128 + signal when a signal ended it).
  ProcessResult wait() {
    close_stdin();
    while (read_some()) {
    }
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    result_.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result_;
  }

 private:
  bool read_some() {
    pollfd p[2] = {{fds_[0], POLLIN, 0}, {fds_[1], POLLIN, 0}};
    if (fds_[0] < 0 && fds_[1] < 0) return false;
    if (::poll(p, 2, -1) <= 0) return false;
    char buf[65536];
    for (int k = 0; k < 2; ++k) {
      if (fds_[k] < 0 || !(p[k].revents & (POLLIN | POLLHUP))) continue;
      ssize_t n = ::read(fds_[k], buf, sizeof buf);
      if (n <= 0) {
        ::close(fds_[k]);
        fds_[k] = -1;
      } else {
        (k == 0 ? result_.out : result_.err).append(buf, static_cast<std::size_t>(n));
      }
    }
    return true;
  }

  int pid_ = -1;
  int stdin_ = -1;
  int fds_[2] = {-1, -1};
  ProcessResult result_;
};

}  // namespace test
