#pragma once
// One run: hands out batches as the scheduler decides, turns every link's events into records
// for the parent's handlers, whole prefixed output lines and stored results, replaces workers
// that leave, and decides the run's outcome. One Boost.Asio event loop, on the calling thread.
// Steppable: step() advances the run by one turn of the loop, so a caller can interleave its
// own work (and observe the run) between turns.

#include "link.hpp"
#include "scheduler.hpp"

#include <prun/pool/options.hpp>
#include <prun/pool/task_table.hpp>

#include <exception>
#include <memory>
#include <vector>

namespace prun::pool::core {

/// Where workers come from when one must be replaced mid-run (recycled, crashed, killed).
class WorkerSource {
 public:
  /// A fresh worker in `slot`, ready for the run's tasks. Throws WorkerStartError and friends.
  virtual Link& replace(int slot) = 0;

 protected:
  ~WorkerSource() = default;
};

struct DriverConfig {
  /// Tasks by name (workers do not share the caller's memory); empty: by index.
  const std::vector<RemoteTask>* remote = nullptr;
  /// A worker leaves after this many tasks (pools' recycling; 0: never).
  std::size_t max_tasks_per_worker = 0;
  /// Output of a run without capture still comes through the parent (pool workers): it then
  /// passes unchanged.
  bool capture = true;
};

class Driver {
 public:
  Driver(const Options& options, const TaskTable& table, std::vector<Link*> links, WorkerSource* source,
         DriverConfig config);
  ~Driver();
  Driver(const Driver&) = delete;
  Driver& operator=(const Driver&) = delete;

  /// Attaches the links and sends the first batches.
  void start();
  /// One turn of the event loop (it may handle many events). False once the run is over.
  bool step();
  /// Steps until the run is over, then throws the run's error if it has one.
  void run();
  bool finished() const noexcept;
  /// The run's error (TaskError, WorkerCrashed, WorkerStartError...), if any.
  std::exception_ptr error() const noexcept;
  /// Every link that took part, replaced ones included (their owner keeps them alive).
  const std::vector<Link*>& links() const noexcept;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace prun::pool::core
