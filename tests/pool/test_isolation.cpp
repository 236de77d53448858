// What one task does to its process never reaches the next: descriptors 0-2, the signal mask
// and dispositions are restored; processes it left running neither hold up the run nor
// outlive their worker.
#include <doctest/doctest.h>

#include <prun/prun.hpp>

#include "test_support.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>

namespace lg = prun::logging;

namespace {

// Waits (on its pidfd) until `pid` has exited; false after `ms` milliseconds.
bool exits_within(int pid, int ms) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return true;  // already gone (and reaped)
  pollfd p{fd, POLLIN, 0};
  const bool gone = ::poll(&p, 1, ms) == 1;
  ::close(fd);
  return gone;
}

int read_pid(const std::string& path) {
  std::ifstream in(path);
  int pid = 0;
  in >> pid;
  return pid;
}

// Starts a background process that keeps the task's stdout and stderr open, and notes its pid.
int leave_a_sleeper(std::string pidfile) {
  const std::string cmd = "sleep 60 & echo $! > " + pidfile;
  return std::system(cmd.c_str());
}
PRUN_REGISTER_TASK(leave_a_sleeper);

int print_line(int k) {
  std::printf("line %d\n", k);
  return k;
}
PRUN_REGISTER_TASK(print_line);

// Task k of the fd test: 0 closes stdout, 1 puts /dev/null in its place, 2 makes stdout
// non-blocking, 3 closes stderr; the others print on both streams.
int mess_with_fds(int k) {
  if (k == 0) ::close(1);
  if (k == 1) ::dup2(::open("/dev/null", O_WRONLY | O_CLOEXEC), 1);
  if (k == 2) ::fcntl(1, F_SETFL, ::fcntl(1, F_GETFL) | O_NONBLOCK);
  if (k == 3) ::close(2);
  if (k >= 4) {
    std::printf("out %d\n", k);
    std::fflush(stdout);
    std::fprintf(stderr, "err %d\n", k);
  }
  return k;
}
PRUN_REGISTER_TASK(mess_with_fds);

// Task 0 changes signal state; task 1 reports what it finds: "<SIGPIPE handler> <SIGUSR1 blocked>
// <SIGCHLD handler>", 0 meaning default / not blocked.
std::string mess_with_signals(int k) {
  if (k == 0) {
    ::signal(SIGPIPE, SIG_IGN);
    ::signal(SIGCHLD, SIG_IGN);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    ::sigprocmask(SIG_BLOCK, &s, nullptr);
    return "changed";
  }
  struct sigaction pipe_action{}, child_action{};
  ::sigaction(SIGPIPE, nullptr, &pipe_action);
  ::sigaction(SIGCHLD, nullptr, &child_action);
  sigset_t mask;
  ::sigprocmask(SIG_SETMASK, nullptr, &mask);
  return std::to_string(pipe_action.sa_handler == SIG_DFL ? 0 : 1) + " " + std::to_string(sigismember(&mask, SIGUSR1)) +
         " " + std::to_string(child_action.sa_handler == SIG_DFL ? 0 : 1);
}
PRUN_REGISTER_TASK(mess_with_signals);

prun::Options on(prun::Backend backend, int n_jobs) {
  prun::Options o;
  o.backend = backend;
  o.n_jobs = n_jobs;
  return o;
}

}  // namespace

TEST_CASE("a process a task left holding its stdout neither holds up the run nor outlives its worker") {
  test::TempDir dir;
  for (auto backend : {prun::Backend::fork, prun::Backend::spawn}) {
    CAPTURE(backend == prun::Backend::spawn);
    std::vector<prun::Task<int>> tasks;
    for (int i = 0; i < 2; ++i) tasks.push_back(prun::delayed(leave_a_sleeper)(dir.file("sleeper" + std::to_string(i))));
    {
      test::FdCapture out(1), err(2);
      prun::Parallel{on(backend, 2)}(tasks);  // returns although both sleepers hold the pipes
    }
    for (int i = 0; i < 2; ++i) {
      const int pid = read_pid(dir.file("sleeper" + std::to_string(i)));
      REQUIRE(pid > 0);
      CHECK(exits_within(pid, 10000));  // killed with its worker's process group
    }
  }
  // A pool's worker lives on after the run: what its tasks left lives as long as the worker.
  {
    prun::Pool pool({.n_jobs = 1, .backend = prun::Backend::fork});
    std::vector<prun::Task<int>> tasks{prun::delayed(leave_a_sleeper)(dir.file("pooled"))};
    {
      test::FdCapture out(1), err(2);
      prun::Parallel{pool}(tasks);
    }
    const int pid = read_pid(dir.file("pooled"));
    REQUIRE(pid > 0);
    CHECK(!exits_within(pid, 0));
    pool.shutdown();
    CHECK(exits_within(pid, 10000));
  }
  CHECK(test::children_of_self().empty());
}

TEST_CASE("a task that crashes while its child holds the pipes is reported at once") {
  std::vector<prun::Task<int>> tasks{prun::delayed([] {
    (void)!std::system("sleep 60 &");
    std::raise(SIGKILL);
    return 0;
  })()};
  test::FdCapture out(1), err(2);
  CHECK_THROWS_AS(prun::Parallel{on(prun::Backend::fork, 2)}(tasks), prun::WorkerCrashed);
}

TEST_CASE("a task that closes or replaces its descriptors 0-2 breaks nothing for the next ones") {
  auto expected = [](const std::string& prefix) {
    std::vector<std::string> out, err;
    for (int k = 4; k < 8; ++k) {
      out.push_back(prefix + std::to_string(k + 1) + " out " + std::to_string(k));
      err.push_back(prefix + std::to_string(k + 1) + " err " + std::to_string(k));
    }
    return std::pair{out, err};
  };
  std::vector<prun::Task<int>> tasks;
  for (int k = 0; k < 8; ++k) tasks.push_back(prun::delayed(mess_with_fds)(k));
  auto check = [&](auto&& run) {
    for (int round = 0; round < 2; ++round) {  // a pool's later runs too
      CAPTURE(round);
      std::string out, err;
      {
        test::FdCapture o(1), e(2);
        run();
        out = o.text();
        err = e.text();
      }
      auto [want_out, want_err] = expected("process=");
      INFO("stdout was:\n" << out << "stderr was:\n" << err);
      // Every line whole, on its stream, with its own task's prefix. Not their order: lines of
      // consecutive tasks of one worker may reach the parent by two routes (its reads of the
      // pipe, the worker's drain at a task's end), so the order across tasks is not promised.
      auto sorted = [](std::vector<std::string> v) {
        std::sort(v.begin(), v.end());
        return v;
      };
      CHECK(sorted(test::split_lines(out)) == sorted(want_out));
      CHECK(sorted(test::split_lines(err)) == sorted(want_err));
    }
  };
  SUBCASE("sequential") {
    check([&] { prun::Parallel{on(prun::Backend::fork, 1)}(tasks); });
  }
  SUBCASE("fork: one batch on one worker") {
    prun::Options o = on(prun::Backend::fork, 2);
    o.batch_size = 8;
    check([&] { prun::Parallel{o}(tasks); });
  }
  SUBCASE("pools with one worker") {
    for (auto backend : {prun::Backend::fork, prun::Backend::spawn}) {
      prun::Pool pool({.n_jobs = 1, .backend = backend});
      check([&] { prun::Parallel{pool}(tasks); });
    }
  }
}

TEST_CASE("the signal mask and dispositions a task changed are restored before the next task") {
  std::vector<prun::Task<std::string>> tasks{prun::delayed(mess_with_signals)(0), prun::delayed(mess_with_signals)(1)};
  const std::vector<std::string> want{"changed", "0 0 0"};
  // Sequential: the caller's own state is what the next task finds, and what the caller keeps.
  CHECK(prun::Parallel{on(prun::Backend::fork, 1)}(tasks) == want);
  struct sigaction after{};
  ::sigaction(SIGPIPE, nullptr, &after);
  CHECK((after.sa_handler == SIG_DFL));
  prun::Options o = on(prun::Backend::fork, 2);
  o.batch_size = 2;  // both on one worker
  CHECK(prun::Parallel{o}(tasks) == want);
  for (auto backend : {prun::Backend::fork, prun::Backend::spawn}) {
    prun::Pool pool({.n_jobs = 1, .backend = backend});
    CHECK(prun::Parallel{pool}(tasks) == want);
    CHECK(prun::Parallel{pool}(std::vector{prun::delayed(mess_with_signals)(1)}) == std::vector<std::string>{"0 0 0"});
  }
}
