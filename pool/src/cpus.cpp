#include <prun/pool/options.hpp>

#include <sched.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>

namespace prun::pool {

namespace {
// CPUs granted by the cgroup v2 quota ("max 100000" or "150000 100000"), or 0 for none.
int cgroup_cpus() {
  std::ifstream in("/sys/fs/cgroup/cpu.max");
  std::string quota;
  long period = 0;
  if (!(in >> quota >> period) || quota == "max" || period <= 0) return 0;
  double cpus = std::stod(quota) / static_cast<double>(period);
  return std::max(1, static_cast<int>(std::ceil(cpus)));
}
}  // namespace

int usable_cpus() {
  int n = 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0) n = CPU_COUNT(&set);
  if (n <= 0) n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (int quota = cgroup_cpus(); quota > 0) n = std::min(n, quota);
  return n;
}

int resolve_n_jobs(int n_jobs) {
  if (n_jobs == 0) throw std::invalid_argument("n_jobs == 0 has no meaning (use 1 for sequential, -1 for every CPU)");
  if (n_jobs > 0) return n_jobs;
  return std::max(1, usable_cpus() + 1 + n_jobs);
}

}  // namespace prun::pool
