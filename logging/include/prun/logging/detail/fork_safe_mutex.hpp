#pragma once
// A lock that a forked child can reinitialise (each handler has one): after fork() only the forking thread exists,
// so a lock another thread held is reset, never waited for. The library's lock order and its
// fork handlers are described in logging/src/manager.hpp.

#include <pthread.h>


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

}  // namespace prun::logging::detail
