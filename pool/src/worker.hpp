#pragma once
// A forked worker: runs batches of tasks sent by the parent, sends back records and results.

#include "output.hpp"
#include "ring.hpp"

#include <prun/pool/engine.hpp>

#include <pthread.h>

#include <atomic>
#include <cstdint>
#include <vector>

namespace prun::pool::detail {

/// A process-shared, robust mutex: if its owner dies holding it, the next locker takes it over.
class SharedMutex {
 public:
  SharedMutex();
  ~SharedMutex();
  SharedMutex(const SharedMutex&) = delete;
  SharedMutex& operator=(const SharedMutex&) = delete;
  void lock() noexcept;
  void unlock() noexcept;

 private:
  pthread_mutex_t m_;
};

/// Shared (MAP_SHARED) between the parent and all workers of one run.
struct alignas(64) SlotState {
  std::atomic<std::int64_t> current{-1};  // the task the worker started last
  std::atomic<int> running{0};            // 1 while that task runs
  // Captured output: bytes in the worker's stdout/stderr pipes belong to `output_task`. The
  // parent reads them under `output_lock`; at each task's end the worker takes the lock and
  // drains what the parent has not read yet, so the pipes are empty when the task changes.
  SharedMutex output_lock;
  std::atomic<std::int64_t> output_task{-1};
  std::atomic<std::uint64_t> parent_reads{0};  // bumped by the parent for every read it makes
};
struct RunControl {
  std::atomic<std::int64_t> stop_before;  // no worker starts a task with this index or above
  SlotState slots[1];                     // n_workers of them (allocated as a flexible tail)

  static std::size_t bytes_for(int n_workers) {
    return sizeof(RunControl) + sizeof(SlotState) * static_cast<std::size_t>(n_workers > 1 ? n_workers - 1 : 0);
  }
};

struct WorkerSetup {
  int slot = 0;  // 0-based
  int parent_pid = 0;
  int ctrl_fd = -1;
  int data_fd = -1;  // the doorbell: one byte when the parent sleeps and frames wait
  Ring* ring = nullptr;  // where every frame goes
  int out_fd = -1;  // write ends of the captured stdout and stderr; -1 when not captured
  int err_fd = -1;
  int out_read_fd = -1;  // their read ends, for the worker's own drain at task ends
  int err_read_fd = -1;
  std::vector<int> close_fds;  // the parent's descriptors the worker must not keep
  RunControl* control = nullptr;
  const Options* options = nullptr;
  const TaskTable* table = nullptr;
  int level = 0;
};

/// The body of a forked worker. Never returns: leaves with _exit().
[[noreturn]] void worker_main(const WorkerSetup& setup) noexcept;

}  // namespace prun::pool::detail
