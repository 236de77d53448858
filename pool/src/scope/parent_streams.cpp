#include "parent_streams.hpp"

#include "../sys/sys.hpp"

#include <atomic>
#include <mutex>

namespace prun::pool::scope {

namespace {
std::atomic<int> g_out{-1}, g_err{-1};

// The configuration a sequential run set aside, for the other threads' runs.
std::atomic<bool> g_aside{false};
std::mutex g_aside_mutex;
std::shared_ptr<const logging::HierarchySnapshot> g_saved;  // guarded by g_aside_mutex
thread_local int t_sequential_depth = 0;
}  // namespace

SequentialScope::SequentialScope(std::shared_ptr<const logging::HierarchySnapshot> saved) {
  ++t_sequential_depth;
  std::lock_guard lock(g_aside_mutex);
  previous_ = std::move(g_saved);
  // A nested run's snapshot holds the outer task's scope: the outer one stays the caller's.
  g_saved = previous_ ? previous_ : std::move(saved);
  g_aside.store(true, std::memory_order_release);
}

SequentialScope::~SequentialScope() {
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
  logger.call_handlers(record);
}

}  // namespace prun::pool::scope
