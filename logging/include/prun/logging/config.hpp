#pragma once
/// basic_config() and the root logger's saved state (the seeds' restore_root_logger).

#include <prun/logging/filter.hpp>
#include <prun/logging/formatter.hpp>
#include <prun/logging/handler.hpp>

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace prun::logging {

/// Arguments of basic_config(), named as in Python's logging.basicConfig().
struct BasicConfig {
  std::optional<int> level;
  std::string format = "%(levelname)s:%(name)s:%(message)s";
  std::string datefmt;
  Formatter::Style style = Formatter::Style::percent;
  std::optional<int> stream_fd;   ///< a file descriptor, e.g. STDOUT_FILENO (default: stderr)
  std::ostream* stream = nullptr; ///< or a std::ostream that outlives the handler
  std::string filename;           ///< or a file, opened with `filemode`
  std::string filemode = "a";
  std::vector<HandlerPtr> handlers;  ///< or ready handlers (given the format if they have none)
  bool force = false;             ///< remove and close the root's handlers first
};

/// Python's basicConfig: does nothing when the root already has handlers (unless `force`).
/// Throws std::invalid_argument for conflicting destinations, as Python raises ValueError.
void basic_config(const BasicConfig& config = {});

/// The part of the root logger that a task scope replaces: handlers, filters and level.
struct RootState {
  std::vector<HandlerPtr> handlers;
  std::vector<FilterPtr> filters;
  int level = WARNING;

  /// The root's current state.
  static RootState capture();
  /// A root as Python starts it: no handler, no filter, WARNING.
  static RootState pristine() { return {}; }
  /// Makes it the root's state.
  void apply() const;
};

/// Saves the root's state, resets it to pristine, and restores it exactly when it ends, also
/// by an exception (the seeds' restore_root_logger context manager).
class ScopedRootReset {
 public:
  ScopedRootReset();
  ~ScopedRootReset();
  ScopedRootReset(const ScopedRootReset&) = delete;
  ScopedRootReset& operator=(const ScopedRootReset&) = delete;
  const RootState& saved() const noexcept { return saved_; }

 private:
  RootState saved_;
};

}  // namespace prun::logging
