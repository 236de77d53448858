#include <prun/prun.hpp>

#include <cstdio>

int main() {
  std::vector<prun::Task<int>> tasks{prun::delayed([](int x) { return x + 1; })(41)};
  std::printf("runner works: %d\n", prun::Parallel{{.n_jobs = 2}}(tasks).at(0));
}
