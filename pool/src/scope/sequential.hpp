#pragma once
// n_jobs=1: the tasks run in the calling process, through the same logging scope as in
// workers, with their output captured live (two pipes and a reader thread).

#include <prun/pool/options.hpp>
#include <prun/pool/task_table.hpp>

namespace prun::pool::scope {

/// Every task in the calling process, in order. One sequential run at a time per process:
/// another thread's waits (it takes over the process's descriptors 1 and 2 and its logging);
/// a task may start a nested one.
/// The tasks' level is options.log_level, else the caller's root level.
void run_sequential(const Options& options, const TaskTable& table);

}  // namespace prun::pool::scope
