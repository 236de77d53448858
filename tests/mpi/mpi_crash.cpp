// A program whose task kills its rank: `mpirun -np 2 prun_mpi_crash segv|exit`. Open MPI ends
// the whole job; the dying rank says which task it was running.
#include <prun/mpi.hpp>
#include <prun/prun.hpp>

#include <csignal>
#include <cstdlib>
#include <string>

namespace {
int die(std::string how) {
  prun::logging::warning("about to {}", how);
  if (how == "segv") std::raise(SIGSEGV);
  if (how == "exit") std::exit(3);
  return 0;
}
PRUN_REGISTER_TASK(die);
}  // namespace

int main(int argc, char** argv) {
  prun::mpi::init(argc, argv);
  const std::string how = argc > 1 ? argv[1] : "segv";
  std::vector<prun::Task<int>> tasks{prun::delayed(die)(how).with_tag("doomed")};
  prun::Parallel{{.n_jobs = -1, .backend = prun::Backend::mpi}}(tasks);
  return 0;
}
