#pragma once
// Worker processes: the per-run forked worker (it inherited the task table) and the persistent
// worker of a Pool or of the spawn backend (tasks come by name).

#include "shared.hpp"
#include "wire.hpp"

#include <prun/pool/engine.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace prun::pool::detail {

struct WorkerSetup {
  int slot = 0;  // 0-based
  int parent_pid = 0;
  int ctrl_fd = -1;
  int data_fd = -1;      // the doorbell: one byte when the parent sleeps and frames wait
  SharedBlock* block = nullptr;
  int out_fd = -1;       // write ends of the captured stdout and stderr; -1 when not captured
  int err_fd = -1;
  int out_read_fd = -1;  // their read ends, for the worker's own drain at task ends
  int err_read_fd = -1;
  std::vector<int> close_fds;  // the parent's descriptors the worker must not keep
  bool close_all_others = false;  // keep only 0-2 and the descriptors above (pool workers)
  const Options* options = nullptr;
  const TaskTable* table = nullptr;
  int level = 0;
};

/// The body of a per-run forked worker. Never returns: leaves with _exit().
[[noreturn]] void worker_main(const WorkerSetup& setup) noexcept;

/// What a persistent worker needs besides its descriptors (already in place: 1 and 2 are the
/// captured streams, the rest as in `setup`).
struct ServeSetup {
  WorkerSetup io;
  std::function<void()> initializer;  // fork pools: the initializer itself (spawn: sent by name)
  std::string build_id;               // spawn: the parent's, to compare with this binary's
};

/// The body of a persistent worker. Never returns: leaves with _exit().
[[noreturn]] void serve(const ServeSetup& setup) noexcept;

/// The GNU build id of the running program ("" if it has none).
std::string own_build_id();

}  // namespace prun::pool::detail
