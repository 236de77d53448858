#pragma once
/// The task table: what the pool needs to know about the tasks of one run, type-erased (the
/// typed front end is prun/runner/parallel.hpp), and run(), which runs one.

#include <prun/pool/errors.hpp>
#include <prun/pool/options.hpp>

#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace prun::pool {

/// A task as a call by name, for workers that do not share the caller's memory.
struct RemoteTask {
  std::string name;  ///< the registered function's name
  std::string args;  ///< its arguments, encoded
};

/// What the engine needs to know about the tasks of one run.
struct TaskTable {
  /// Tasks known when the run starts (all of them, unless `pull` is set).
  std::size_t size = 0;
  /// The tag of task i.
  std::function<std::string(std::size_t)> tag;
  /// Runs task i in the current process and appends its encoded result to `out`. May throw.
  std::function<void(std::size_t, std::string& out)> run;
  /// In the calling process: takes the encoded result of task i.
  std::function<void(std::size_t, std::string_view)> store;
  /// Task i as a call by name; throws std::invalid_argument saying why it cannot be one.
  /// Needed by Backend::spawn and by Pools; may be empty otherwise.
  std::function<RemoteTask(std::size_t)> remote;
  /// Task i's own timeout, when it has one (Task::with_timeout). May be empty.
  std::function<std::optional<std::chrono::milliseconds>(std::size_t)> timeout;
  /// In the calling process: task i failed for good with `error` (a TaskError, WorkerCrashed,
  /// TaskTimeout or Cancelled). Called under either policy (fail_fast: for the failure that
  /// stops the run). May be empty.
  std::function<void(std::size_t, std::exception_ptr)> fail;
  /// A lazily pulled input (started runs only: start(), Pool::start): makes the next task known
  /// (task `size`, then `size + 1`, ...) and returns true, or returns false once the input is
  /// over. Called from the run's thread (the consumer's at n_jobs = 1, outside any task's
  /// scope), only when a worker would take a task and none is left, so that the input is read
  /// no further ahead than the run needs. Tasks pulled this way go by name (table.remote) on
  /// every backend but n_jobs = 1. Empty: `size` is all there is.
  std::function<bool()> pull;
};

/// Runs every task of `table`, each in its logging scope, and stores every result. Blocks.
/// fail_fast: throws TaskError (WorkerCrashed, TaskTimeout) for the failing task with the
/// lowest index, after all records and output of the run have been emitted and every worker
/// has been reaped. collect: every failure goes to table.fail, nothing is thrown for them.
/// Throws Cancelled when cancelled. Runs from several threads at once are fine.
void run(const Options& options, const TaskTable& table);

/// A run started by start(): it goes on in a thread of its own (in the consumer's thread for
/// n_jobs = 1, one task per advance()). Destroying it cancels what is left and waits for it.
class RunHandle {
 public:
  virtual ~RunHandle() = default;
  /// n_jobs = 1: runs the next task (false once none is left). Otherwise: waits until
  /// something happened (a result stored, the run over); false once the run is over.
  virtual bool advance() = 0;
  /// The consumer took `n` results in all: more tasks may be handed out.
  virtual void consumed(std::size_t n) = 0;
  virtual void cancel() noexcept = 0;
  virtual bool finished() const = 0;
  /// Once finished: the run's error (fail_fast's TaskError, Cancelled...), if any.
  virtual std::exception_ptr error() const = 0;
};

/// Starts a run without waiting for it. table.store and table.fail are then called from the
/// run's thread: they must be thread-safe against the consumer. The table must outlive the handle.
std::unique_ptr<RunHandle> start(const Options& options, const TaskTable& table);

}  // namespace prun::pool
