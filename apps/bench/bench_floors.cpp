// Prints prun's costs next to the machine's floors, measured in the same process, one
// name=value per line. A benchmark, not a test: it never fails.
//
//   posix_spawn_ms              posix_spawn + waitpid of /bin/true, parent with 1 GiB touched
//   fork_waitpid_ms             fork + _exit + waitpid, parent with 1 GiB touched
//   spawn_first_call_1gib_ms    a fresh Parallel with Backend::spawn, 2 no-op tasks, same parent
//   spawn_vs_posix_spawn        the ratio of the two (issue target: <= 2)
//   sequential_task_ns          a no-op task at n_jobs=1, output captured (the default)
//   sequential_task_ns_no_capture  the same with capture off
//   sequential_capture_ns       what capture adds per task (issue target: <= 300 ns)
#include <prun/prun.hpp>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

extern char** environ;

using Clock = std::chrono::steady_clock;

int floor_noop() { return 0; }
PRUN_REGISTER_TASK(floor_noop);

namespace {

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

template <typename F>
double best_of(int rounds, F&& f) {
  double best = 1e300;
  for (int i = 0; i < rounds; ++i) best = std::min(best, f());
  return best;
}

double posix_spawn_ms() {
  return 1e3 * best_of(10, [] {
    const auto t0 = Clock::now();
    pid_t pid = 0;
    char arg0[] = "/bin/true";
    char* argv[] = {arg0, nullptr};
    if (::posix_spawn(&pid, "/bin/true", nullptr, nullptr, argv, environ) != 0) return 1e300;
    int status = 0;
    ::waitpid(pid, &status, 0);
    return seconds_since(t0);
  });
}

double fork_waitpid_ms() {
  return 1e3 * best_of(10, [] {
    const auto t0 = Clock::now();
    const pid_t pid = ::fork();
    if (pid == 0) ::_exit(0);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return seconds_since(t0);
  });
}

double spawn_first_call_ms() {
  std::vector<prun::Task<int>> tasks{prun::delayed(floor_noop)(), prun::delayed(floor_noop)()};
  prun::Options o;
  o.n_jobs = 2;
  o.backend = prun::Backend::spawn;
  return 1e3 * best_of(10, [&] {
    const auto t0 = Clock::now();
    prun::Parallel{o}(tasks);
    return seconds_since(t0);
  });
}

double sequential_task_ns(bool capture) {
  constexpr int kTasks = 200'000;
  std::vector<prun::Task<int>> tasks;
  tasks.reserve(kTasks);
  for (int i = 0; i < kTasks; ++i) tasks.push_back(prun::delayed([](int x) { return x; })(i));
  prun::Options o;
  o.n_jobs = 1;
  o.capture_output = capture;
  return 1e9 / kTasks * best_of(3, [&] {
    const auto t0 = Clock::now();
    auto r = prun::Parallel{o}(tasks);
    if (r.back() != kTasks - 1) std::abort();
    return seconds_since(t0);
  });
}

}  // namespace

int main(int argc, char** argv) {
  prun::init(argc, argv);
  const double seq = sequential_task_ns(true), seq_off = sequential_task_ns(false);
  std::printf("sequential_task_ns=%.1f\n", seq);
  std::printf("sequential_task_ns_no_capture=%.1f\n", seq_off);
  std::printf("sequential_capture_ns=%.1f\n", seq - seq_off);
  std::fflush(stdout);
  // A parent the size of a real program's: 1 GiB, every page touched.
  std::vector<char> heap(std::size_t{1} << 30);
  for (std::size_t i = 0; i < heap.size(); i += 4096) heap[i] = static_cast<char>(i);
  const double spawn_floor = posix_spawn_ms(), prun_spawn = spawn_first_call_ms();
  std::printf("posix_spawn_ms=%.3f\n", spawn_floor);
  std::printf("fork_waitpid_ms=%.3f\n", fork_waitpid_ms());
  std::printf("spawn_first_call_1gib_ms=%.3f\n", prun_spawn);
  std::printf("spawn_vs_posix_spawn=%.2f\n", prun_spawn / spawn_floor);
  volatile char keep = heap[heap.size() / 2];  // the heap lives, touched, to here
  (void)keep;
  return 0;
}
