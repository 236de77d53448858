// Ctrl-C during a run: SIGINT to the whole process group while tasks log and print flat out.
#include <doctest/doctest.h>

#include "test_support.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <map>

namespace {

struct Interrupted {
  int status = -1;  // exit code, or 128 + signal
  std::string out, err, log;
  std::vector<int> task_pids;
};

// Runs the helper in a process group of its own, waits until the running tasks (both at n_jobs=2,
// the first at n_jobs=1, where they run one after the other) logged 1,000 records,
// sends SIGINT to the group (as a terminal's Ctrl-C does) and collects what came out.
Interrupted interrupt(const std::string& mode, int n_jobs) {
  test::TempDir dir;
  int ready[2], out[2], err[2];
  REQUIRE(::pipe(ready) == 0);  // inherited by the child: no O_CLOEXEC on the write end
  REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
  REQUIRE(::pipe2(err, O_CLOEXEC) == 0);
  const std::string log = dir.file("run.log");
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    // As a shell starts a program: SIGINT and SIGTERM at their defaults (whoever runs the tests
    // may ignore them, and ignored signals stay ignored across exec).
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    ::close(ready[0]);
    const std::string fd = std::to_string(ready[1]);
    ::execl(PRUN_TEST_CHILD, PRUN_TEST_CHILD, "interrupt", mode.c_str(), std::to_string(n_jobs).c_str(), log.c_str(),
            fd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::setpgid(pid, pid);
  ::close(ready[1]);
  ::close(out[1]);
  ::close(err[1]);
  Interrupted r;
  // Output is read all along: a full pipe would stop the tasks.
  std::string bytes[2];
  auto pump = [&](int timeout_ms) {
    pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
    if (::poll(fds, 2, timeout_ms) <= 0) return false;
    char buf[65536];
    bool any = false;
    for (int k = 0; k < 2; ++k)
      if (fds[k].revents) {
        ssize_t n = ::read(fds[k].fd, buf, sizeof buf);
        if (n > 0) {
          bytes[k].append(buf, static_cast<std::size_t>(n));
          any = true;
        }
      }
    return any;
  };
  // The running tasks say so (their worker pid, or the caller's at n_jobs=1).
  std::size_t got = 0;
  int pids[2] = {0, 0};
  const std::size_t want = sizeof(int) * static_cast<std::size_t>(n_jobs == 1 ? 1 : 2);
  while (got < want) {
    pollfd p{ready[0], POLLIN, 0};
    pump(0);
    if (::poll(&p, 1, 10) > 0) {
      ssize_t n = ::read(ready[0], reinterpret_cast<char*>(pids) + got, want - got);
      REQUIRE(n > 0);
      got += static_cast<std::size_t>(n);
    }
  }
  ::close(ready[0]);
  r.task_pids.assign(pids, pids + want / sizeof(int));
  ::kill(-pid, SIGINT);
  while (true) {
    if (pump(100)) continue;
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      while (pump(0)) {
      }
      r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
  }
  ::close(out[0]);
  ::close(err[0]);
  r.out = bytes[0];
  r.err = bytes[1];
  r.log = test::read_file(log);
  return r;
}

// Every task's numbered records (or lines) form an unbroken run from 0; nothing half written.
void check_complete(const std::string& text, const std::string& what, std::size_t tasks) {
  REQUIRE(!text.empty());
  CHECK(text.back() == '\n');
  std::map<int, long> next;
  for (const auto& line : test::split_lines(text)) {
    const auto t = line.find("task ");
    if (t == std::string::npos) continue;
    const int k = std::stoi(line.substr(t + 5));
    const auto w = line.find(what + " ");
    REQUIRE(w != std::string::npos);
    const long n = std::stol(line.substr(w + what.size() + 1));
    CHECK(n == next[k]);  // no gap, no repeat
    next[k] = n + 1;
  }
  CHECK(next.size() == tasks);
  for (auto [k, n] : next) CHECK(n > 1000);
}

bool gone(int pid) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return true;
  pollfd p{fd, POLLIN, 0};
  const bool exited = ::poll(&p, 1, 1000) == 1;  // "workers gone within 1 s"
  ::close(fd);
  return exited;
}

}  // namespace

TEST_CASE("Ctrl-C during a run that logs flat out: exit 130 - no record lost - no half line - no worker left") {
  for (int n_jobs : {2, 1}) {
    CAPTURE(n_jobs);
    Interrupted r = interrupt("default", n_jobs);
    CHECK(r.status == 130);
    const std::size_t running = n_jobs == 1 ? 1 : 2;
    check_complete(r.log, "record", running);
    check_complete(r.out, "line", running);
    if (n_jobs == 2)
      for (int pid : r.task_pids) CHECK(gone(pid));
  }
}

TEST_CASE("a program with its own SIGINT handler keeps it - and cancels through a token") {
  Interrupted r = interrupt("own", 2);
  CHECK(r.status == 0);
  CHECK(r.err.find("CANCELLED\n") != std::string::npos);
  check_complete(r.log, "record", 2);
  for (int pid : r.task_pids) CHECK(gone(pid));
}
