#pragma once
/// What a run is asked to do: how many workers, which backend, and each task's logging scope.

#include <prun/logging/level.hpp>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>

namespace prun::pool {

enum class Backend {
  sequential,  ///< in the calling process, one task after another (what n_jobs=1 means)
  fork,        ///< forked workers: any closure runs, the parent's memory is copied
  spawn,       ///< workers re-execute this program (call prun::init first in main); only
               ///< registered functions run, with serialized arguments
};

/// What a task's configure_task hook learns about the task.
struct TaskContext {
  std::size_t index = 0;        ///< 0-based position of the task in the input
  std::string tag;              ///< the task's tag (default: index + 1)
  int worker = 0;               ///< 1-based worker slot; 0 when run sequentially
  int pid = 0;                  ///< pid of the process running the task
  std::string process_name;     ///< "MainProcess" or "Worker-<slot>"
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
};

/// Number of CPUs this process may use: its affinity mask, capped by a cgroup CPU quota.
int usable_cpus();

/// The number of workers n_jobs means (joblib's rules). Throws std::invalid_argument for 0.
int resolve_n_jobs(int n_jobs);

}  // namespace prun::pool
