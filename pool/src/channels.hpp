#pragma once
// The descriptors between the parent and one worker, created in one place for every backend.

#include "driver.hpp"
#include "worker.hpp"

namespace prun::pool::detail {

/// Control socket, doorbell pipe and (when captured) stdout/stderr pipes of one worker. All
/// close-on-exec; the read ends of the output pipes are non-blocking (one open file
/// description, read by the parent and by the worker's own drain), their write ends blocking.
struct Channels {
  int ctrl[2] = {-1, -1};  // [0] parent, [1] worker
  int bell[2] = {-1, -1};  // [0] parent reads, [1] worker writes
  int out[2] = {-1, -1};   // [0] read (parent and worker), [1] the worker's stdout
  int err[2] = {-1, -1};

  /// Throws std::system_error; nothing is left open then.
  static Channels open(bool capture_output);

  /// The parent's ends into `link`, the worker's into `setup` (with the shared block).
  void hand_out(int slot, SharedBlock& block, WorkerLink& link, WorkerSetup& setup) const;

  /// Closes the worker's ends in the parent, once the worker has them.
  void close_worker_ends();
};

}  // namespace prun::pool::detail
