#pragma once
// A worker rank's side: the serve loop of ranks 1..K-1. It never forks: tasks run in the
// rank's own process, one after the other, each in the same logging scope as every backend
// (scope/task_scope.hpp), with descriptors 1 and 2 captured through two pipes as n_jobs = 1
// does. Everything the rank sends (records, printed bytes, task started and finished, batch
// done) is framed into one outgoing buffer, which a pump thread sends to rank 0.

namespace prun::mpi::detail {

/// Serves rank 0 until it says stop, then finalises MPI and leaves the process (_exit(0)).
[[noreturn]] void serve_rank() noexcept;

}  // namespace prun::mpi::detail
