#pragma once
#include <prun/pool/engine.hpp>

namespace prun::pool::detail {

/// Every task in the calling process, in order (n_jobs=1).
void run_sequential(const Options& options, const TaskTable& table, int level);
/// Tasks on `n_workers` forked workers.
void run_fork(const Options& options, const TaskTable& table, int level, int n_workers);

}  // namespace prun::pool::detail
