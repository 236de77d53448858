// Fork-safety: forking while other threads log, configure, create loggers, intern names and
// set task stamps must never leave a child stuck on a lock (issue 8, hole 2).
#include <doctest/doctest.h>

#include "test_support.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <atomic>
#include <thread>

namespace lg = prun::logging;

namespace {
// Waits for `pid` up to `ms` milliseconds; returns its wait status, or -1 on timeout (then
// the child is killed and reaped).
int wait_for(pid_t pid, int ms) {
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  pollfd p{pidfd, POLLIN, 0};
  int ready = ::poll(&p, 1, ms);
  ::close(pidfd);
  int status = -1;
  if (ready == 1) {
    ::waitpid(pid, &status, 0);
    return status;
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  return -1;
}
}  // namespace

TEST_CASE("1000 forks while two threads log and create loggers - every child finishes") {
  test::CleanLogging clean;
  auto sink = std::make_shared<lg::FileHandler>("/dev/null");
  sink->set_formatter(std::make_shared<lg::Formatter>("%(asctime)s %(levelname)s %(threadName)s %(task)s %(message)s"));
  lg::get_logger().add_handler(sink);
  lg::get_logger().set_level(lg::DEBUG);
  std::atomic<bool> stop{false};
  std::atomic<long> work{0};

  std::thread logger_thread([&] {
    lg::set_thread_name("logger-thread");
    for (long i = 0; !stop.load(std::memory_order_relaxed); ++i) {
      lg::set_task({"t" + std::to_string(i % 7), i, 1, 1});
      lg::get_logger("fs.log").info(lg::Extra{{"i", i}}, "record {}", i);
      lg::clear_task();
      work.fetch_add(1, std::memory_order_relaxed);
    }
  });
  std::thread config_thread([&] {
    for (long i = 0; !stop.load(std::memory_order_relaxed); ++i) {
      lg::Logger& l = lg::get_logger("fs.cfg." + std::to_string(i % 500));
      l.set_level(i % 2 ? lg::DEBUG : lg::NOTSET);
      auto h = std::make_shared<lg::NullHandler>();
      l.add_handler(h);
      l.debug("created {}", i);
      l.remove_handler(h);
      lg::intern("fs-name-" + std::to_string(i % 1000));
      if (i % 100 == 0) lg::add_level_name(23, "FSTEST");
      work.fetch_add(1, std::memory_order_relaxed);
    }
  });

  constexpr int kForks = 1000 / test::kSlowdown;
  int finished = 0, failed = 0;
  for (int k = 0; k < kForks; ++k) {
    // Let the threads do some work between forks, so that forks land at random points.
    const long target = work.load() + 20;
    while (work.load() < target) std::this_thread::yield();
    pid_t pid = ::fork();
    if (pid == 0) {
      // Only this thread exists here; every logging lock must be usable.
      lg::get_logger("fs.child").warning("child {}", k);
      lg::Logger& fresh = lg::get_logger("fs.child.new." + std::to_string(k));
      fresh.set_level(lg::INFO);
      fresh.log(23, "custom level");
      lg::set_task({"child", k, 0, 1});
      fresh.info("in a task");
      lg::clear_task();
      lg::intern("child-name");
      sink->flush();
      ::_exit(0);
    }
    REQUIRE(pid > 0);
    int status = wait_for(pid, 10'000);
    if (status == 0) ++finished;
    else ++failed;
  }
  stop = true;
  logger_thread.join();
  config_thread.join();
  CHECK(failed == 0);
  CHECK(finished == kForks);
}
