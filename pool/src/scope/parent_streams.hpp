#pragma once
// The parent's own standard output and error, and its logging configuration, as every run
// must reach them: normally descriptors 1 and 2 and the live logger hierarchy; while a
// sequential run (n_jobs=1) owns this process's streams, the originals it set aside.

#include <prun/logging/hierarchy.hpp>
#include <prun/logging/logger.hpp>

#include <memory>
#include <string_view>

namespace prun::pool::scope {

/// Writes `bytes` to the parent's stream 1 or 2 (retrying on EINTR; a closed stream drops them).
void write_parent_stream(int stream, std::string_view bytes);
/// The descriptor behind the parent's stream 1 or 2 now.
int parent_stream_fd(int stream) noexcept;
/// Set by a sequential run while it captures 1 and 2 (-1: back to 1 and 2).
void set_parent_stream_fds(int out, int err) noexcept;

/// Hands a record made elsewhere (a worker, a task scope) to the parent's handlers, starting at
/// `logger` (the record's own), as the logging cookbook's listener does. While a sequential
/// run in another thread has set the configuration aside, to that configuration. Call it
/// while holding a RoutingGuard.
void route_to_parent(logging::Logger& logger, logging::Record& record);

/// The parent's root level: a run's default task level. While a sequential run in another
/// thread has set the configuration aside, that configuration's.
int parent_root_level();

/// Held while records are routed (a driver holds one per turn of its loop): a sequential run
/// in another thread does not set the configuration aside, or put it back, meanwhile.
class RoutingGuard {
 public:
  RoutingGuard();
  ~RoutingGuard();
  RoutingGuard(const RoutingGuard&) = delete;
  RoutingGuard& operator=(const RoutingGuard&) = delete;
};

/// A sequential run on this thread: the caller's configuration is captured and the hierarchy
/// reset (until the scope ends, when it is restored exactly); meanwhile runs in other threads
/// deliver their records to the configuration set aside here. Nestable.
class SequentialScope {
 public:
  SequentialScope();
  ~SequentialScope();
  SequentialScope(const SequentialScope&) = delete;
  SequentialScope& operator=(const SequentialScope&) = delete;
  const logging::HierarchySnapshot& saved() const noexcept { return *saved_; }

 private:
  std::shared_ptr<const logging::HierarchySnapshot> saved_, previous_;
};

}  // namespace prun::pool::scope
