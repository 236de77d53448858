// Prints the verbose lines of ProgressObserver for a real run: `progress_probe VERBOSE N
// [N_JOBS]` runs N no-op tasks and writes the observer's lines to standard output. Read by
// check_joblib_progress.py, which compares them with joblib's.
#include <prun/prun.hpp>

#include <cstdlib>

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  prun::ProgressOptions p;
  p.verbose = std::atoi(argv[1]);
  p.bar = prun::ProgressOptions::Bar::never;
  p.fd = 1;
  const int n = std::atoi(argv[2]);
  prun::Options o;
  o.n_jobs = argc > 3 ? std::atoi(argv[3]) : 2;
  o.observer = std::make_shared<prun::ProgressObserver>(p);
  std::vector<prun::Task<int>> tasks;
  for (int k = 0; k < n; ++k) tasks.push_back(prun::delayed([](int x) { return x; })(k));
  prun::Parallel{o}(tasks);
  return 0;
}
