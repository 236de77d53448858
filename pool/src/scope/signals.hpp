#pragma once
// SIGINT and SIGTERM during a run, when the program left them at their default (they would
// kill it): every run that handles signals is cancelled (its running tasks stopped, everything
// they produced delivered, its workers reaped); then the signal is raised again with its
// default disposition, so the program ends as it would have (exit status 130 for Ctrl-C) — no
// record lost, no half line written. A program with handlers of its own keeps them; it
// cancels runs with a CancelToken.

namespace prun::pool::scope {

class SignalScope {
 public:
  /// While it lives, SIGINT/SIGTERM write to `cancel_fd` (an eventfd; -1: none). With
  /// `immediate` (a sequential run, whose task cannot be stopped), the signal is raised again at
  /// once, after `flush_fd` (the live capture's) has been told to write out what was printed.
  SignalScope(bool enabled, int cancel_fd, bool immediate = false, int flush_fd = -1);
  /// The last scope to end after a signal raises it again (it does not return then).
  ~SignalScope();
  SignalScope(const SignalScope&) = delete;
  SignalScope& operator=(const SignalScope&) = delete;

  /// The signal that arrived during the scopes that are alive, or 0.
  static int pending() noexcept;
  /// Raises `signal` with its default disposition (restored first), after flushing logging
  /// and running the exit hooks.
  [[noreturn]] static void raise_default(int signal) noexcept;

  /// `hook(context)` runs just before raise_default() ends the program (from a thread of
  /// prun's, never from a signal handler): for files that must be left whole, such as a trace
  /// whose run a signal ends at n_jobs=1. Returns an id for remove_exit_hook; -1 when the
  /// table (16 hooks) is full.
  static int add_exit_hook(void (*hook)(void*) noexcept, void* context) noexcept;
  static void remove_exit_hook(int id) noexcept;

 private:
  int slot_ = -1;
};

}  // namespace prun::pool::scope
