#pragma once
/// Saving, resetting and restoring the configuration of the whole logger hierarchy, and
/// routing records made elsewhere through a saved configuration: what a task scope uses.

#include <prun/logging/handler.hpp>
#include <prun/logging/level.hpp>
#include <prun/logging/record.hpp>

#include <cstdint>
#include <memory>

namespace prun::logging {

namespace detail {
struct HierarchyState;
}  // namespace detail

/// The full configuration of the hierarchy at one moment: for the root and every logger,
/// its level, propagate and disabled flags, filters and handlers, plus the disable() level.
///
/// A task scope is `auto saved = HierarchySnapshot::capture_and_reset(task_level);` ... run the
/// task ... `saved.restore();`, with the task's records routed by `saved.call_handlers(r)`.
/// Copies share one immutable state. Thread-safe; fork-safe like the rest of the library.
class HierarchySnapshot {
 public:
  /// Captures the configuration, then resets every logger to the state a fresh Python child
  /// process has: level NOTSET (the root: `root_level`), propagate on, enabled, no filter, no
  /// handler, and disable(NOTSET). Handlers move into the snapshot; none is closed. One
  /// exclusive lock; its cost grows with the loggers configured since the last reset, plus
  /// a threshold update of every logger.
  static HierarchySnapshot capture_and_reset(int root_level = WARNING);

  /// Puts back exactly what was captured. Every logger configured since the capture is
  /// reset first, so a logger created (or changed) inside the scope ends fresh; handlers added
  /// inside the scope are released, not closed. May be called more than once.
  void restore() const;

  /// Routes `record` through the captured configuration as the logging cookbook's listener
  /// does (`logging.getLogger(record.name).handle(record)`), without logger filters:
  /// starts at the logger named `record.name` (created if missing, fresh), drops the record if
  /// that logger was disabled, then walks up the chain handing the record to each handler
  /// whose level allows it (the handler's own filters then decide), stopping after a logger
  /// whose propagate was off. No logger's level and no logger filter applies (a PrefixFilter
  /// on the caller's root does not re-prefix a task's record). When no handler was found on
  /// the way, the last resort (WARNING and above, bare message, stderr) takes it.
  /// The same rules as dispatch() on the live hierarchy. Thread-safe; no lock is held while
  /// handlers run.
  void call_handlers(Record& record) const;

  /// The root's level when the configuration was captured (what a task's default level is).
  int root_level() const noexcept;

 private:
  std::shared_ptr<const detail::HierarchyState> state_;
};

/// The last-resort handler: WARNING and above, bare message, to stderr.
Handler& last_resort();

/// A number that changes whenever the hierarchy's configuration may have changed (handlers,
/// filters, levels, propagate or disabled of any logger, disable()). Creating a logger does not
/// change it (a new logger is fresh). Equal values mean nothing changed between.
std::uint64_t configuration_generation() noexcept;

/// Resets every logger to a fresh Python child's state, as capture_and_reset() does, without
/// keeping anything: handlers are released, not closed. Cheap when only the root was
/// configured since the last reset (a few stores, no walk over the loggers when the root's
/// level and disable() did not change either).
void reset_to_pristine(int root_level = WARNING);

/// Removes every handler from every logger without closing them (a forked worker uses this
/// so that handlers inherited from its parent never write). Root filters are cleared too;
/// levels and flags stay.
void detach_all_handlers();

}  // namespace prun::logging
