// The task stamp: set by the thread that runs a task, read by every thread that logs.
//
// The stamp is an immutable heap object published through an atomic pointer. A reader copies
// it into a thread-local cache only when the generation moved, counting itself in g_readers
// while it does; a writer frees a replaced stamp only once it has seen no reader after the
// swap (until then the stamp waits in a retired list). So the hot path of make_record is one
// acquire load and a compare, with no lock and no shared write.

#include <prun/logging/record.hpp>

#include <prun/logging/detail/fork_safe_mutex.hpp>

#include "process_state.hpp"

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

namespace prun::logging {

namespace {
std::atomic<const TaskStamp*> g_current{nullptr};
std::atomic<std::uint64_t> g_generation{1};
std::atomic<int> g_readers{0};
constinit detail::ForkSafeMutex g_retired_mutex;  // writers only; a leaf lock
std::vector<const TaskStamp*>* g_retired = nullptr;  // guarded by g_retired_mutex

struct Cache {
  std::uint64_t generation = 0;
  bool active = false;
  TaskStamp stamp;
};
thread_local Cache t_cache;

void publish(const TaskStamp* next) {
  const TaskStamp* old = g_current.exchange(next, std::memory_order_seq_cst);
  g_generation.fetch_add(1, std::memory_order_release);
  std::lock_guard lock(g_retired_mutex);
  if (!g_retired) g_retired = new std::vector<const TaskStamp*>;
  if (old) g_retired->push_back(old);
  // A reader that could still hold `old` (or an older stamp) counted itself before loading
  // the pointer; none now means none can.
  if (g_readers.load(std::memory_order_seq_cst) == 0) {
    for (const TaskStamp* s : *g_retired) delete s;
    g_retired->clear();
  }
}

void refresh(Cache& c, std::uint64_t generation) {
  g_readers.fetch_add(1, std::memory_order_seq_cst);
  const TaskStamp* s = g_current.load(std::memory_order_seq_cst);
  c.active = s != nullptr;
  if (s) c.stamp = *s;
  g_readers.fetch_sub(1, std::memory_order_seq_cst);
  c.generation = generation;
}
}  // namespace

void set_task(TaskStamp task) { publish(new TaskStamp(std::move(task))); }

void set_task(std::string_view tag, std::int64_t index) { set_task(TaskStamp{std::string(tag), index, 0, 0}); }

void clear_task() { publish(nullptr); }

TaskStamp current_task() {
  Cache& c = t_cache;
  const std::uint64_t generation = g_generation.load(std::memory_order_acquire);
  if (generation != c.generation) refresh(c, generation);
  return c.active ? c.stamp : TaskStamp{};
}

namespace detail {

void stamp_task(Record& r) {
  Cache& c = t_cache;
  const std::uint64_t generation = g_generation.load(std::memory_order_acquire);
  if (generation != c.generation) refresh(c, generation);
  if (!c.active) return;
  r.task = c.stamp.tag;
  r.task_index = c.stamp.index;
  r.worker = c.stamp.worker;
  r.attempt = c.stamp.attempt;
}

void task_stamp_lock() noexcept { g_retired_mutex.lock(); }
void task_stamp_unlock() noexcept { g_retired_mutex.unlock(); }
void task_stamp_after_fork_in_child() noexcept {
  // Only the forking thread exists now: no reader can hold a stamp.
  g_readers.store(0, std::memory_order_relaxed);
}

}  // namespace detail

}  // namespace prun::logging
