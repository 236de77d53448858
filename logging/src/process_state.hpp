#pragma once
// Process-wide state that the fork handlers (fork.cpp) lock before fork() and refresh in the
// child. The order in which they are taken is the lock order of manager.hpp.

#include <string>
#include <vector>

namespace prun::logging {
class Logger;
struct Record;
}  // namespace prun::logging

namespace prun::logging::detail {

/// Registers the pthread_atfork handlers (done once, when the library is loaded).
void install_fork_handlers();
/// getpid(), cached and refreshed in forked children.
int cached_pid() noexcept;

/// Every logger that exists now, root first.
std::vector<Logger*> all_loggers();

// Each leaf lock: taken before fork, released in the parent and in the child.
void registry_lock() noexcept;
void registry_unlock() noexcept;
void registry_after_fork_in_child();
void level_names_lock() noexcept;
void level_names_unlock() noexcept;
void intern_lock() noexcept;
void intern_unlock() noexcept;
void task_stamp_lock() noexcept;
void task_stamp_unlock() noexcept;
void task_stamp_after_fork_in_child() noexcept;

/// Stamps `r` with the current task (tag, index, worker, attempt), if any. Lock-free.
void stamp_task(Record& r);

}  // namespace prun::logging::detail

namespace prun::logging::detail {
void factories_lock() noexcept;
void factories_unlock() noexcept;
}  // namespace prun::logging::detail
