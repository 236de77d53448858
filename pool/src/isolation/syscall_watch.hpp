#pragma once
// Did the task make a system call? Answered at no cost when it made none.
//
// A task that made no system call cannot have printed (raw writes, or stdio flushing), touched
// descriptors 0-2, or changed the signal mask or dispositions: nothing the worker must check or
// restore. Linux's syscall user dispatch (5.11+) tells us: before the task the worker sets a
// selector byte to "block", so the first system call of any of its threads raises SIGSYS
// instead of running; the handler notes it, switches dispatch off for that thread and makes the
// call run as if nothing happened. A task without system calls costs two byte stores.
//
// System calls prun itself makes while a task runs (publishing a record: the ring's doorbell and
// futex) go through quiet_syscall(), whose code is the one range dispatch always allows.
//
// Where dispatch is unavailable (another architecture, an older kernel, a seccomp policy, or a
// debugger attached at n_jobs=1), noticed() is always true: every task takes the careful path.

namespace prun::pool::isolation {

class SyscallWatch {
 public:
  /// Installs the SIGSYS handler (once per process) and turns dispatch on for the calling
  /// thread; false when this system cannot, or (`unless_traced`) when a debugger is attached,
  /// which would stop at every SIGSYS. Threads the task starts inherit the watch.
  static bool enable(bool unless_traced = false) noexcept;
  /// Whether the calling thread is watched (enable() succeeded, no disable() since).
  static bool enabled() noexcept;
  /// Turns dispatch off for the calling thread (the handler stays installed).
  static void disable() noexcept;
  /// Call right before user code: from now on the first system call is noticed.
  static void arm() noexcept;
  /// Call right after user code.
  static void disarm() noexcept;
  /// Whether a system call was made between arm() and disarm() (true when not enabled).
  static bool noticed() noexcept;
};

/// syscall(2) that a SyscallWatch never notices. Returns the raw result (-errno on failure).
long quiet_syscall(long nr, long a1 = 0, long a2 = 0, long a3 = 0, long a4 = 0, long a5 = 0, long a6 = 0) noexcept;
/// write(2) through quiet_syscall, retrying on EINTR; false on failure.
bool quiet_write_all(int fd, const void* data, unsigned long size) noexcept;

}  // namespace prun::pool::isolation
