#pragma once
/// Handler: the base of every destination (level, formatter, filters and a lock).

#include <prun/logging/detail/fork_safe_mutex.hpp>
#include <prun/logging/filter.hpp>
#include <prun/logging/formatter.hpp>
#include <prun/logging/level.hpp>
#include <prun/logging/record.hpp>

#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>

namespace prun::logging {

class Handler;
namespace detail {
bool defer_flush(Handler& h);
}  // namespace detail

/// Python's logging.Handler. `handle()` runs the filters, takes the lock and calls `emit()`.
///
/// Thread-safe; fork-safe (a forked child reinitialises every handler's lock and drops bytes
/// another thread was writing, so a child never deadlocks on a lock held at fork time).
class Handler : public Filterer, public std::enable_shared_from_this<Handler> {
 public:
  explicit Handler(int level = NOTSET);
  virtual ~Handler();
  Handler(const Handler&) = delete;
  Handler& operator=(const Handler&) = delete;

  int level() const noexcept { return level_.load(std::memory_order_relaxed); }
  void set_level(int level) noexcept { level_.store(level, std::memory_order_relaxed); }

  FormatterPtr formatter() const;
  void set_formatter(FormatterPtr formatter);

  const std::string& name() const noexcept { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }

  /// Filters the record, then emits it under the lock. Returns whether it passed the filters.
  /// The handler's level is not checked here (Python checks it in Logger.callHandlers).
  bool handle(Record& record);

  /// The record's text as this handler's formatter renders it (no terminator). Thread-safe.
  std::string format(const Record& record);

  /// Writes out anything buffered. Thread-safe.
  void flush();
  /// Flushes and releases resources; later records are dropped. Thread-safe.
  void close();

  /// True for prun's delivery of a task's records to the parent, which stands for the parent's
  /// configuration: basic_config() in a task does not count it as a handler of the root (the
  /// root is as a fresh child's) and, when it gives the root handlers of the task's own, calls
  /// task_root_configured() on it. False for every other handler.
  virtual bool is_task_delivery() const noexcept { return false; }
  /// See is_task_delivery(). Thread-safe.
  virtual void task_root_configured() noexcept {}

 protected:
  /// Called with the lock held.
  virtual void emit(const Record& record) = 0;
  /// Appends the formatted record to `out`; called with the lock held.
  void format_locked(const Record& record, fmt::memory_buffer& out) const;
  /// Called with the lock held.
  virtual void flush_locked() {}
  /// Called with the lock held.
  virtual void close_locked() {}
  /// Called with the lock held when emit() threw; prints Python's "--- Logging error ---".
  virtual void handle_error(const Record& record, std::exception_ptr error);
  /// Called in a forked child with the lock reinitialised: drop half-written state.
  virtual void after_fork_in_child() {}

  mutable detail::ForkSafeMutex mutex_;

 private:
  friend struct HandlerRegistry;
  std::atomic<int> level_;
  FormatterPtr formatter_;  // guarded by mutex_
  std::string name_;
  Handler* prev_ = nullptr;  // intrusive list of live handlers, for fork handling
  Handler* next_ = nullptr;
  friend bool detail::defer_flush(Handler&);
  std::uint64_t deferred_in_ = 0;  // the BatchScope that will flush it (guarded by mutex_)
};

using HandlerPtr = std::shared_ptr<Handler>;

/// Flushes every handler that exists (Python's logging.shutdown() without the closing), e.g.
/// before a process ends on a signal. Thread-safe.
void flush_all_handlers();

/// Defers the write-out of buffering handlers (stream and file handlers) on this thread until
/// the scope ends, so that a burst of records costs one write() instead of one each. Records
/// are never reordered; a handler whose buffer passes 64 KiB writes out at once. Nestable.
class BatchScope {
 public:
  BatchScope();
  ~BatchScope();
  BatchScope(const BatchScope&) = delete;
  BatchScope& operator=(const BatchScope&) = delete;
};

namespace detail {
/// True while a BatchScope is open on this thread.
bool batch_active() noexcept;
/// Registers `h` to be flushed when the outermost BatchScope of this thread ends; false when
/// that is not possible (no scope, or `h` is not owned by a shared_ptr): flush now then.
bool defer_flush(Handler& h);
}  // namespace detail

}  // namespace prun::logging
