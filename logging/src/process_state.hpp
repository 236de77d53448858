#pragma once
#include <string>
#include <vector>

namespace prun::logging { class Logger; }
// Process-wide state that must be refreshed in a forked child.

namespace prun::logging::detail {

/// Registers the pthread_atfork handlers once (idempotent, cheap after the first call).
void install_fork_handlers();
/// getpid(), cached and refreshed in forked children.
int cached_pid() noexcept;

/// Every logger that exists now, root first.
std::vector<Logger*> all_loggers();

/// How many loggers other than the root have handlers now.
int nonroot_loggers_with_handlers() noexcept;

void registry_lock() noexcept;
void registry_unlock() noexcept;
void registry_after_fork_in_child();

}  // namespace prun::logging::detail
