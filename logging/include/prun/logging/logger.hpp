#pragma once
/// Logger: named, hierarchical entry points for log records (Python's logging.Logger).

#include <prun/logging/extra.hpp>
#include <prun/logging/filter.hpp>
#include <prun/logging/handler.hpp>
#include <prun/logging/level.hpp>
#include <prun/logging/record.hpp>

#include <fmt/format.h>

#include <atomic>
#include <concepts>
#include <source_location>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace prun::logging {

/// A fmt format string checked at compile time, plus the caller's source location.
template <typename... Args>
struct BasicLocFormat {
  template <typename S>
    requires std::convertible_to<const S&, std::string_view>
  consteval BasicLocFormat(const S& s,  // NOLINT(google-explicit-constructor)
                           std::source_location loc = std::source_location::current())
      : str(s), loc(loc) {}
  BasicLocFormat(fmt::basic_runtime<char> s,  // NOLINT(google-explicit-constructor)
                 std::source_location loc = std::source_location::current())
      : str(s), loc(loc) {}
  fmt::format_string<Args...> str;
  std::source_location loc;
};
template <typename... Args>
using format_string = BasicLocFormat<std::type_identity_t<Args>...>;

class Logger;
namespace detail {
struct HierarchyAccess;
}  // namespace detail

/// The logger called `name` ("a.b.c"); the same object for the same name, created on first use.
/// An empty name or "root" gives the root logger. Thread-safe; may be called from a handler
/// or a filter.
Logger& get_logger(std::string_view name);
/// The root logger.
Logger& get_logger() noexcept;

/// Python's logging.disable(level): drops every record at `level` and below, everywhere.
void disable(int level = CRITICAL);
/// The level last given to disable() (NOTSET when none).
int disable_level() noexcept;

/// Routes a record made elsewhere (in another process, or in a task scope) through this
/// process's configuration, as the logging cookbook's listener does with
/// `logging.getLogger(record.name).handle(record)`, except that no logger filter runs:
/// `get_logger(record.name).dispatch(record)`. See Logger::dispatch(). Thread-safe.
void dispatch(Record& record);

/// Python's logging.Logger. Loggers are never destroyed. Thread-safe.
class Logger : public Filterer {
 public:
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  const std::string& name() const noexcept { return name_; }
  /// The nearest existing ancestor; nullptr for the root.
  Logger* parent() const noexcept { return parent_.load(std::memory_order_acquire); }
  /// Python's getChild: the logger "<name>.<suffix>" ("a.b".get_child("c") is "a.b.c"); on the
  /// root, the logger called `suffix`.
  Logger& get_child(std::string_view suffix) const;

  int level() const noexcept { return level_.load(std::memory_order_relaxed); }
  void set_level(int level);
  /// The first level other than NOTSET from this logger up to the root.
  int effective_level() const noexcept;
  /// Python's isEnabledFor: one relaxed load and a compare.
  bool is_enabled_for(int level) const noexcept {
    return level >= threshold_.load(std::memory_order_relaxed);
  }

  bool propagate() const noexcept { return propagate_.load(std::memory_order_relaxed); }
  void set_propagate(bool on);
  bool disabled() const noexcept { return disabled_.load(std::memory_order_relaxed); }
  void set_disabled(bool on);

  void add_handler(HandlerPtr handler);
  /// Removes `handler` (by identity); does nothing if absent.
  void remove_handler(const HandlerPtr& handler);
  std::vector<HandlerPtr> handlers() const;
  void set_handlers(std::vector<HandlerPtr> handlers);
  /// Python's hasHandlers: whether this logger or an ancestor reached through propagate has a
  /// handler (whether a record logged here would find one).
  bool has_handlers() const noexcept;
  /// Whether this logger itself has handlers (Python: `bool(logger.handlers)`).
  bool has_own_handlers() const noexcept { return n_handlers_.load(std::memory_order_relaxed) != 0; }

  /// Python's Logger.handle: unless disabled, runs this logger's filters, then call_handlers().
  /// No level check here (records from other processes arrive already filtered by level).
  void handle(Record& record);
  /// Python's Logger.callHandlers: every handler from here up to the root, stopping after a
  /// logger with propagate off; a handler sees the record if its level allows (then its
  /// filters decide). When no handler is found, the last resort (WARNING and above, bare
  /// message) writes to stderr.
  void call_handlers(Record& record);
  /// The cookbook listener's routing of a record made elsewhere, without logger filters:
  /// nothing if this logger is disabled, else call_handlers(). No level check and no logger
  /// filter (a PrefixFilter on the caller's root does not re-prefix a worker's record).
  void dispatch(Record& record);

  /// Builds a record as this logger would (time, thread, process, task) without handling it.
  Record make_record(int level, std::string message, const std::source_location& loc) const;

  template <typename... Args>
  void log(int level, format_string<Args...> f, Args&&... args) {
    if (is_enabled_for(level)) log_impl(level, f.loc, f.str, fmt::make_format_args(args...), nullptr, false);
  }
  template <typename... Args>
  void log(int level, Extra extra, format_string<Args...> f, Args&&... args) {
    if (is_enabled_for(level)) log_impl(level, f.loc, f.str, fmt::make_format_args(args...), &extra, extra.exc_info());
  }
  template <typename... Args>
  void debug(format_string<Args...> f, Args&&... args) {
    if (is_enabled_for(DEBUG)) log_impl(DEBUG, f.loc, f.str, fmt::make_format_args(args...), nullptr, false);
  }
  template <typename... Args>
  void debug(Extra extra, format_string<Args...> f, Args&&... args) {
    if (is_enabled_for(DEBUG)) log_impl(DEBUG, f.loc, f.str, fmt::make_format_args(args...), &extra, extra.exc_info());
  }
  template <typename... Args>
  void info(format_string<Args...> f, Args&&... args) {
    if (is_enabled_for(INFO)) log_impl(INFO, f.loc, f.str, fmt::make_format_args(args...), nullptr, false);
  }
  template <typename... Args>
  void info(Extra extra, format_string<Args...> f, Args&&... args) {
    if (is_enabled_for(INFO)) log_impl(INFO, f.loc, f.str, fmt::make_format_args(args...), &extra, extra.exc_info());
  }
  template <typename... Args>
  void warning(format_string<Args...> f, Args&&... args) {
    if (is_enabled_for(WARNING)) log_impl(WARNING, f.loc, f.str, fmt::make_format_args(args...), nullptr, false);
  }
  template <typename... Args>
  void warning(Extra extra, format_string<Args...> f, Args&&... args) {
    if (is_enabled_for(WARNING)) log_impl(WARNING, f.loc, f.str, fmt::make_format_args(args...), &extra, extra.exc_info());
  }
  template <typename... Args>
  void error(format_string<Args...> f, Args&&... args) {
    if (is_enabled_for(ERROR)) log_impl(ERROR, f.loc, f.str, fmt::make_format_args(args...), nullptr, false);
  }
  template <typename... Args>
  void error(Extra extra, format_string<Args...> f, Args&&... args) {
    if (is_enabled_for(ERROR)) log_impl(ERROR, f.loc, f.str, fmt::make_format_args(args...), &extra, extra.exc_info());
  }
  template <typename... Args>
  void critical(format_string<Args...> f, Args&&... args) {
    if (is_enabled_for(CRITICAL)) log_impl(CRITICAL, f.loc, f.str, fmt::make_format_args(args...), nullptr, false);
  }
  template <typename... Args>
  void critical(Extra extra, format_string<Args...> f, Args&&... args) {
    if (is_enabled_for(CRITICAL)) log_impl(CRITICAL, f.loc, f.str, fmt::make_format_args(args...), &extra, extra.exc_info());
  }
  /// ERROR with the exception being handled appended below the message, as Python's
  /// exception(): "type: what()", nested exceptions cause first (see current_exception_text()).
  template <typename... Args>
  void exception(format_string<Args...> f, Args&&... args) {
    if (is_enabled_for(ERROR)) log_impl(ERROR, f.loc, f.str, fmt::make_format_args(args...), nullptr, true);
  }
  template <typename... Args>
  void exception(Extra extra, format_string<Args...> f, Args&&... args) {
    if (is_enabled_for(ERROR)) log_impl(ERROR, f.loc, f.str, fmt::make_format_args(args...), &extra, true);
  }

  /// Makes a record from an already formatted message, takes over `extra`'s values (and
  /// appends the exception if it asks so) and handles it: the slow half of every log call,
  /// for adapters. No level check.
  void log_message(int level, std::string message, Extra* extra, const std::source_location& loc);

 private:
  friend struct Manager;
  friend struct detail::HierarchyAccess;
  explicit Logger(std::string name, int level);
  void log_impl(int level, const std::source_location& loc, fmt::string_view f, fmt::format_args args,
                Extra* extra, bool exc_info);
  void filters_changed_locked() override;

  std::string name_;
  std::atomic<Logger*> parent_{nullptr};  // written under the manager's map mutex
  std::atomic<int> level_;
  std::atomic<bool> disabled_{false};
  std::atomic<bool> propagate_{true};
  std::atomic<int> threshold_{0};  // effective level folded with disabled_ and disable()
  std::atomic<int> n_handlers_{0};
  std::vector<HandlerPtr> handlers_;  // guarded by the configuration lock
  bool dirty_ = false;  // changed since the last reset (guarded by the configuration lock)
};

namespace detail {
/// Python's module-level functions call basicConfig() when the root has no handler.
void ensure_root_configured();
}  // namespace detail

/// Module-level functions on the root logger, as Python's logging.info() and friends: they
/// configure a stderr handler first if the root has none (basic_config()).
template <typename... Args>
void log(int level, format_string<Args...> f, Args&&... args) {
  detail::ensure_root_configured();
  get_logger().log(level, std::move(f), std::forward<Args>(args)...);
}
template <typename... Args>
void debug(format_string<Args...> f, Args&&... args) {
  detail::ensure_root_configured();
  get_logger().debug(std::move(f), std::forward<Args>(args)...);
}
template <typename... Args>
void info(format_string<Args...> f, Args&&... args) {
  detail::ensure_root_configured();
  get_logger().info(std::move(f), std::forward<Args>(args)...);
}
template <typename... Args>
void warning(format_string<Args...> f, Args&&... args) {
  detail::ensure_root_configured();
  get_logger().warning(std::move(f), std::forward<Args>(args)...);
}
template <typename... Args>
void error(format_string<Args...> f, Args&&... args) {
  detail::ensure_root_configured();
  get_logger().error(std::move(f), std::forward<Args>(args)...);
}
template <typename... Args>
void critical(format_string<Args...> f, Args&&... args) {
  detail::ensure_root_configured();
  get_logger().critical(std::move(f), std::forward<Args>(args)...);
}
template <typename... Args>
void exception(format_string<Args...> f, Args&&... args) {
  detail::ensure_root_configured();
  get_logger().exception(std::move(f), std::forward<Args>(args)...);
}

template <typename... Args>
void debug(Extra extra, format_string<Args...> f, Args&&... args) {
  detail::ensure_root_configured();
  get_logger().debug(std::move(extra), std::move(f), std::forward<Args>(args)...);
}
template <typename... Args>
void info(Extra extra, format_string<Args...> f, Args&&... args) {
  detail::ensure_root_configured();
  get_logger().info(std::move(extra), std::move(f), std::forward<Args>(args)...);
}
template <typename... Args>
void warning(Extra extra, format_string<Args...> f, Args&&... args) {
  detail::ensure_root_configured();
  get_logger().warning(std::move(extra), std::move(f), std::forward<Args>(args)...);
}
template <typename... Args>
void error(Extra extra, format_string<Args...> f, Args&&... args) {
  detail::ensure_root_configured();
  get_logger().error(std::move(extra), std::move(f), std::forward<Args>(args)...);
}
template <typename... Args>
void critical(Extra extra, format_string<Args...> f, Args&&... args) {
  detail::ensure_root_configured();
  get_logger().critical(std::move(extra), std::move(f), std::forward<Args>(args)...);
}
template <typename... Args>
void exception(Extra extra, format_string<Args...> f, Args&&... args) {
  detail::ensure_root_configured();
  get_logger().exception(std::move(extra), std::move(f), std::forward<Args>(args)...);
}
template <typename... Args>
void log(int level, Extra extra, format_string<Args...> f, Args&&... args) {
  detail::ensure_root_configured();
  get_logger().log(level, std::move(extra), std::move(f), std::forward<Args>(args)...);
}

}  // namespace prun::logging
