#pragma once
// A task's logging scope and its run: the same code for every backend.

#include "../core/log_tail.hpp"

#include <prun/logging.hpp>
#include <prun/pool/task_table.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace prun::pool::scope {

/// The root handler of a task: takes every record of the task (after the prefix filter, which
/// is its own filter) and delivers it to the parent's configuration.
class Delivery : public logging::Handler {
 public:
  /// With `keep_tail`, the last records are kept for error reports.
  explicit Delivery(bool keep_tail);
  /// The task whose prefix records get next; the prefix is only expanded once a record needs it.
  /// Records go to the parent again (see task_root_configured()).
  void set_task(std::string_view pattern, std::string_view tag, std::size_t index);
  /// The last records kept, as "LEVEL logger: message" lines, oldest first.
  std::vector<std::string> tail_lines() const {
    std::lock_guard lock(tail_mutex_);
    return tail_.lines();
  }
  void clear_tail() {
    std::lock_guard lock(tail_mutex_);
    tail_.clear();
  }

  bool is_task_delivery() const noexcept final { return true; }
  /// basic_config() in the task gave the root handlers of its own, as in a fresh Python child:
  /// until the next set_task(), the task's records go to those handlers only (still with the
  /// task's prefix), not to the parent's configuration, nor into the lines of error reports.
  void task_root_configured() noexcept final { own_output_.store(true, std::memory_order_relaxed); }

 protected:
  void emit(const logging::Record& record) final;
  virtual void deliver(const logging::Record& record) = 0;

 private:
  class LazyPrefix;
  std::shared_ptr<LazyPrefix> prefix_;
  bool keep_tail_;
  std::atomic<bool> own_output_{false};
  // A thread that is not the task's may log through the root while the task starts.
  mutable std::mutex tail_mutex_;
  core::LogTail tail_;
};

/// How one task ended.
struct Outcome {
  bool ok = true;
  std::string type;     // demangled exception type
  std::string message;  // what()
};

/// Demangled type and what() of the exception being handled.
Outcome describe_current_exception();

/// Runs tasks one at a time in this process, each inside its logging scope:
/// the hierarchy is reset, the root gets the delivery handler (with the task's prefix) and the
/// task level, records are stamped with the task, then configure_task runs, then the task.
/// Afterwards standard streams are flushed and what the task configured is undone.
class TaskRunner {
 public:
  TaskRunner(const Options& options, const TaskTable& table, std::shared_ptr<Delivery> delivery, int level,
             int worker_slot);
  /// Runs task i (its `attempt`-th run); its encoded result is appended to `out`. Task
  /// failures are returned.
  Outcome run(std::size_t i, std::string& out, std::uint32_t attempt = 1);
  Delivery& delivery() noexcept { return *delivery_; }

 private:
  const Options& options_;
  const TaskTable& table_;
  std::shared_ptr<Delivery> delivery_;
  std::vector<logging::HandlerPtr> root_handlers_;
  int level_;
  TaskContext context_;
  // The configuration generation right after the task state was installed; while it holds,
  // the next task finds the root as it needs it and nothing has to be undone.
  std::uint64_t installed_ = 0;
  bool has_installed_ = false;
};

/// Flushes C stdio and the C++ standard streams.
void flush_standard_streams();

/// Makes stdout line-buffered (`on`) or fully buffered. glibc ignores a mode change made
/// without a buffer once the stream has written (its write pointers keep the old mode: a
/// program that printed before a run would see its tasks' lines only when they end), so a
/// buffer is always given, a static one per mode. Flushes first.
void set_stdout_line_buffered(bool on);

}  // namespace prun::pool::scope
