#pragma once
// A task's logging scope and its run, the same code for every backend.

#include <prun/logging.hpp>
#include <prun/pool/engine.hpp>

#include <array>
#include <memory>
#include <string>
#include <vector>

namespace prun::pool::detail {

/// The last records a task logged, for its TaskError. Formats only when asked.
class LogTail {
 public:
  static constexpr std::size_t kLines = 10;
  void push(logging::Record r) {
    ring_[next_ % kLines] = std::move(r);
    ++next_;
  }
  void clear() noexcept { next_ = 0; }
  /// "LEVEL logger: message", oldest first.
  std::vector<std::string> lines() const;

 private:
  std::array<logging::Record, kLines> ring_;
  std::size_t next_ = 0;
};

/// The root handler of a task: takes every record of the task (after the prefix filter, which
/// is its own filter) and delivers it to the parent's configuration.
class Delivery : public logging::Handler {
 public:
  /// With `keep_tail`, the last records are kept for error reports.
  explicit Delivery(bool keep_tail);
  logging::PrefixFilter& prefix() noexcept { return *prefix_; }
  LogTail& tail() noexcept { return tail_; }

 protected:
  void emit(const logging::Record& record) final;
  virtual void deliver(const logging::Record& record) = 0;

 private:
  std::shared_ptr<logging::PrefixFilter> prefix_;
  bool keep_tail_;
  LogTail tail_;
};

/// How one task ended.
struct Outcome {
  bool ok = true;
  std::string type;     // demangled exception type
  std::string message;  // what()
};

/// Demangled type and what() of the exception being handled.
Outcome describe_current_exception();

/// The text a task's prefix expands to.
std::string expand_prefix(const std::string& pattern, const std::string& tag, std::size_t index);

/// Runs tasks one at a time in this process, each inside its logging scope:
/// the hierarchy is reset, the root gets the delivery handler (with the task's prefix) and the
/// task level, records are stamped with the task, then configure_task runs, then the task.
/// Afterwards standard streams are flushed and the hierarchy is reset again.
class TaskRunner {
 public:
  TaskRunner(const Options& options, const TaskTable& table, std::shared_ptr<Delivery> delivery,
             int level, int worker_slot);
  /// Runs task i; its encoded result is appended to `out`. Task failures are returned.
  Outcome run(std::size_t i, std::string& out);
  const std::string& prefix_of_last() const noexcept { return prefix_; }
  Delivery& delivery() noexcept { return *delivery_; }

 private:
  const Options& options_;
  const TaskTable& table_;
  std::shared_ptr<Delivery> delivery_;
  std::vector<logging::HandlerPtr> root_handlers_;
  int level_;
  TaskContext context_;
  std::string prefix_;
};

/// Flushes C stdio and the C++ standard streams.
void flush_standard_streams();

}  // namespace prun::pool::detail
