// Backend::mpi against Backend::fork, in one run: `mpirun -np 3 prun_bench_mpi` (2 worker
// ranks, and 2 forked workers of rank 0 for the fork figures). One name=value per line. A
// benchmark, not a test: it never fails.
//
//   mpi_tiny_tasks_per_s       200,000 tasks returning x*x on 2 worker ranks (registered function)
//   fork_tiny_tasks_per_s      the same tasks, n_jobs=2 on Backend::fork
//   mpi_log_records_per_s      2 ranks x 1,000,000 records merged by rank 0 into a file
//   fork_log_records_per_s     the same with 2 forked workers
//   mpi_log_parent_cpu_ns      CPU time rank 0 spent per record meanwhile (user + system)
//   fork_log_parent_cpu_ns     the same for the fork backend's parent
//   mpi_log_worker_cpu_ns      CPU time the ranks spent per record while logging (pump included)
//   fork_log_worker_cpu_ns     the same for the forked workers
//   mpi_warm_call_us           2 no-op tasks on the ranks (they are always warm)
#include <prun/mpi.hpp>
#include <prun/prun.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

namespace lg = prun::logging;
using Clock = std::chrono::steady_clock;

long square(long x) { return x * x; }
PRUN_REGISTER_TASK(square);
int noop() { return 0; }
PRUN_REGISTER_TASK(noop);
double cpu_s() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// Logs a million records; returns the CPU time its process spent meanwhile (a rank's pump
// thread included).
double flood() {
  const double cpu0 = cpu_s();
  lg::Logger& log = lg::get_logger("bench.worker");
  for (int i = 0; i < 1'000'000; ++i) log.info("record {} of the benchmark", i);
  return cpu_s() - cpu0;
}
PRUN_REGISTER_TASK(flood);

namespace {

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

template <typename F>
double best_of(int rounds, F&& f) {
  double best = 1e300;
  for (int i = 0; i < rounds; ++i) best = std::min(best, f());
  return best;
}

prun::Options options(prun::Backend backend, bool capture) {
  prun::Options o;
  o.n_jobs = 2;
  o.backend = backend;
  o.capture_output = capture;
  return o;
}

double tiny_tasks_per_s(prun::Backend backend) {
  std::vector<prun::Task<long>> tasks;
  tasks.reserve(200'000);
  for (long i = 0; i < 200'000; ++i) tasks.push_back(prun::delayed(square)(i));
  const double s = best_of(3, [&] {
    auto t0 = Clock::now();
    auto r = prun::Parallel{options(backend, true)}(tasks);
    const double dt = seconds_since(t0);
    if (r.back() != 199'999L * 199'999L) std::abort();
    return dt;
  });
  return 200'000 / s;
}

double log_records_per_s(prun::Backend backend, double& parent_cpu_ns, double& worker_cpu_ns) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("prun-bench-mpi-" + std::to_string(::getpid()) + ".log")).string();
  auto file = std::make_shared<lg::FileHandler>(path, "w");
  file->set_formatter(
      std::make_shared<lg::Formatter>("%(asctime)s %(levelname)s %(processName)s %(process)d %(name)s %(message)s"));
  lg::get_logger().set_handlers({file});
  lg::get_logger().set_level(lg::INFO);
  std::vector<prun::Task<double>> tasks{prun::delayed(flood)(), prun::delayed(flood)()};
  const double cpu0 = cpu_s();
  auto t0 = Clock::now();
  const std::vector<double> worker_cpu = prun::Parallel{options(backend, false)}(tasks);
  const double dt = seconds_since(t0);
  parent_cpu_ns = (cpu_s() - cpu0) * 1e9 / 2'000'000;
  worker_cpu_ns = (worker_cpu[0] + worker_cpu[1]) * 1e9 / 2'000'000;
  lg::get_logger().set_handlers({});
  file.reset();
  const auto size = std::filesystem::file_size(path);
  std::filesystem::remove(path);
  if (size < 2'000'000 * 60) std::abort();  // every record must be in the file
  return 2'000'000 / dt;
}

double warm_call_us() {
  std::vector<prun::Task<int>> tasks{prun::delayed(noop)(), prun::delayed(noop)()};
  prun::Parallel{options(prun::Backend::mpi, true)}(tasks);
  return 1e6 * best_of(200, [&] {
    auto t0 = Clock::now();
    prun::Parallel{options(prun::Backend::mpi, true)}(tasks);
    return seconds_since(t0);
  });
}

}  // namespace

int main(int argc, char** argv) {
  prun::mpi::init(argc, argv);  // ranks 1.. serve in here
  if (prun::mpi::size() != 3) {
    std::fprintf(stderr, "bench_mpi: run it as mpirun -np 3 %s\n", argv[0]);
    return 2;
  }
  std::printf("fork_tiny_tasks_per_s=%.0f\n", tiny_tasks_per_s(prun::Backend::fork));
  std::printf("mpi_tiny_tasks_per_s=%.0f\n", tiny_tasks_per_s(prun::Backend::mpi));
  double fork_cpu = 0, mpi_cpu = 0, fork_worker_cpu = 0, mpi_worker_cpu = 0;
  std::printf("fork_log_records_per_s=%.0f\n", log_records_per_s(prun::Backend::fork, fork_cpu, fork_worker_cpu));
  std::printf("mpi_log_records_per_s=%.0f\n", log_records_per_s(prun::Backend::mpi, mpi_cpu, mpi_worker_cpu));
  std::printf("fork_log_parent_cpu_ns=%.0f\n", fork_cpu);
  std::printf("mpi_log_parent_cpu_ns=%.0f\n", mpi_cpu);
  std::printf("fork_log_worker_cpu_ns=%.0f\n", fork_worker_cpu);
  std::printf("mpi_log_worker_cpu_ns=%.0f\n", mpi_worker_cpu);
  std::printf("mpi_warm_call_us=%.0f\n", warm_call_us());
  return 0;
}
