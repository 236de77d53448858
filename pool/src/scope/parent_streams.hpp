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
/// run in another thread has set the configuration aside, to that configuration.
void route_to_parent(logging::Logger& logger, logging::Record& record);

/// Marks a sequential run on this thread: its configuration, set aside, is where runs in other
/// threads deliver records meanwhile. Nestable.
class SequentialScope {
 public:
  explicit SequentialScope(std::shared_ptr<const logging::HierarchySnapshot> saved);
  ~SequentialScope();
  SequentialScope(const SequentialScope&) = delete;
  SequentialScope& operator=(const SequentialScope&) = delete;

 private:
  std::shared_ptr<const logging::HierarchySnapshot> previous_;
};

}  // namespace prun::pool::scope
