#include <prun/logging/record.hpp>

#include <prun/logging/detail/fork_safe_mutex.hpp>

#include "process_state.hpp"

#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <unordered_set>

namespace prun::logging {
namespace {

struct InternPool {
  detail::ForkSafeMutex mutex;  // a leaf lock; taken before fork (fork.cpp)
  std::unordered_set<std::string> strings;  // node-based: element addresses are stable
};

InternPool& pool() {
  static auto* p = new InternPool;  // leaked on purpose: records may be formatted at exit
  return *p;
}

std::atomic<const std::string*> g_process_name{nullptr};
thread_local std::string_view t_thread_name;
std::atomic<int> g_thread_counter{0};

const std::int64_t g_start_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count();

// Built at load time, so that no thread is initialising it when another forks.
[[maybe_unused]] InternPool& g_pool_at_load = pool();

}  // namespace

namespace detail {
void intern_lock() noexcept { pool().mutex.lock(); }
void intern_unlock() noexcept { pool().mutex.unlock(); }
}  // namespace detail

std::string_view intern(std::string_view s) {
  auto& p = pool();
  std::lock_guard lock(p.mutex);
  return *p.strings.emplace(s).first;
}

void set_process_name(std::string_view name) {
  auto& p = pool();
  std::lock_guard lock(p.mutex);
  g_process_name.store(&*p.strings.emplace(name).first, std::memory_order_release);
}

std::string_view process_name() noexcept {
  const std::string* p = g_process_name.load(std::memory_order_acquire);
  return p ? std::string_view(*p) : std::string_view("MainProcess");
}

void set_thread_name(std::string_view name) { t_thread_name = intern(name); }

std::string_view thread_name() {
  if (t_thread_name.empty()) {
    if (::syscall(SYS_gettid) == ::getpid())
      t_thread_name = "MainThread";
    else
      t_thread_name = intern("Thread-" + std::to_string(++g_thread_counter));
  }
  return t_thread_name;
}

std::int64_t start_time_ns() noexcept { return g_start_ns; }

}  // namespace prun::logging
