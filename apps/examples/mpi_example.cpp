// docs/distributed.md quotes this program; CTest runs it as `mpirun -np 3 prun_mpi_example`.
#include <prun/mpi.hpp>
#include <prun/prun.hpp>

#include <cstdio>

int square(int x) {
  prun::log::info("squaring {}", x);
  return x * x;
}
PRUN_REGISTER_TASK(square);  // ranks run tasks by name

int main(int argc, char** argv) {
  prun::mpi::init(argc, argv);  // ranks 1..K-1 serve tasks in here and never return
  prun::log::basic_config({.level = prun::log::INFO, .format = "%(processName)s %(message)s"});
  std::vector<prun::Task<int>> tasks;
  for (int i = 0; i < 8; ++i) tasks.push_back(prun::delayed(square)(i));
  std::vector<int> squares = prun::Parallel{{.n_jobs = -1, .backend = prun::Backend::mpi}}(tasks);
  std::printf("squares:");
  for (int s : squares) std::printf(" %d", s);
  std::printf("\n");
}
