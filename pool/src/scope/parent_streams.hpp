#pragma once
// The parent's own standard output and error, and its logging configuration, as every run
// must reach them: normally descriptors 1 and 2 and the live logger hierarchy; while a
// sequential run (n_jobs=1) owns this process's streams, the originals it set aside.

#include <prun/logging/detail/standard_streams.hpp>
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

/// How a writer of the parent's streams writes (sys::write_all, or the quiet write a task's
/// own thread must use at n_jobs=1).
using RawWrite = bool (*)(int fd, const void* data, std::size_t size) noexcept;
/// Writes `bytes` (whole lines, as every writer of the parent's streams does) to `fd`, the
/// parent's stream `stream` (1 or 2) as the caller found it. While a status line is shown on
/// the same terminal, it is erased first and drawn again below the lines. Without one, this
/// is `write(fd, bytes)` after one relaxed load.
void write_gated(int fd, std::string_view bytes, RawWrite write) noexcept;

/// The logging handlers' writer for the standard streams (a sequential run's live capture
/// installs its own while it runs; nullptr: none). The gate's writer takes its place while a
/// status line is shown and no capture writer is set.
void set_capture_writer(logging::detail::StandardStreamWriter writer, void* context) noexcept;

/// A status line (a progress bar) kept below everything written to its terminal: every line
/// prun writes to the parent's streams there (task output, records through stream handlers,
/// verbose lines) erases it, goes out, and draws it again. One at a time per process: a second
/// one is not shown (shown() is false). The destructor leaves the last text drawn, with a
/// newline after it. Thread-safe.
class StatusLine {
 public:
  /// On `stream` 1 or 2 (the parent's stream, wherever a run has set it aside) or any other
  /// descriptor. `shown()` is false if another status line is active.
  explicit StatusLine(int stream);
  ~StatusLine();
  StatusLine(const StatusLine&) = delete;
  StatusLine& operator=(const StatusLine&) = delete;
  bool shown() const noexcept { return owner_; }
  /// Draws `text` (one line, no newline, narrower than the terminal) in place of the last.
  /// Not while a partial line is on the terminal: then it is drawn after that line's end.
  void draw(std::string_view text);

 private:
  bool owner_ = false;
};

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
