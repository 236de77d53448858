#pragma once
// The worker's side: one serve loop for every local worker, forked or spawned. It reads
// commands on its control socket, runs batches of tasks (each inside its logging scope and
// watched for system calls), and publishes frames into its ring.

#include "shared_block.hpp"

#include <prun/pool/options.hpp>
#include <prun/pool/task_table.hpp>

#include <sys/types.h>

#include <functional>
#include <string>

namespace prun::pool::local {

/// What a worker finds in place when serve() starts: descriptors 1 and 2 are its captured
/// streams (or the parent's, when not captured); the rest is named here.
struct WorkerIo {
  int slot = 0;          ///< 0-based; the worker calls itself "Worker-<slot + 1>"
  pid_t parent_pid = 0;
  int ctrl = -1;         ///< control socket
  int doorbell = -1;     ///< write end of the doorbell pipe
  SharedBlock* block = nullptr;
  int out_read = -1;     ///< read ends of its stdout and stderr pipes, for its end-of-task
  int err_read = -1;     ///< drain (-1: not piped)
};

/// What a worker serves.
struct WorkerRole {
  /// A worker forked for one run inherited it: batches come by index. Null: by name.
  const Options* options = nullptr;
  const TaskTable* table = nullptr;
  int level = 0;
  /// A fork pool's initializer, in memory (a spawned worker gets its name in Setup).
  std::function<void()> initializer;
  /// A spawned worker compares it with its own before serving.
  std::string build_id;
};

/// The body of a worker. Never returns: leaves with _exit().
[[noreturn]] void serve(const WorkerIo& io, const WorkerRole& role) noexcept;

/// The GNU build id of the running program ("" if it has none).
std::string own_build_id();

}  // namespace prun::pool::local
