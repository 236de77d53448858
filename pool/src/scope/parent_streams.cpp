#include "parent_streams.hpp"

#include "../sys/sys.hpp"

#include <atomic>
#include <mutex>
#include <new>
#include <shared_mutex>

#include <pthread.h>

namespace prun::pool::scope {

namespace {
std::atomic<int> g_out{-1}, g_err{-1};

// The configuration a sequential run set aside, for the other threads' runs.
std::atomic<bool> g_aside{false};
std::mutex g_aside_mutex;
std::shared_ptr<const logging::HierarchySnapshot> g_saved;  // guarded by g_aside_mutex
thread_local int t_sequential_depth = 0;
thread_local int t_routing_depth = 0;

// Routing (shared) against setting the configuration aside or back (exclusive).
std::shared_mutex* g_switch = nullptr;

// A worker forked while another thread routed records or set the configuration aside finds
// those locks free, and no configuration set aside (its own runs start from its own state).
void reset_in_child() {
  g_switch = new std::shared_mutex;
  new (&g_aside_mutex) std::mutex();
  new (&g_saved) std::shared_ptr<const logging::HierarchySnapshot>();  // the parent's copy is left
  g_aside.store(false);
  t_routing_depth = 0;
}

std::shared_mutex& switch_lock() {
  static std::shared_mutex* m = [] {
    ::pthread_atfork(nullptr, nullptr, reset_in_child);
    return g_switch = new std::shared_mutex;  // never destroyed: runs may end during exit
  }();
  (void)m;
  return *g_switch;
}
// Made at load time, never first in a thread that another thread's fork() could interrupt.
[[maybe_unused]] const bool g_switch_ready = (switch_lock(), true);
}  // namespace

RoutingGuard::RoutingGuard() {
  if (t_routing_depth++ == 0) switch_lock().lock_shared();
}

RoutingGuard::~RoutingGuard() {
  if (--t_routing_depth == 0) switch_lock().unlock_shared();
}

SequentialScope::SequentialScope() {
  std::unique_lock exclusive(switch_lock());
  saved_ = std::make_shared<const logging::HierarchySnapshot>(logging::HierarchySnapshot::capture_and_reset());
  ++t_sequential_depth;
  std::lock_guard lock(g_aside_mutex);
  previous_ = g_saved;
  // A nested run's snapshot holds the outer task's scope: the outer one stays the caller's.
  g_saved = previous_ ? previous_ : saved_;
  g_aside.store(true, std::memory_order_release);
}

SequentialScope::~SequentialScope() {
  std::unique_lock exclusive(switch_lock());
  saved_->restore();
  --t_sequential_depth;
  std::lock_guard lock(g_aside_mutex);
  if (previous_) {
    g_saved = std::move(previous_);
  } else {
    g_saved.reset();
    g_aside.store(false, std::memory_order_release);
  }
}

int parent_stream_fd(int stream) noexcept {
  const int fd = (stream == 1 ? g_out : g_err).load(std::memory_order_acquire);
  return fd >= 0 ? fd : stream;
}

void set_parent_stream_fds(int out, int err) noexcept {
  g_out.store(out, std::memory_order_release);
  g_err.store(err, std::memory_order_release);
}

void write_parent_stream(int stream, std::string_view bytes) {
  sys::write_all(parent_stream_fd(stream), bytes.data(), bytes.size());
}

int parent_root_level() {
  if (g_aside.load(std::memory_order_acquire) && t_sequential_depth == 0) {
    std::lock_guard lock(g_aside_mutex);
    if (g_saved) return g_saved->root_level();
  }
  return logging::get_logger().effective_level();
}

void route_to_parent(logging::Logger& logger, logging::Record& record) {
  if (g_aside.load(std::memory_order_acquire) && t_sequential_depth == 0) {
    std::shared_ptr<const logging::HierarchySnapshot> saved;
    {
      std::lock_guard lock(g_aside_mutex);
      saved = g_saved;
    }
    if (saved) {
      saved->call_handlers(record);
      return;
    }
  }
  logger.dispatch(record);  // honours that logger's `disabled`, as the cookbook's listener does
}

}  // namespace prun::pool::scope
