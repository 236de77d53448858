#pragma once
/// The task table: what the pool needs to know about the tasks of one run, type-erased (the
/// typed front end is prun/runner/parallel.hpp), and run(), which runs one.

#include <prun/pool/errors.hpp>
#include <prun/pool/options.hpp>

#include <cstddef>
#include <functional>
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
};

/// Runs every task of `table`, each in its logging scope, and stores every result. Blocks.
/// Throws TaskError (or WorkerCrashed) for the failing task with the lowest index, after all
/// records and output of the run have been emitted and every worker has been reaped.
/// Not thread-safe: one run at a time per calling thread.
void run(const Options& options, const TaskTable& table);

}  // namespace prun::pool
