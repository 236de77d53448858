#pragma once
// One run: hands out batches as the scheduler decides, turns every link's events into records
// for the parent's handlers, whole prefixed output lines and stored results, enforces
// timeouts, retries, cancellation and the error policy, replaces workers that leave, tells an
// observer, and decides the run's outcome. One Boost.Asio event loop, on the thread that
// steps it. Steppable: step() advances the run by one turn of the loop.

#include "link.hpp"
#include "scheduler.hpp"

#include <prun/pool/options.hpp>
#include <prun/pool/task_table.hpp>

#include <exception>
#include <functional>
#include <optional>
#include <memory>
#include <string_view>
#include <vector>

namespace prun::pool {
class CommandOutput;
}

namespace prun::pool::core {

/// Where workers come from when one must be replaced mid-run (recycled, crashed, timed out).
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
  /// Results that may wait for the consumer before dispatch pauses (0: no limit).
  std::size_t window = 0;
  std::string_view backend = "fork";
  /// The run's own token (cancel(), signals); one is made if not given.
  std::optional<CancelToken> cancel;
  /// A lazily pulled input: makes one more task known (true) or says the input is over
  /// (false). Asked only when a worker would take a task and none is left, so that a task
  /// starts as soon as it is known. Empty: the table's size is all there is.
  std::function<bool()> pull;
  /// Output goes here, as it comes and untouched, instead of to the parent's streams (commands).
  CommandOutput* output = nullptr;
  /// Batches in flight per worker (1 for commands: a job slot runs one job at a time).
  std::size_t max_outstanding = 2;
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
  /// The run's error (fail-fast's TaskError, Cancelled, WorkerStartError...), if any.
  std::exception_ptr error() const noexcept;
  /// Whether the run was cancelled (not merely halted: CancelToken::stop_starting).
  bool cancelled() const noexcept;
  /// Tasks known (grows with a pulled input).
  std::size_t n_tasks() const noexcept;
  /// Cancels the run. Thread-safe and async-signal-safe.
  void cancel() noexcept;
  /// The consumer took `n` results in all. Thread-safe.
  void consumed(std::size_t n);
  /// Wakes a step() that waits, from another thread.
  void wake();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace prun::pool::core
