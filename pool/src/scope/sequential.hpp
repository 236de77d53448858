#pragma once
// n_jobs=1: the tasks run in the calling process, through the same logging scope as in
// workers, with their output captured live (live_capture.hpp), one after the other.

#include <prun/pool/options.hpp>
#include <prun/pool/task_table.hpp>

#include <memory>

namespace prun::pool::scope {

/// Runs the tasks of one sequential run, one per run_next(). While it exists it holds the
/// process's sequential run lock: one sequential run at a time per process (another thread's
/// waits; a task may start a nested one), since it takes descriptors 1 and 2 and the logging
/// over. Between run_next() calls of a run the caller steps (Parallel::submit), pause() gives
/// them back.
class SequentialRunner {
 public:
  SequentialRunner(const Options& options, const TaskTable& table);
  ~SequentialRunner();
  SequentialRunner(const SequentialRunner&) = delete;
  SequentialRunner& operator=(const SequentialRunner&) = delete;

  /// Runs the next task (and its retries). False once every task ran. fail_fast: throws the
  /// task's error; cancelled: throws Cancelled.
  bool run_next();
  /// The caller's logging, streams and signal state back; resume() takes them over again.
  void pause();
  void resume();
  std::size_t done() const noexcept;
  /// Tasks known so far (table.size, plus those pulled).
  std::size_t known() const noexcept;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

/// Every task in the calling process, in order. The tasks' level is options.log_level, else
/// the caller's root level.
void run_sequential(const Options& options, const TaskTable& table);

}  // namespace prun::pool::scope
