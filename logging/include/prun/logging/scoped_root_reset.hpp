#pragma once
/// The root logger's saved state, and the seeds' restore_root_logger as a scope.

#include <prun/logging/filter.hpp>
#include <prun/logging/handler.hpp>
#include <prun/logging/level.hpp>

#include <vector>

namespace prun::logging {

/// The part of the root logger that ScopedRootReset replaces: handlers, filters and level.
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
/// by an exception (the seeds' restore_root_logger context manager). Only the root: other
/// loggers keep their configuration (HierarchySnapshot saves and resets them all).
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
