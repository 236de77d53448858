#pragma once
/// What a run is asked to do: how many workers, which backend, and each task's logging scope.

#include <prun/logging/level.hpp>
#include <prun/pool/cancel.hpp>
#include <prun/pool/observer.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace prun::pool {

enum class Backend {
  sequential,  ///< in the calling process, one task after another (what n_jobs=1 means)
  fork,        ///< forked workers: any closure runs, the parent's memory is copied
  spawn,       ///< workers re-execute this program (call prun::init first in main); only
               ///< registered functions run, with serialized arguments
  mpi,         ///< the worker ranks of an MPI job (link prun::mpi and call prun::mpi::init
               ///< first in main; see docs/distributed.md); registered functions only, and
               ///< n_jobs counts ranks (-1: every worker rank)
};

/// What a failing task does to the run.
enum class ErrorPolicy {
  fail_fast,  ///< no task after it starts; the run throws its error (joblib's behaviour)
  collect,    ///< every task runs; each outcome is its value or its error
};

/// What a task's configure_task hook learns about the task.
struct TaskContext {
  std::size_t index = 0;        ///< 0-based position of the task in the input
  std::string tag;              ///< the task's tag (default: index + 1)
  int worker = 0;               ///< 1-based worker slot; 0 when run sequentially
  int pid = 0;                  ///< pid of the process running the task
  std::string process_name;     ///< "MainProcess" or "Worker-<slot>"
  std::uint32_t attempt = 1;    ///< 1 for the first run of the task; more with retries
};

struct Options {
  /// joblib's n_jobs: 1 = sequential in this process; -1 = every usable CPU; -2 = all but one;
  /// 0 is an error.
  int n_jobs = 1;
  Backend backend = Backend::fork;
  /// Level of the task's root logger; default: the calling process's effective root level.
  std::optional<int> log_level;
  /// Prefix put in front of every message and output line of a task; {tag} and {index}
  /// (0-based) are replaced.
  std::string prefix = "process={tag} ";
  /// Capture the tasks' standard output and error, as whole prefixed lines. Off: untouched.
  bool capture_output = true;
  /// Called in the task's process after its logging scope is set up, before the task runs.
  /// It may change the root level, add filters or handlers (a per-task file, say).
  std::function<void(const TaskContext&)> configure_task;
  /// Tasks sent to a worker at a time; 0 picks sizes that shrink as the run ends (guided).
  std::size_t batch_size = 0;

  // ---- steering (docs/steering.md) ----
  /// fail_fast: the first failure stops the run; collect: every task runs.
  ErrorPolicy on_error = ErrorPolicy::fail_fast;
  /// A task that runs longer is stopped (SIGTERM to its worker's process group, SIGKILL after
  /// `grace`) and fails with TaskTimeout; a fresh worker takes its place. 0: no limit.
  /// A task's own limit: Task::with_timeout. At n_jobs=1 a task cannot be stopped: one that
  /// ran longer than its limit fails with TaskTimeout once it returns.
  std::chrono::milliseconds timeout{0};
  /// How long a worker asked to stop (SIGTERM) has before SIGKILL.
  std::chrono::milliseconds grace{std::chrono::seconds(1)};
  /// A task that crashed its worker or timed out runs again on a fresh worker, up to this many
  /// more times; with `retry_on_error`, one that threw too. Records carry the attempt number.
  int retries = 0;
  bool retry_on_error = false;
  /// Parallel::submit: how many results may wait for the consumer before no more tasks are
  /// handed out (joblib's pre_dispatch); 0: 8 per worker.
  std::size_t max_pending = 0;
  /// Told what happens (tasks started and finished, workers replaced); see observer.hpp.
  std::shared_ptr<RunObserver> observer;
  /// Cancels the run when cancelled (from another thread or a signal handler).
  std::optional<CancelToken> cancel;
  /// SIGINT and SIGTERM that would kill the program (it left them at their default) cancel
  /// the run instead; once everything is delivered and every worker reaped, prun raises them
  /// again, so the program ends as it would have (exit status 130 for Ctrl-C). Off: untouched.
  bool handle_signals = true;
};

/// Number of CPUs this process may use: its affinity mask, capped by a cgroup CPU quota.
int usable_cpus();

/// The number of workers n_jobs means (joblib's rules). Throws std::invalid_argument for 0.
int resolve_n_jobs(int n_jobs);

}  // namespace prun::pool
