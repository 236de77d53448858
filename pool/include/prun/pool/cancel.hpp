#pragma once
/// CancelToken: stops a run from anywhere, a signal handler included.

#include <memory>

namespace prun::pool {

/// A handle on a flag and a descriptor that wakes the runs watching it. Copies share the same
/// state. cancel() is async-signal-safe and thread-safe: call it from a signal handler of your
/// own, another thread, or a task's observer. A run given a cancelled token stops handing out
/// tasks, stops the running ones (SIGTERM, then SIGKILL after Options::grace), delivers every
/// record and line already produced, reaps its workers and throws prun::Cancelled.
class CancelToken {
 public:
  /// A fresh token (not cancelled). Throws std::system_error if no descriptor is left.
  CancelToken();
  /// Cancels every run watching this token. Async-signal-safe.
  void cancel() const noexcept;
  bool cancelled() const noexcept;
  /// Softer: the runs watching this token start no more tasks, and finish the running ones
  /// (GNU parallel's --halt soon). Async-signal-safe.
  void stop_starting() const noexcept;
  bool stopping() const noexcept;
  /// A descriptor that becomes readable once cancel() was called (for event loops).
  int fd() const noexcept;
  /// A descriptor that becomes readable once stop_starting() or cancel() was called.
  int stopping_fd() const noexcept;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace prun::pool
