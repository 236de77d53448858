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
  /// Keeps `r` and hands back the oldest record kept, whose storage the caller may reuse.
  void push_swap(logging::Record& r) {
    std::swap(ring_[next_ % kLines], r);
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
  /// The task whose prefix records get next; the prefix is only expanded once a record needs it.
  void set_task(std::string_view pattern, std::string_view tag, std::size_t index);
  LogTail& tail() noexcept { return tail_; }

 protected:
  void emit(const logging::Record& record) final;
  virtual void deliver(const logging::Record& record) = 0;

 private:
  class LazyPrefix;
  std::shared_ptr<LazyPrefix> prefix_;
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

/// The text a task's prefix expands to: "{tag}" and "{index}" replaced, "{{" and "}}" escaped.
std::string expand_prefix(std::string_view pattern, std::string_view tag, std::size_t index);
/// Throws std::invalid_argument if `pattern` names anything but {tag} and {index}.
void check_prefix(std::string_view pattern);

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

}  // namespace prun::pool::detail
