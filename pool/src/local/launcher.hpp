#pragma once
// How a local worker process starts: forked (it inherits the caller's memory, so a run's task
// table and any closure) or spawned (this program again, with posix_spawn: glibc's
// clone(CLONE_VM|CLONE_VFORK) costs the same whatever the parent's heap, where a fork copies
// its page tables). Both end in the same serve loop (worker_loop.hpp); both hand the parent a
// LocalWorker with the same descriptors.

#include "local_link.hpp"
#include "worker_loop.hpp"

#include <functional>
#include <span>
#include <string>
#include <vector>

namespace prun::pool::local {

/// argv[1] of a spawned worker, and the descriptor numbers it finds in place.
inline constexpr const char* kWorkerFlag = "--prun-worker";
namespace spawned_fd {
inline constexpr int ctrl = 3, doorbell = 4, block = 5, out_read = 6, err_read = 7;
inline constexpr int first_free = 8;
}  // namespace spawned_fd

class Launcher {
 public:
  virtual ~Launcher() = default;
  /// Starts a worker for `slot`. With `pipe_output`, its descriptors 1 and 2 are pipes the
  /// parent reads; else the caller's own. `others` are descriptors of the other workers, which
  /// the new one must not hold. Throws WorkerStartError.
  virtual LocalWorker launch(int slot, bool pipe_output, std::span<const int> others) = 0;
  /// The program the workers run, for error messages.
  virtual std::string program() const = 0;
};

class ForkLauncher final : public Launcher {
 public:
  /// The child serves `role`: it may name an inherited run (options, table) and an initializer.
  /// A worker forked for one run keeps the caller's descriptors (its closures may use them):
  /// `callers`, those open when the run began (sys::open_descriptors), and none that prun opened
  /// since (the run's event loop, tokens, other workers' channels). A pool's
  /// (`keep_callers_descriptors` false) keeps only its own.
  ForkLauncher(WorkerRole role, bool keep_callers_descriptors, std::vector<int> callers = {})
      : role_(std::move(role)), keep_callers_(keep_callers_descriptors), callers_(std::move(callers)) {}
  LocalWorker launch(int slot, bool pipe_output, std::span<const int> others) override;
  std::string program() const override { return "(fork)"; }

 private:
  WorkerRole role_;
  bool keep_callers_;
  std::vector<int> callers_;  // ascending
};

class SpawnLauncher final : public Launcher {
 public:
  /// Runs `program` (this one: /proc/self/exe) as `--prun-worker <slot> <parent pid> <build id>`.
  SpawnLauncher(std::string program, std::string build_id);
  LocalWorker launch(int slot, bool pipe_output, std::span<const int> others) override;
  std::string program() const override { return program_; }

 private:
  std::string program_;
  std::string build_id_;
};

/// In a program started by SpawnLauncher: the worker's descriptors and role from argv. False
/// when this process is not such a worker.
bool spawned_worker_from(int argc, char** argv, WorkerIo& io, WorkerRole& role);

}  // namespace prun::pool::local
