#pragma once
/// Saving and restoring the handler configuration of the whole logger hierarchy, and
/// delivering a record to a saved configuration. This is what a task's logging scope uses.

#include <prun/logging/config.hpp>
#include <prun/logging/logger.hpp>

#include <utility>
#include <vector>

namespace prun::logging {

/// Handlers of every logger plus the root's filters and level, as they were when captured.
class HierarchySnapshot {
 public:
  /// Captures the configuration and detaches every handler (and the root's filters), leaving a
  /// pristine root. Non-root loggers keep levels, filters and propagate flags.
  static HierarchySnapshot capture_and_reset();

  /// Puts the captured configuration back exactly; handlers added since are removed.
  void restore() const;

  /// Python's callHandlers for `record`, against the captured handlers: walks up from the
  /// logger named `record.name`, applying handler levels and filters, stopping after a logger
  /// with propagate off; no logger filter runs. Falls back to the last resort.
  void call_handlers(Record& record) const;

  /// The root's level when the configuration was captured.
  int root_level() const noexcept { return root_.level; }

 private:
  std::vector<std::pair<Logger*, std::vector<HandlerPtr>>> handlers_;
  RootState root_;
};

/// Python's callHandlers starting at `logger`, with `handlers_of(logger)` giving the handlers
/// to use for each logger on the way up. Shared by Logger and HierarchySnapshot.
template <typename HandlersOf>
void call_handlers_with(Logger& logger, Record& record, HandlersOf&& handlers_of);

/// The last-resort handler: WARNING and above, bare message, to stderr.
Handler& last_resort();

/// A number that changes whenever the hierarchy's configuration may have changed (handlers,
/// filters or levels of any logger, a new logger). Equal values mean nothing changed between.
inline std::uint64_t configuration_generation() noexcept { return detail::config_lock().generation(); }

/// Every logger without handlers, the root without filters and at WARNING (cheap when only
/// the root has handlers). Handlers are released, not closed.
void reset_to_pristine();

/// Removes every handler from every logger without closing them (a forked worker uses this
/// so that handlers inherited from its parent never write). Root filters are cleared too.
void detach_all_handlers();

}  // namespace prun::logging

#include <prun/logging/detail/call_handlers.hpp>
