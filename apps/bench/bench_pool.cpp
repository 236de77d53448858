// Prints prun's pool costs, one name=value per line. A benchmark, not a test: it never fails.
//
//   tiny_tasks_per_s       200,000 tasks returning x*x, n_jobs=2, worker start included
//   first_call_ms          a fresh Parallel, n_jobs=2, 2 no-op tasks
//   log_records_per_s      2 workers x 1,000,000 records merged by the parent into a file
//   cpu_speedup_2          a CPU-bound workload, n_jobs=2 against n_jobs=1
//   spawn_first_call_ms    a fresh Parallel with Backend::spawn, 2 no-op tasks (start and stop included)
//   pool_warm_call_us      a warm spawn Pool running 2 no-op tasks
//   spawn_tiny_tasks_per_s 200,000 tasks returning x*x on a warm spawn Pool
//   timeout_respawn_ms     fork, n_jobs=2: from a hung task's deadline to the first task started
//                          by the worker that replaced its (stopped) worker
//   first_result_us        a warm spawn Pool: submit 2 no-op tasks, until the first result of
//                          the unordered stream (as_completed) is in hand
//   observer_overhead_pct  tiny_tasks_per_s's run with a ProgressObserver (verbose 1, not a
//                          terminal: its two lines to /dev/null) against none, in % of time
#include <prun/prun.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>

namespace lg = prun::logging;
using Clock = std::chrono::steady_clock;

long square(long x) { return x * x; }
PRUN_REGISTER_TASK(square);
int noop() { return 0; }
PRUN_REGISTER_TASK(noop);

namespace {

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

template <typename F>
double best_of(int rounds, F&& f) {
  double best = 1e300;
  for (int i = 0; i < rounds; ++i) best = std::min(best, f());
  return best;
}

prun::Options options(int n_jobs, bool capture) {
  prun::Options o;
  o.n_jobs = n_jobs;
  o.capture_output = capture;
  return o;
}

double tiny_tasks_per_s(bool capture) {
  std::vector<prun::Task<long>> tasks;
  tasks.reserve(200'000);
  for (long i = 0; i < 200'000; ++i) tasks.push_back(prun::delayed([](long x) { return x * x; })(i));
  double s = best_of(3, [&] {
    auto t0 = Clock::now();
    auto r = prun::Parallel{options(2, capture)}(tasks);
    double dt = seconds_since(t0);
    if (r.back() != 199'999L * 199'999L) std::abort();
    return dt;
  });
  return 200'000 / s;
}

double first_call_ms() {
  std::vector<prun::Task<int>> tasks{prun::delayed([] { return 0; })(), prun::delayed([] { return 1; })()};
  return 1e3 * best_of(20, [&] {
    auto t0 = Clock::now();
    prun::Parallel{options(2, true)}(tasks);
    return seconds_since(t0);
  });
}

double log_records_per_s() {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("prun-bench-" + std::to_string(::getpid()) + ".log")).string();
  auto file = std::make_shared<lg::FileHandler>(path, "w");
  file->set_formatter(
      std::make_shared<lg::Formatter>("%(asctime)s %(levelname)s %(processName)s %(process)d %(name)s %(message)s"));
  lg::get_logger().set_handlers({file});
  lg::get_logger().set_level(lg::INFO);
  std::vector<prun::Task<int>> tasks;
  for (int w = 0; w < 2; ++w)
    tasks.push_back(prun::delayed([] {
      lg::Logger& log = lg::get_logger("bench.worker");
      for (int i = 0; i < 1'000'000; ++i) log.info("record {} of the benchmark", i);
      return 0;
    })());
  auto t0 = Clock::now();
  prun::Parallel{options(2, false)}(tasks);
  double dt = seconds_since(t0);
  lg::get_logger().set_handlers({});
  file.reset();
  auto size = std::filesystem::file_size(path);
  std::filesystem::remove(path);
  if (size < 2'000'000 * 60) std::abort();  // every record must be in the file
  return 2'000'000 / dt;
}

double cpu_speedup_2() {
  auto burn = [](int seed) {
    double x = seed;
    for (int i = 0; i < 20'000'000; ++i) x = std::sin(x) + 1.0;
    return x;
  };
  std::vector<prun::Task<double>> tasks;
  for (int i = 0; i < 8; ++i) tasks.push_back(prun::delayed(burn)(i));
  double one = best_of(2, [&] {
    auto t0 = Clock::now();
    prun::Parallel{options(1, true)}(tasks);
    return seconds_since(t0);
  });
  double two = best_of(2, [&] {
    auto t0 = Clock::now();
    prun::Parallel{options(2, true)}(tasks);
    return seconds_since(t0);
  });
  return one / two;
}

}  // namespace

double spawn_first_call_ms() {
  std::vector<prun::Task<int>> tasks{prun::delayed(noop)(), prun::delayed(noop)()};
  prun::Options o = options(2, true);
  o.backend = prun::Backend::spawn;
  return 1e3 * best_of(10, [&] {
    auto t0 = Clock::now();
    prun::Parallel{o}(tasks);
    return seconds_since(t0);
  });
}

double pool_warm_call_us(prun::Pool& pool) {
  std::vector<prun::Task<int>> tasks{prun::delayed(noop)(), prun::delayed(noop)()};
  prun::Parallel{pool}(tasks);  // warm up: workers started
  return 1e6 * best_of(200, [&] {
    auto t0 = Clock::now();
    prun::Parallel{pool}(tasks);
    return seconds_since(t0);
  });
}

double spawn_tiny_tasks_per_s(prun::Pool& pool, bool capture) {
  std::vector<prun::Task<long>> tasks;
  tasks.reserve(200'000);
  for (long i = 0; i < 200'000; ++i) tasks.push_back(prun::delayed(square)(i));
  prun::Options o;
  o.capture_output = capture;
  double s = best_of(3, [&] {
    auto t0 = Clock::now();
    auto r = prun::Parallel{pool, o}(tasks);
    double dt = seconds_since(t0);
    if (r.back() != 199'999L * 199'999L) std::abort();
    return dt;
  });
  return 200'000 / s;
}

// Watches for the hung task's start and for the first task its slot's new worker starts.
class RespawnWatch final : public prun::RunObserver {
 public:
  void on_task_started(const prun::pool::TaskStarted& e) override {
    if (e.tag == "hang") {
      hang_slot_ = e.worker;
      hang_start_ns_ = e.t_ns;
    } else if (e.worker == hang_slot_ && e.pid == new_pid_ && ready_ns_ == 0) {
      ready_ns_ = e.t_ns;
    }
  }
  void on_worker_replaced(const prun::pool::WorkerReplaced& e) override {
    if (e.worker == hang_slot_) new_pid_ = e.new_pid;
  }
  double respawn_ms(std::chrono::milliseconds limit) const {
    const std::int64_t deadline = hang_start_ns_ + std::chrono::nanoseconds(limit).count();
    return ready_ns_ ? static_cast<double>(ready_ns_ - deadline) / 1e6 : -1.0;
  }

 private:
  int hang_slot_ = -1, new_pid_ = -1;
  std::int64_t hang_start_ns_ = 0, ready_ns_ = 0;
};

double timeout_respawn_ms() {
  constexpr auto limit = std::chrono::milliseconds(30);
  return best_of(5, [&] {
    auto watch = std::make_shared<RespawnWatch>();
    prun::Options o = options(2, true);
    o.on_error = prun::ErrorPolicy::collect;
    o.batch_size = 1;
    o.observer = watch;
    std::vector<prun::Task<int>> tasks;
    tasks.push_back(prun::delayed([] {
                      for (;;) ::pause();
                      return 0;
                    })()
                        .with_tag("hang")
                        .with_timeout(limit));
    // Work for both slots until well past the deadline: the stopped worker is replaced.
    for (int k = 0; k < 20; ++k)
      tasks.push_back(prun::delayed([] {
        ::usleep(5'000);
        return 0;
      })());
    prun::Parallel{o}.outcomes(tasks);
    const double ms = watch->respawn_ms(limit);
    if (ms < 0) std::abort();  // no replacement seen: the measurement is meaningless
    return ms;
  });
}

double first_result_us(prun::Pool& pool) {
  std::vector<prun::Task<int>> tasks{prun::delayed(noop)(), prun::delayed(noop)()};
  prun::Parallel{pool}(tasks);  // warm
  return 1e6 * best_of(200, [&] {
    auto t0 = Clock::now();
    auto run = prun::Parallel{pool}.submit(tasks);
    auto stream = run.as_completed();
    auto it = stream.begin();
    const double dt = seconds_since(t0);
    if (it == std::default_sentinel || !(*it).outcome.ok()) std::abort();
    for (; it != std::default_sentinel; ++it) {
    }
    return dt;
  });
}

double observer_overhead_pct() {
  std::vector<prun::Task<long>> tasks;
  tasks.reserve(200'000);
  for (long i = 0; i < 200'000; ++i) tasks.push_back(prun::delayed([](long x) { return x * x; })(i));
  const int null_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  prun::ProgressOptions p;
  p.verbose = 1;
  p.bar = prun::ProgressOptions::Bar::never;
  p.fd = null_fd;
  prun::Options plain = options(2, true);
  prun::Options observed = plain;
  observed.observer = std::make_shared<prun::ProgressObserver>(p);
  // Alternated, best of five each: the machine's drift hits both alike.
  double none = 1e300, with = 1e300;
  for (int round = 0; round < 5; ++round) {
    for (const prun::Options* o : {&plain, &observed}) {
      auto t0 = Clock::now();
      auto r = prun::Parallel{*o}(tasks);
      const double dt = seconds_since(t0);
      if (r.back() != 199'999L * 199'999L) std::abort();
      double& best = o == &plain ? none : with;
      best = std::min(best, dt);
    }
  }
  ::close(null_fd);
  return 100.0 * (with - none) / none;
}

int main(int argc, char** argv) {
  prun::init(argc, argv);  // the spawn measurements re-execute this program as workers
  // First, while the process is small: fork copies the page tables of whatever the heap holds.
  std::printf("first_call_ms=%.3f\n", first_call_ms());
  std::printf("tiny_tasks_per_s=%.0f\n", tiny_tasks_per_s(true));
  std::printf("tiny_tasks_per_s_no_capture=%.0f\n", tiny_tasks_per_s(false));
  std::printf("log_records_per_s=%.0f\n", log_records_per_s());
  std::printf("cpu_speedup_2=%.2f\n", cpu_speedup_2());
  std::printf("timeout_respawn_ms=%.2f\n", timeout_respawn_ms());
  std::printf("observer_overhead_pct=%.1f\n", observer_overhead_pct());
  std::printf("spawn_first_call_ms=%.3f\n", spawn_first_call_ms());
  prun::Pool pool({.n_jobs = 2, .backend = prun::Backend::spawn});
  std::printf("pool_warm_call_us=%.1f\n", pool_warm_call_us(pool));
  std::printf("first_result_us=%.1f\n", first_result_us(pool));
  std::printf("spawn_tiny_tasks_per_s=%.0f\n", spawn_tiny_tasks_per_s(pool, true));
  std::printf("spawn_tiny_tasks_per_s_no_capture=%.0f\n", spawn_tiny_tasks_per_s(pool, false));
  return 0;
}
