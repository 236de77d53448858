#pragma once
// One run over a set of worker processes: hands out batches, reads every worker's ring, pipes
// and pidfd with one io_context, and decides the run's outcome. The workers are started (and,
// for a pool, kept) by someone else: a per-run fork, or a Pool.

#include "shared.hpp"
#include "task_scope.hpp"

#include <prun/pool/engine.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace prun::pool::detail {

/// The parent's side of one worker process. Descriptors belong to whoever started it.
struct WorkerLink {
  int slot = 0;  // 0-based; the worker is called "Worker-<slot + 1>"
  int pid = -1;
  int pidfd = -1;
  int ctrl = -1;      // commands to the worker
  int doorbell = -1;  // one byte when frames wait in the ring
  int out = -1;       // captured stdout and stderr (read ends); -1 when not captured
  int err = -1;
  SharedBlock* block = nullptr;
  // Kept across runs (pools):
  bool reaped = false;
  int status = 0;               // wait status, once reaped
  bool expected_exit = false;   // it said it would leave (recycling), or was told to stop
  std::size_t assigned = 0;     // tasks sent to it over its life
};

enum class Dispatch {
  inherited,  // the worker has the task table (forked for this run): send indices
  by_name,    // send each task's registered name, tag and encoded arguments
};

struct DriverConfig {
  Dispatch dispatch = Dispatch::inherited;
  /// by_name: the tasks as calls by name, resolved before any worker was started.
  const std::vector<RemoteTask>* remote = nullptr;
  /// Persistent workers: the run ends when all work is done, not when the workers exit.
  bool persistent = false;
  /// Tasks a worker takes before it leaves to be replaced (0: no limit; persistent only).
  std::size_t max_tasks_per_worker = 0;
  /// Starts a replacement for a worker that left to be recycled (persistent only).
  std::function<WorkerLink*(int slot)> replace;
};

/// Runs `table` on `links` (one per slot). Throws like pool::run().
void drive(const Options& options, const TaskTable& table, int level, std::vector<WorkerLink*> links,
           const DriverConfig& config);

}  // namespace prun::pool::detail
