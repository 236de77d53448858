#pragma once
/// prun on the ranks of an MPI job (Backend::mpi). Link prun::mpi, start the program with
/// `mpirun -np K ./app` (or srun), and call prun::mpi::init first thing in main():
///
///     int main(int argc, char** argv) {
///       prun::mpi::init(argc, argv);  // ranks 1..K-1 serve tasks in here and never return
///       auto r = prun::Parallel{{.n_jobs = -1, .backend = prun::Backend::mpi}}(tasks);
///     }
///
/// Rank 0 is the parent: it returns from init and runs main(). Tasks are registered functions
/// (PRUN_REGISTER_TASK), sent by name with their encoded arguments; each worker rank runs them
/// in the same logging scope, with the same prefix and output capture as n_jobs = 1, and
/// streams their records, printed lines, results and errors back to rank 0, where they go
/// through rank 0's handlers. See docs/distributed.md.

#include <vector>

namespace prun::mpi {

/// Initialises MPI (MPI_THREAD_SERIALIZED) and, on ranks other than 0, serves tasks until rank
/// 0 finalises, then leaves the process (exit status 0) without returning. On rank 0 it
/// returns, and Backend::mpi runs tasks on the other ranks. Rank 0 finalises at exit (or
/// earlier with finalize()). Also does what prun::init does. Throws std::runtime_error if MPI
/// cannot give the thread support prun needs.
void init(int& argc, char**& argv);

/// Tells the worker ranks to leave and finalises MPI. Called at exit if not before; later runs
/// on Backend::mpi fail. Rank 0 only; does nothing if init() was not called.
void finalize();

/// This process's rank and the job's size (0 and 1 before init()).
int rank() noexcept;
int size() noexcept;

/// The pids of the worker ranks (rank 1 first), as they reported them at init().
std::vector<int> worker_pids();

}  // namespace prun::mpi
