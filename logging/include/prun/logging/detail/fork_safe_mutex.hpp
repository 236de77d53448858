#pragma once
// Locks that a forked child can reinitialise: after fork() only the forking thread exists,
// so a lock another thread held is reset, never waited for. The library's lock order and its
// fork handlers are described in logging/src/manager.hpp.

#include <pthread.h>

#include <atomic>
#include <cstdint>

namespace prun::logging::detail {

class ForkSafeMutex {
 public:
  constexpr ForkSafeMutex() = default;
  ForkSafeMutex(const ForkSafeMutex&) = delete;
  ForkSafeMutex& operator=(const ForkSafeMutex&) = delete;
  void lock() noexcept { pthread_mutex_lock(&m_); }
  void unlock() noexcept { pthread_mutex_unlock(&m_); }
  bool try_lock() noexcept { return pthread_mutex_trylock(&m_) == 0; }
  /// Only in a child right after fork().
  void reinit_after_fork() noexcept { m_ = PTHREAD_MUTEX_INITIALIZER; }

 private:
  pthread_mutex_t m_ = PTHREAD_MUTEX_INITIALIZER;
};

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
  void reinit_after_fork() noexcept { l_ = PTHREAD_RWLOCK_INITIALIZER; }

 private:
  pthread_rwlock_t l_ = PTHREAD_RWLOCK_INITIALIZER;  // reader-preferring: nested reads are safe
  std::atomic<std::uint64_t> generation_{0};
};

/// The lock guarding the logger hierarchy's configuration (handler and filter lists, levels,
/// propagate and disabled flags). Never held while a handler or a filter runs.
ForkSafeRwLock& config_lock() noexcept;

}  // namespace prun::logging::detail
