#include <doctest/doctest.h>

#include "test_support.hpp"

#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

namespace lg = prun::logging;

namespace {
// Waits for `pid` up to `ms` milliseconds; returns its wait status, or -1 on timeout.
int wait_for(pid_t pid, int ms) {
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  pollfd p{pidfd, POLLIN, 0};
  int ready = ::poll(&p, 1, ms);
  ::close(pidfd);
  int status = -1;
  if (ready == 1) ::waitpid(pid, &status, 0);
  return status;
}
}  // namespace

TEST_CASE("concurrent logging never interleaves partial lines") {
  test::CleanLogging clean;
  test::TempDir dir;
  const std::string path = dir.file("threads.log");
  auto h = std::make_shared<lg::FileHandler>(path);
  h->set_formatter(std::make_shared<lg::Formatter>("%(threadName)s %(message)s"));
  lg::get_logger().add_handler(h);
  constexpr int kThreads = 4, kRecords = 5000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t] {
      lg::set_thread_name("T" + std::to_string(t));
      for (int i = 0; i < kRecords; ++i) lg::get_logger("mt").warning("record {} {}", i, std::string(40, 'x'));
    });
  }
  for (auto& th : threads) th.join();
  std::istringstream in(test::read_file(path));
  std::set<std::string> seen;
  int lines = 0;
  for (std::string line; std::getline(in, line); ++lines) {
    REQUIRE(line.size() > 46);
    CHECK(line.starts_with("T"));
    CHECK(line.ends_with(std::string(40, 'x')));
    seen.insert(line);
  }
  CHECK(lines == kThreads * kRecords);
  CHECK(seen.size() == static_cast<std::size_t>(kThreads * kRecords));
}

TEST_CASE("a child forked while another thread holds a handler lock can still log") {
  test::CleanLogging clean;
  // emit() of this handler blocks the first (parent) caller until released.
  struct Gate : lg::Handler {
    std::mutex m;
    std::condition_variable cv;
    bool entered = false, released = false;
    pid_t parent = ::getpid();
    int out_fd = -1;
    void emit(const lg::Record& r) override {
      if (::getpid() == parent) {
        std::unique_lock lock(m);
        entered = true;
        cv.notify_all();
        cv.wait(lock, [&] { return released; });
      } else {
        std::string line = r.message + "\n";
        (void)!::write(out_fd, line.data(), line.size());
      }
    }
  };
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  auto gate = std::make_shared<Gate>();
  gate->out_fd = fds[1];
  lg::get_logger().add_handler(gate);
  std::thread holder([] { lg::get_logger("holder").warning("held"); });
  {
    std::unique_lock lock(gate->m);
    gate->cv.wait(lock, [&] { return gate->entered; });
  }
  pid_t pid = ::fork();
  if (pid == 0) {
    // Only this thread exists here; the lock the holder thread had is reinitialised.
    lg::get_logger("child").warning("child logged");
    ::_exit(0);
  }
  int status = wait_for(pid, 10000);
  if (status == -1) ::kill(pid, SIGKILL), ::waitpid(pid, nullptr, 0);
  {
    std::lock_guard lock(gate->m);
    gate->released = true;
  }
  gate->cv.notify_all();
  holder.join();
  ::close(fds[1]);
  char buf[64] = {};
  ssize_t n = ::read(fds[0], buf, sizeof buf - 1);
  ::close(fds[0]);
  CHECK(status == 0);
  CHECK(std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0) == "child logged\n");
}

TEST_CASE("records in a forked child carry the child's pid") {
  test::CleanLogging clean;
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  auto h = std::make_shared<lg::StreamHandler>(fds[1]);
  h->set_formatter(std::make_shared<lg::Formatter>("%(process)d"));
  lg::get_logger().add_handler(h);
  pid_t pid = ::fork();
  if (pid == 0) {
    lg::get_logger().warning("x");
    ::_exit(0);
  }
  CHECK(wait_for(pid, 10000) == 0);
  ::close(fds[1]);
  char buf[32] = {};
  ssize_t n = ::read(fds[0], buf, sizeof buf - 1);
  ::close(fds[0]);
  CHECK(std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0) == std::to_string(pid) + "\n");
}

TEST_CASE("a task's delivery that creates loggers runs beside a thread that creates and configures loggers") {
  // The sequential pool delivers a task's records from inside the root's handler, routing them
  // by name (which may create the logger) through a snapshot. That used to take the manager's
  // mutex under the configuration lock while another thread took them the other way round.
  test::CleanLogging clean;
  auto sink = std::make_shared<lg::CaptureHandler>();
  lg::get_logger("inv.out").add_handler(sink);
  lg::get_logger("inv.out").set_propagate(false);
  auto saved = lg::HierarchySnapshot::capture_and_reset(lg::DEBUG);
  struct Delivery : lg::Handler {
    const lg::HierarchySnapshot* snapshot = nullptr;
    int n = 0;
    void emit(const lg::Record& r) override {
      lg::Record copy = r;
      copy.name = lg::get_logger("inv.out.task" + std::to_string(n++ % 300)).name();
      snapshot->call_handlers(copy);
    }
  };
  auto delivery = std::make_shared<Delivery>();
  delivery->snapshot = &saved;
  lg::get_logger().add_handler(delivery);
  constexpr int kRecords = 20000;
  std::atomic<bool> stop{false};
  std::thread configurer([&] {
    for (int i = 0; !stop; ++i) {
      lg::Logger& l = lg::get_logger("inv.cfg." + std::to_string(i % 1000));
      l.set_level(i % 2 ? lg::INFO : lg::NOTSET);
      l.add_filter(std::make_shared<lg::NameFilter>("x"));
      l.clear_filters();
    }
  });
  for (int i = 0; i < kRecords; ++i) lg::get_logger("inv.task").info("record {}", i);
  stop = true;
  configurer.join();
  saved.restore();
  CHECK(sink->size() == kRecords);
}

TEST_CASE("a task's own threads get a whole task stamp while the owner changes it") {
  test::CleanLogging clean;
  auto h = std::make_shared<lg::CaptureHandler>();
  lg::get_logger("stamp.mt").add_handler(h);
  lg::get_logger("stamp.mt").set_propagate(false);
  std::atomic<bool> stop{false};
  std::vector<std::thread> loggers;
  for (int t = 0; t < 2; ++t)
    loggers.emplace_back([&] {
      while (!stop) lg::get_logger("stamp.mt").warning("x");
    });
  for (int i = 0; i < 3000; ++i) {
    lg::set_task({"tag-" + std::to_string(i) + std::string(i % 3 * 20, '.'), i, i % 5, i % 7});
    if (i % 2) lg::clear_task();
  }
  lg::clear_task();
  stop = true;
  for (auto& t : loggers) t.join();
  std::size_t in_task = 0;
  for (const lg::Record& r : h->records()) {
    if (r.task_index < 0) {
      CHECK(r.task.empty());
      continue;
    }
    ++in_task;
    const auto i = r.task_index;
    CHECK(r.task == "tag-" + std::to_string(i) + std::string(i % 3 * 20, '.'));
    CHECK(r.worker == i % 5);
    CHECK(r.attempt == i % 7);
  }
  MESSAGE(in_task, " of ", h->size(), " records made inside a task");
}
