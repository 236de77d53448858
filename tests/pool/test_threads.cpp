// prun in a program with threads: forks while other threads log, runs from several threads at
// once on every backend, tasks whose own threads print and log.
#include <doctest/doctest.h>

#include <prun/prun.hpp>

#include "test_support.hpp"

#include <atomic>
#include <map>
#include <thread>

namespace lg = prun::logging;

namespace {

int log_and_print(int k) {
  lg::info("record {}", k);
  std::printf("line %d\n", k);
  return k * k;
}
PRUN_REGISTER_TASK(log_and_print);

// Two threads that log and create loggers flat out until stopped.
struct BusyLoggers {
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  BusyLoggers() {
    for (int t = 0; t < 2; ++t)
      threads.emplace_back([this, t] {
        for (long n = 0; !stop.load(std::memory_order_relaxed); ++n) {
          lg::get_logger("busy." + std::to_string(t) + "." + std::to_string(n % 50)).info("busy {}", n);
          // A new logger now and then (not every time: a million loggers would make every fork
          // and every worker's reset slow for no purpose).
          if (n % 4096 == 0) lg::get_logger("fresh." + std::to_string(t) + "." + std::to_string(n)).debug("new");
        }
      });
  }
  ~BusyLoggers() {
    stop = true;
    for (auto& t : threads) t.join();
  }
};

prun::Options opts(prun::Backend backend, int n_jobs, std::string prefix = "process={tag} ") {
  prun::Options o;
  o.backend = backend;
  o.n_jobs = n_jobs;
  o.prefix = std::move(prefix);
  return o;
}

}  // namespace

TEST_CASE("forking 1000 workers while two threads log and create loggers never deadlocks a worker") {
  test::CleanLogging clean;
  auto sink = std::make_shared<lg::NullHandler>();
  lg::get_logger().add_handler(sink);
  lg::get_logger().set_level(lg::INFO);
  BusyLoggers busy;
  std::vector<prun::Task<int>> tasks;
  for (int i = 0; i < 2; ++i)
    tasks.push_back(prun::delayed([](int k) {
      lg::get_logger("worker.side").info("in the worker {}", k);  // the worker's logging works
      return k;
    })(i));
  prun::Options o = opts(prun::Backend::fork, 2);
  o.capture_output = false;
  for (int run = 0; run < 500 / test::kSlowdown; ++run) REQUIRE(prun::Parallel{o}(tasks) == std::vector<int>{0, 1});
}

TEST_CASE("runs from several threads at once give every run its own records - lines and results") {
  struct Mode {
    const char* name;
    prun::Backend a, b;
    int jobs_a, jobs_b;
  };
  for (const Mode& m : {Mode{"fork+fork", prun::Backend::fork, prun::Backend::fork, 2, 2},
                        Mode{"spawn+spawn", prun::Backend::spawn, prun::Backend::spawn, 2, 2},
                        Mode{"sequential+sequential", prun::Backend::fork, prun::Backend::fork, 1, 1},
                        Mode{"sequential+fork", prun::Backend::fork, prun::Backend::fork, 1, 2},
                        Mode{"sequential+spawn", prun::Backend::fork, prun::Backend::spawn, 1, 2}}) {
    CAPTURE(std::string(m.name));
    test::CleanLogging clean;
    auto h = std::make_shared<lg::CaptureHandler>();
    h->set_formatter(std::make_shared<lg::Formatter>("%(task)s|%(message)s"));
    lg::get_logger().add_handler(h);
    lg::get_logger().set_level(lg::INFO);
    constexpr int kRuns = 10, kTasks = 12;
    std::string out;
    {
      test::FdCapture capture(1);
      auto thread_runs = [&](char who, prun::Backend backend, int n_jobs) {
        for (int run = 0; run < kRuns; ++run) {
          std::vector<prun::Task<int>> tasks;
          for (int k = 0; k < kTasks; ++k)
            tasks.push_back(prun::delayed(log_and_print)(k).with_tag(std::string(1, who) + std::to_string(k)));
          auto r = prun::Parallel{opts(backend, n_jobs, "{tag} ")}(tasks);
          for (int k = 0; k < kTasks; ++k) REQUIRE(r[static_cast<std::size_t>(k)] == k * k);
        }
      };
      std::thread other([&] { thread_runs('b', m.b, m.jobs_b); });
      thread_runs('a', m.a, m.jobs_a);
      other.join();
      out = capture.text();
    }
    // Every record once, with its own run's prefix: "a3|a3 record 3" (task tag, then message).
    std::map<std::string, int> records;
    for (const auto& line : h->lines()) ++records[line];
    CHECK(records.size() == 2 * kTasks);
    if (records.size() != 2 * kTasks || records.begin()->second != kRuns) for (auto& [k, v] : records) MESSAGE(k << " = " << v);
    for (char who : {'a', 'b'})
      for (int k = 0; k < kTasks; ++k) {
        const std::string tag = std::string(1, who) + std::to_string(k);
        CHECK(records[tag + "|" + tag + " record " + std::to_string(k)] == kRuns);
      }
    // Every printed line once per run, with its own run's prefix.
    std::map<std::string, int> lines;
    for (const auto& line : test::split_lines(out)) ++lines[line];
    CHECK(lines.size() == 2 * kTasks);
    for (char who : {'a', 'b'})
      for (int k = 0; k < kTasks; ++k)
        CHECK(lines[std::string(1, who) + std::to_string(k) + " line " + std::to_string(k)] == kRuns);
  }
  CHECK(test::children_of_self().empty());
}

TEST_CASE("a task whose threads print and log loses nothing - on every backend") {
  auto task = [](int k) {
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([k, t] {
        for (int i = 0; i < 500; ++i) {
          std::printf("task %d thread %d line %d\n", k, t, i);
          if (i % 50 == 0) lg::warning("task {} thread {} record {}", k, t, i);
        }
      });
    for (auto& th : threads) th.join();
    return k;
  };
  for (int n_jobs : {1, 2}) {
    CAPTURE(n_jobs);
    test::CleanLogging clean;
    auto h = std::make_shared<lg::CaptureHandler>();
    lg::get_logger().add_handler(h);
    std::vector<prun::Task<int>> tasks;
    for (int k = 0; k < 3; ++k) tasks.push_back(prun::delayed(task)(k));
    std::string out;
    {
      test::FdCapture capture(1);
      prun::Parallel{opts(prun::Backend::fork, n_jobs)}(tasks);
      out = capture.text();
    }
    auto lines = test::split_lines(out);
    CHECK(lines.size() == 3 * 4 * 500);
    std::set<std::string> unique(lines.begin(), lines.end());
    CHECK(unique.size() == lines.size());
    for (const auto& line : lines) {
      // "process=<k+1> task <k> thread ..."
      const int tag = std::stoi(line.substr(8));
      const int k = std::stoi(line.substr(line.find("task ") + 5));
      CHECK(tag == k + 1);
    }
    CHECK(h->size() == 3 * 4 * 10);
  }
}

TEST_CASE("a sequential task logs while another thread creates loggers - no lock-order deadlock") {
  test::CleanLogging clean;
  lg::get_logger().add_handler(std::make_shared<lg::NullHandler>());
  lg::get_logger().set_level(lg::INFO);
  BusyLoggers busy;
  std::vector<prun::Task<int>> tasks;
  for (int k = 0; k < 200; ++k)
    tasks.push_back(prun::delayed([](int i) {
      lg::get_logger("seq.task").info("task {}", i);
      lg::get_logger("seq.task.child" + std::to_string(i % 7)).warning("child {}", i);
      return i;
    })(k));
  prun::Options o = opts(prun::Backend::fork, 1);
  o.capture_output = false;
  for (int run = 0; run < 20; ++run) CHECK(prun::Parallel{o}(tasks).size() == 200);
}
