// Steering a run: error policies, timeouts, retries, cancellation, streams of results, bounded
// dispatch, observers — on every backend where they apply.
#include <doctest/doctest.h>

#include <prun/prun.hpp>

#include "test_support.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <fstream>
#include <map>
#include <mutex>
#include <ranges>
#include <sstream>
#include <thread>

namespace lg = prun::logging;
using namespace std::chrono_literals;

namespace {

// Task k of the mixed workload: 13, 31 and 77 throw; 50 crashes (SIGKILL: a forked worker of this
// test program would run doctest's own handler for SIGSEGV); 120 hangs; the rest return k*k.
long mixed(long k) {
  lg::info("task {} begins", k);
  if (k == 13 || k == 31 || k == 77) throw std::runtime_error("bad input " + std::to_string(k));
  if (k == 50) std::raise(SIGKILL);
  if (k == 120) {
    lg::warning("about to hang");
    for (;;) ::pause();
  }
  return k * k;
}
PRUN_REGISTER_TASK(mixed);

// Crashes (SIGKILL) on its first attempt, succeeds on the second: the attempt comes from the
// records' stamp, seen through a file the task creates.
int flaky(std::string marker) {
  lg::info("attempt {}", lg::current_task().attempt);
  if (::access(marker.c_str(), F_OK) != 0) {
    std::ofstream(marker) << "tried";
    std::raise(SIGKILL);
  }
  return lg::current_task().attempt;
}
PRUN_REGISTER_TASK(flaky);

int ignore_term_and_hang(int) {
  ::signal(SIGTERM, SIG_IGN);
  lg::warning("ignoring SIGTERM");
  for (;;) ::pause();
}
PRUN_REGISTER_TASK(ignore_term_and_hang);

int quick(int k) { return k; }
PRUN_REGISTER_TASK(quick);

prun::Options opts(int n_jobs, prun::Backend backend = prun::Backend::fork) {
  prun::Options o;
  o.n_jobs = n_jobs;
  o.backend = backend;
  o.capture_output = false;
  return o;
}

// Records every observer event, as lines.
struct Recorder final : prun::RunObserver {
  std::mutex m;
  std::vector<std::string> events;
  void add(std::string e) {
    std::lock_guard lock(m);
    events.push_back(std::move(e));
  }
  void on_run_started(const prun::pool::RunStarted& r) override { add("run " + std::to_string(r.tasks)); }
  void on_task_started(const prun::pool::TaskStarted& t) override {
    add("start " + std::to_string(t.index) + " attempt " + std::to_string(t.attempt));
  }
  void on_task_finished(const prun::pool::TaskFinished& t) override {
    add("end " + std::to_string(t.index) + " attempt " + std::to_string(t.attempt) + " status " +
        std::to_string(static_cast<int>(t.status)) + (t.final ? " final" : " again"));
  }
  void on_worker_replaced(const prun::pool::WorkerReplaced& w) override { add("replaced " + std::string(w.why)); }
  void on_run_finished(const prun::pool::RunFinished& r) override {
    add("finished ok " + std::to_string(r.ok) + " failed " + std::to_string(r.failed));
  }
  std::size_t count(std::string_view prefix) {
    std::lock_guard lock(m);
    return static_cast<std::size_t>(std::count_if(events.begin(), events.end(), [&](auto& e) { return e.starts_with(prefix); }));
  }
};

}  // namespace

TEST_CASE("collect: 200 tasks that throw - crash and hang give 200 outcomes of the right kinds") {
  for (auto backend : {prun::Backend::fork, prun::Backend::spawn}) {
    CAPTURE(backend == prun::Backend::spawn);
    test::CleanLogging clean;
    lg::get_logger().add_handler(std::make_shared<lg::NullHandler>());
    lg::get_logger().set_level(lg::INFO);
    std::vector<prun::Task<long>> tasks;
    for (long k = 0; k < 200; ++k) tasks.push_back(prun::delayed(mixed)(k));
    tasks[120].with_timeout(300ms);
    prun::Options o = opts(2, backend);
    o.grace = 100ms;
    auto recorder = std::make_shared<Recorder>();
    o.observer = recorder;
    auto outcomes = prun::Parallel{o}.outcomes(tasks);
    REQUIRE(outcomes.size() == 200);
    for (long k = 0; k < 200; ++k) {
      CAPTURE(k);
      const auto& out = outcomes[static_cast<std::size_t>(k)];
      if (k == 13 || k == 31 || k == 77) {
        REQUIRE(out.task_error());
        CHECK(out.task_error()->message() == "bad input " + std::to_string(k));
        CHECK(out.task_error()->type() == "std::runtime_error");
      } else if (k == 50) {
        REQUIRE(out.as<prun::WorkerCrashed>());
        CHECK(out.as<prun::WorkerCrashed>()->signal() == SIGKILL);
      } else if (k == 120) {
        REQUIRE(out.as<prun::TaskTimeout>());
        const auto* t = out.as<prun::TaskTimeout>();
        CHECK(t->tag() == "121");
        CHECK(t->elapsed() >= 0.3);
        CHECK(t->last_lines().back() == "WARNING root: process=121 about to hang");
      } else {
        CHECK(out.ok());
        CHECK(out.value() == k * k);
      }
    }
    CHECK(recorder->count("replaced") == 2);  // the crash and the timeout
    CHECK(recorder->count("end ") == 200);
    CHECK(recorder->count("finished ok 195 failed 5") == 1);
  }
  CHECK(test::children_of_self().empty());
}

TEST_CASE("a task that ignores SIGTERM is killed after the grace period - and the run goes on") {
  std::vector<prun::Task<int>> tasks{prun::delayed(ignore_term_and_hang)(0), prun::delayed(quick)(1),
                                     prun::delayed(quick)(2)};
  for (auto backend : {prun::Backend::fork, prun::Backend::spawn}) {
    test::CleanLogging clean;
    lg::get_logger().add_handler(std::make_shared<lg::NullHandler>());
    prun::Options o = opts(2, backend);
    o.timeout = 500ms;  // time for a loaded machine to start the task and log
    o.grace = 200ms;
    auto outcomes = prun::Parallel{o}.outcomes(tasks);
    REQUIRE(outcomes[0].as<prun::TaskTimeout>());
    CHECK(outcomes[0].as<prun::TaskTimeout>()->last_lines() == std::vector<std::string>{"WARNING root: process=1 ignoring SIGTERM"});
    CHECK(outcomes[1].value() == 1);
    CHECK(outcomes[2].value() == 2);
    // fail_fast: the timeout is the run's error.
    prun::Options fast = o;
    fast.on_error = prun::ErrorPolicy::fail_fast;
    CHECK_THROWS_AS(prun::Parallel{fast}(tasks), prun::TaskTimeout);
  }
  CHECK(test::children_of_self().empty());
}

TEST_CASE("a task that crashed runs again on a fresh worker - its records carry the attempt") {
  for (auto backend : {prun::Backend::fork, prun::Backend::spawn}) {
    test::CleanLogging clean;
    test::TempDir dir;
    auto h = std::make_shared<lg::CaptureHandler>();
    h->set_formatter(std::make_shared<lg::Formatter>("%(attempt)d %(message)s"));
    lg::get_logger().add_handler(h);
    lg::get_logger().set_level(lg::INFO);
    std::vector<prun::Task<int>> tasks{prun::delayed(flaky)(dir.file("marker"))};
    prun::Options o = opts(2, backend);
    o.retries = 1;
    CHECK(prun::Parallel{o}(tasks) == std::vector<int>{2});
    CHECK(h->lines() == std::vector<std::string>{"1 process=1 attempt 1", "2 process=1 attempt 2"});
  }
  // Without a retry left, the error tells every attempt.
  test::TempDir dir;
  std::vector<prun::Task<long>> tasks{prun::delayed(mixed)(50)};
  prun::Options o = opts(2);
  o.retries = 2;
  try {
    prun::Parallel{o}(tasks);
    FAIL("no error");
  } catch (const prun::WorkerCrashed& e) {
    CHECK(e.attempt() == 3);
    CHECK(e.earlier_attempts() ==
          std::vector<std::string>{"attempt 1: worker killed by signal SIGKILL", "attempt 2: worker killed by signal SIGKILL"});
    CHECK(std::string(e.what()).find("attempt 3; earlier:") != std::string::npos);
  }
}

TEST_CASE("results as they complete - in completion order") {
  // Task 0 cannot finish before the consumer has received task 1's result: the consumer releases
  // it through a FIFO only then. An ordered stream would wait for task 0 first, and task 0 would
  // give up after 30 s and return -1 instead of 0.
  test::TempDir dir;
  const std::string fifo = dir.file("fifo");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const int release = ::open(fifo.c_str(), O_RDWR | O_CLOEXEC);  // keeps the FIFO open for task 0
  REQUIRE(release >= 0);
  auto task = [fifo](int k) {
    if (k == 1) return k;
    const int in = ::open(fifo.c_str(), O_RDONLY | O_CLOEXEC);  // a writer exists: does not block
    pollfd p{in, POLLIN, 0};
    const bool released = ::poll(&p, 1, 30'000) == 1;
    ::close(in);
    return released ? k : -1;
  };
  std::vector<prun::Task<int>> tasks{prun::delayed(task)(0), prun::delayed(task)(1)};
  auto run = prun::Parallel{opts(2)}.submit(tasks);
  std::vector<std::size_t> order;
  for (auto& c : run.as_completed()) {
    order.push_back(c.index);
    CHECK(c.outcome.value() == static_cast<int>(c.index));
    if (c.index == 1) REQUIRE(::write(release, "go\n", 3) == 3);
  }
  ::close(release);
  CHECK(order == std::vector<std::size_t>{1, 0});
}

TEST_CASE("results in input order as a stream - n_jobs=1 runs each task when asked") {
  std::atomic<int> ran{0};
  auto task = [&ran](int k) {
    ++ran;
    return k * 10;
  };
  std::vector<prun::Task<int>> tasks;
  for (int k = 0; k < 5; ++k) tasks.push_back(prun::delayed(task)(k));
  auto run = prun::Parallel{opts(1)}.submit(tasks);
  CHECK(ran == 0);
  int expected = 0;
  for (auto& o : run.in_order()) {
    CHECK(ran == expected / 10 + 1);  // this task ran just now, not the next one
    CHECK(o.value() == expected);
    expected += 10;
  }
  CHECK(expected == 50);
  auto parallel = prun::Parallel{opts(2)}.submit(tasks);
  CHECK(parallel.get() == std::vector<int>{0, 10, 20, 30, 40});
}

TEST_CASE("a slow consumer holds memory bounded - the run waits for it") {
  // 400 results of 1 MiB each, taken one at a time: never more than max_pending wait.
  auto big = [](int k) { return std::string(1 << 20, static_cast<char>('a' + k % 26)); };
  std::vector<prun::Task<std::string>> tasks;
  const int n_results = 400 / test::kSlowdown;
  for (int k = 0; k < n_results; ++k) tasks.push_back(prun::delayed(big)(k));
  prun::Options o = opts(2);
  o.max_pending = 4;
  rusage before{};
  ::getrusage(RUSAGE_SELF, &before);
  auto run = prun::Parallel{o}.submit(tasks);
  std::size_t n = 0;
  for (auto& r : run.as_completed()) {
    CHECK(r.outcome.value().size() == (1u << 20));
    ++n;
  }
  rusage after{};
  ::getrusage(RUSAGE_SELF, &after);
  CHECK(n == static_cast<std::size_t>(n_results));
  // Unbounded, the 400 MiB of results would pile up; bounded, a few dozen MiB at most. (ASan
  // keeps freed memory in quarantine, 256 MiB by default: its peak says nothing of what is held;
  // ThreadSanitizer runs fewer rounds, too few for the bound to tell.)
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  CHECK(after.ru_maxrss - before.ru_maxrss < 64 * 1024);
#endif
}

TEST_CASE("cancel from another thread - and from a signal handler of the program's own") {
  static prun::CancelToken* g_token = nullptr;
  for (bool from_signal : {false, true}) {
    CAPTURE(from_signal);
    test::CleanLogging clean;
    auto h = std::make_shared<lg::CaptureHandler>();
    lg::get_logger().add_handler(h);
    lg::get_logger().set_level(lg::INFO);
    prun::CancelToken token;
    g_token = &token;
    struct sigaction sa{}, old{};
    sa.sa_handler = [](int) { g_token->cancel(); };
    ::sigaction(SIGUSR1, &sa, &old);
    auto task = [](int k) {
      lg::info("running {}", k);
      for (;;) ::pause();
      return k;
    };
    std::vector<prun::Task<int>> tasks;
    for (int k = 0; k < 10; ++k) tasks.push_back(prun::delayed(task)(k));
    prun::Options o = opts(2);
    o.cancel = token;
    o.grace = 100ms;
    std::thread canceller([&] {
      // Once both workers logged, their tasks run: cancel.
      while (h->size() < 2) std::this_thread::yield();
      if (from_signal) ::kill(::getpid(), SIGUSR1);
      else token.cancel();
    });
    CHECK_THROWS_AS(prun::Parallel{o}(tasks), prun::Cancelled);
    canceller.join();
    ::sigaction(SIGUSR1, &old, nullptr);
    CHECK(h->size() == 2);  // what ran logged, and it was delivered
    CHECK(test::children_of_self().empty());
  }
}

TEST_CASE("timeouts and retries at n_jobs=1: a task cannot be stopped - it fails as it would elsewhere") {
  auto slow = [](int k) {
    std::this_thread::sleep_for(std::chrono::milliseconds(k));  // the work itself
    return k;
  };
  // The limit leaves a loaded machine ample time for the quick task.
  std::vector<prun::Task<int>> tasks{prun::delayed(slow)(0), prun::delayed(slow)(700)};
  prun::Options o = opts(1);
  o.timeout = 600ms;
  auto outcomes = prun::Parallel{o}.outcomes(tasks);
  CHECK(outcomes[0].value() == 0);
  REQUIRE(outcomes[1].as<prun::TaskTimeout>());
  CHECK(outcomes[1].as<prun::TaskTimeout>()->elapsed() >= 0.7);
  // retry_on_error: a task that threw runs again.
  int calls = 0;
  auto fails_once = [&calls] {
    if (++calls == 1) throw std::logic_error("first time");
    return calls;
  };
  prun::Options r = opts(1);
  r.retries = 1;
  r.retry_on_error = true;
  CHECK(prun::Parallel{r}(std::vector{prun::delayed(fails_once)()}) == std::vector<int>{2});
}

TEST_CASE("a lazy input is pulled no further ahead than the run needs") {
  // 200 numbers read from a stream (an input range: it can be read once, as it goes). A
  // consumer that waits before taking the first result gives the run every chance to read on.
  for (auto [n_jobs, backend] : {std::pair{1, prun::Backend::fork}, std::pair{2, prun::Backend::fork},
                                 std::pair{2, prun::Backend::spawn}}) {
    CAPTURE(n_jobs);
    CAPTURE(backend == prun::Backend::spawn);
    std::istringstream numbers;
    {
      std::string text;
      for (int k = 0; k < 200; ++k) text += std::to_string(k) + " ";
      numbers.str(text);
    }
    std::atomic<int> pulled{0};
    auto tasks = std::views::istream<int>(numbers) | std::views::transform([&pulled](int k) {
                   ++pulled;
                   return prun::delayed(quick)(k);
                 });
    prun::Options o = opts(n_jobs, backend);
    o.max_pending = 4;
    auto run = prun::Parallel{o}.submit(tasks);
    if (n_jobs == 1) CHECK(pulled == 1);  // the first task, to tell how tasks can travel
    int expected = 0, most_ahead = 0;
    for (auto& r : run.in_order()) {
      if (expected == 0) std::this_thread::sleep_for(50ms);  // a slow consumer, once
      most_ahead = std::max(most_ahead, pulled.load() - (expected + 1));
      CHECK(r.value() == expected);
      ++expected;
    }
    CHECK(expected == 200);
    CHECK(run.size() == 200);
    // Ahead of the consumer: at most max_pending results waiting, two batches of one task in
    // flight per worker, and the task being pulled. At n_jobs = 1 a task is read when it runs.
    MESSAGE("most tasks read ahead of the consumer: " << most_ahead);
    CHECK(most_ahead <= (n_jobs == 1 ? 0 : 4 + 2 * n_jobs + 1));
  }
}

TEST_CASE("a lazy input of closures on fork is gathered first - and one that throws stops the run") {
  std::istringstream numbers("1 2 3 4 5 6 7 8");
  std::atomic<int> pulled{0};
  auto closures = std::views::istream<int>(numbers) | std::views::transform([&pulled](int k) {
                    ++pulled;
                    return prun::delayed([](int x) { return x * 3; })(k);
                  });
  {
    auto run = prun::Parallel{opts(2)}.submit(closures);
    CHECK(pulled == 8);  // forked workers can only run tasks that exist when they are forked
    CHECK(run.get() == std::vector<int>{3, 6, 9, 12, 15, 18, 21, 24});
  }  // the run's thread joined before the next run forks (TSan counts it in the workers otherwise)

  for (int n_jobs : {1, 2}) {
    CAPTURE(n_jobs);
    std::istringstream input("0 1 2 3 4 5 6 7 8 9");
    auto failing = std::views::istream<int>(input) | std::views::transform([](int k) {
                     if (k == 5) throw std::runtime_error("unreadable input 5");
                     return prun::delayed(quick)(k);
                   });
    auto r = prun::Parallel{opts(n_jobs)}.submit(failing);
    std::vector<int> got;
    CHECK_THROWS_WITH_AS(
        [&] {
          for (auto& o : r.in_order()) got.push_back(o.value());
        }(),
        "unreadable input 5", std::runtime_error);
    CHECK(got == std::vector<int>{0, 1, 2, 3, 4});
  }
}

TEST_CASE("fail_fast: the results completed before the failure stay reachable from the run") {
  auto maybe_throw = [](int k) {
    if (k == 5) throw std::runtime_error("task 5 fails");
    return k * 2;
  };
  for (int n_jobs : {1, 2}) {
    CAPTURE(n_jobs);
    std::vector<prun::Task<int>> tasks;
    for (int k = 0; k < 40; ++k) tasks.push_back(prun::delayed(maybe_throw)(k));
    auto run = prun::Parallel{opts(n_jobs)}.submit(tasks);  // fail_fast, the default
    std::vector<prun::Outcome<int>> seen;
    for (auto& o : run.in_order()) seen.push_back(std::move(o));
    REQUIRE(seen.size() >= 6);
    for (int k = 0; k < 5; ++k) CHECK(seen[static_cast<std::size_t>(k)].value() == k * 2);
    REQUIRE(seen[5].task_error());
    CHECK(seen[5].task_error()->message() == "task 5 fails");
    CHECK(seen[5].task_error()->index() == 5);
    // Tasks after it that had already finished are there too; nothing after them ran.
    for (std::size_t k = 6; k < seen.size(); ++k) CHECK(seen[k].value() == static_cast<int>(k) * 2);
    CHECK(seen.size() < 40);
    // get() gives the same values up to the failure, then throws it.
    auto again = prun::Parallel{opts(n_jobs)}.submit(tasks);
    try {
      again.get();
      FAIL("get() returned although task 5 failed");
    } catch (const prun::TaskError& e) {
      CHECK(e.message() == "task 5 fails");
    }
  }
}
