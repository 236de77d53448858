#pragma once
/// Reusable worker pools, and the entry point of spawned workers.

#include <prun/pool/errors.hpp>
#include <prun/pool/task_table.hpp>
#include <prun/pool/options.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace prun::pool {

namespace detail {
struct PoolAccess;
}

/// Call first thing in main(). In a process prun spawned as a worker it becomes that worker
/// and never returns; anywhere else it returns at once. Backend::spawn refuses to run in a
/// program that did not call it (the worker would run your main() instead).
void init(int argc, char** argv);

struct PoolOptions {
  /// Workers, with joblib's rules (-1: every usable CPU).
  int n_jobs = -1;
  /// Backend::spawn, fork or mpi (a handle on the ranks: docs/distributed.md). A fork pool's
  /// workers are forked when first needed, so they only know what existed then: register tasks.
  Backend backend = Backend::spawn;
  /// A worker that gets no work for this long leaves; the pool starts another when needed.
  /// Zero: never.
  std::chrono::milliseconds idle_timeout{std::chrono::minutes(5)};
  /// A worker that has taken this many tasks leaves and is replaced (0: never), to contain
  /// leaks (joblib #1213).
  std::size_t max_tasks_per_child = 0;
  /// Runs once in every new worker (joblib #381). With Backend::spawn it must be a registered
  /// function (PRUN_REGISTER_TASK). If it throws, the run fails with InitializerFailed.
  std::function<void()> initializer;
  /// The program spawned workers run; default: this one (/proc/self/exe).
  std::string program;
  /// How long a new worker may take to answer.
  std::chrono::milliseconds startup_timeout{std::chrono::seconds(10)};
  /// When stopping: how long workers get to leave when asked before SIGKILL.
  std::chrono::milliseconds stop_grace{std::chrono::seconds(2)};
};

/// Workers that outlive one run (joblib's `with Parallel(...) as parallel`, loky's reusable
/// executor). Started on first use; a worker that crashed, idled out or was recycled is
/// replaced on demand. Destroying the pool stops its workers (asked, then SIGKILL after
/// stop_grace, with their process groups) and reaps them. Not thread-safe: one run at a time
/// per pool (different pools run from different threads at once).
class Pool {
 public:
  explicit Pool(PoolOptions options = {});
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  const PoolOptions& options() const noexcept;
  /// The number of workers the pool keeps.
  int size() const noexcept;
  /// Pids of the workers alive now (none before the first run).
  std::vector<int> worker_pids() const;

  /// Runs a table of tasks on the pool's workers (prun::Parallel(pool) calls this). Every task
  /// must be a registered function. options.n_jobs and options.backend are the pool's.
  void run(const Options& options, const TaskTable& table);
  /// The same without waiting (prun::Parallel(pool).submit() calls this). The pool must not run
  /// anything else while the handle lives.
  std::unique_ptr<RunHandle> start(const Options& options, const TaskTable& table);

  /// Stops every worker now; the next run starts new ones.
  void shutdown();

 private:
  friend struct detail::PoolAccess;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace prun::pool
