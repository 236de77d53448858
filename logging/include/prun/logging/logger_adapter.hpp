#pragma once
/// LoggerAdapter: a logger with context bound to every record (Python's logging.LoggerAdapter).

#include <prun/logging/extra.hpp>
#include <prun/logging/logger.hpp>

#include <string>

namespace prun::logging {

/// Logs through `logger` with bound key/values (each record's `extra`, addressable as
/// `%(key)s`) and an optional message prefix, as Python's LoggerAdapter(logger, extra):
///
///     lg::LoggerAdapter log(lg::get_logger("db"), {{"conn", 7}}, "[conn 7] ");
///     log.info("opened");   // message "[conn 7] opened", record.extra conn=7
///
/// The level check is the logger's (a disabled call costs what it costs on the logger).
/// Override process() to change messages and extras as Python's process() does. A call's
/// own Extra keys win over the bound ones (Python 3.13's merge_extra=True; 3.11 drops the
/// call's extra). Thread-safe if process() is.
class LoggerAdapter {
 public:
  explicit LoggerAdapter(Logger& logger, Extra extra = {}, std::string prefix = {})
      : logger_(&logger), extra_(std::move(extra)), prefix_(std::move(prefix)) {}
  virtual ~LoggerAdapter() = default;

  Logger& logger() const noexcept { return *logger_; }
  const Extra& extra() const noexcept { return extra_; }
  const std::string& prefix() const noexcept { return prefix_; }
  bool is_enabled_for(int level) const noexcept { return logger_->is_enabled_for(level); }

  /// Python's process(msg, kwargs), called once per record that passed the level check:
  /// puts the prefix in front of the message and adds the bound values the call lacks.
  virtual void process(std::string& message, Extra& extra) const;

  template <typename... Args>
  void log(int level, format_string<Args...> f, Args&&... args) {
    if (is_enabled_for(level)) log_impl(level, f.loc, f.str, fmt::make_format_args(args...), nullptr, false);
  }
  template <typename... Args>
  void log(int level, Extra extra, format_string<Args...> f, Args&&... args) {
    if (is_enabled_for(level)) log_impl(level, f.loc, f.str, fmt::make_format_args(args...), &extra, extra.exc_info());
  }
  template <typename... Args>
  void debug(format_string<Args...> f, Args&&... args) { log(DEBUG, std::move(f), std::forward<Args>(args)...); }
  template <typename... Args>
  void debug(Extra extra, format_string<Args...> f, Args&&... args) {
    log(DEBUG, std::move(extra), std::move(f), std::forward<Args>(args)...);
  }
  template <typename... Args>
  void info(format_string<Args...> f, Args&&... args) { log(INFO, std::move(f), std::forward<Args>(args)...); }
  template <typename... Args>
  void info(Extra extra, format_string<Args...> f, Args&&... args) {
    log(INFO, std::move(extra), std::move(f), std::forward<Args>(args)...);
  }
  template <typename... Args>
  void warning(format_string<Args...> f, Args&&... args) { log(WARNING, std::move(f), std::forward<Args>(args)...); }
  template <typename... Args>
  void warning(Extra extra, format_string<Args...> f, Args&&... args) {
    log(WARNING, std::move(extra), std::move(f), std::forward<Args>(args)...);
  }
  template <typename... Args>
  void error(format_string<Args...> f, Args&&... args) { log(ERROR, std::move(f), std::forward<Args>(args)...); }
  template <typename... Args>
  void error(Extra extra, format_string<Args...> f, Args&&... args) {
    log(ERROR, std::move(extra), std::move(f), std::forward<Args>(args)...);
  }
  template <typename... Args>
  void critical(format_string<Args...> f, Args&&... args) { log(CRITICAL, std::move(f), std::forward<Args>(args)...); }
  template <typename... Args>
  void critical(Extra extra, format_string<Args...> f, Args&&... args) {
    log(CRITICAL, std::move(extra), std::move(f), std::forward<Args>(args)...);
  }
  /// ERROR with the exception being handled appended, as Logger::exception().
  template <typename... Args>
  void exception(format_string<Args...> f, Args&&... args) {
    if (is_enabled_for(ERROR)) log_impl(ERROR, f.loc, f.str, fmt::make_format_args(args...), nullptr, true);
  }
  template <typename... Args>
  void exception(Extra extra, format_string<Args...> f, Args&&... args) {
    if (is_enabled_for(ERROR)) log_impl(ERROR, f.loc, f.str, fmt::make_format_args(args...), &extra, true);
  }

 private:
  void log_impl(int level, const std::source_location& loc, fmt::string_view f, fmt::format_args args,
                Extra* extra, bool exc_info);

  Logger* logger_;
  Extra extra_;
  std::string prefix_;
};

}  // namespace prun::logging
