#pragma once
// The configuration lock: a reader-writer lock that counts configuration changes. See manager.hpp for the lock order.

#include <prun/logging/detail/fork_safe_mutex.hpp>

#include <pthread.h>

#include <atomic>
#include <cstdint>

namespace prun::logging::detail {

class ForkSafeRwLock {
 public:
  constexpr ForkSafeRwLock() = default;
  ForkSafeRwLock(const ForkSafeRwLock&) = delete;
  ForkSafeRwLock& operator=(const ForkSafeRwLock&) = delete;
  /// Exclusive: every configuration change, which also moves generation() on.
  void lock() noexcept {
    pthread_rwlock_wrlock(&l_);
    generation_.fetch_add(1, std::memory_order_relaxed);
  }
  void unlock() noexcept { pthread_rwlock_unlock(&l_); }
  std::uint64_t generation() const noexcept { return generation_.load(std::memory_order_relaxed); }
  void lock_shared() noexcept { pthread_rwlock_rdlock(&l_); }
  void unlock_shared() noexcept { pthread_rwlock_unlock(&l_); }
  /// Exclusive without a configuration change (the fork handlers).
  void lock_quietly() noexcept { pthread_rwlock_wrlock(&l_); }
  /// In a forked child, releases what the forking thread took with lock_quietly(). glibc's
  /// rwlock knows its writer by thread id, which the child's only thread does not have, so
  /// unlocking would not release it: the lock is reinitialised (after telling
  /// ThreadSanitizer, which tracks the lock itself, that it was released).
  void release_in_child() noexcept {
#if defined(__SANITIZE_THREAD__)
    pthread_rwlock_unlock(&l_);
#endif
    l_ = PTHREAD_RWLOCK_INITIALIZER;
  }

 private:
  pthread_rwlock_t l_ = PTHREAD_RWLOCK_INITIALIZER;  // reader-preferring: nested reads are safe
  std::atomic<std::uint64_t> generation_{0};
};

/// The lock guarding the logger hierarchy's configuration (handler and filter lists, levels,
/// propagate and disabled flags). Never held while a handler or a filter runs.
ForkSafeRwLock& config_lock() noexcept;

}  // namespace prun::logging::detail
