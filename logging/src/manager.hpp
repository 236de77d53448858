#pragma once
// The logger hierarchy (Python's logging.Manager), and the library's lock order.
//
// Lock order. A thread may take a lock only if it holds none listed after it:
//   1. a Handler's own mutex: held while emit() runs, and emit() may log again (which takes
//      2, 3 or 4) or be another handler's caller (prun's task delivery does that);
//   2. the configuration lock, detail::config_lock(): shared to read handler and filter lists,
//      exclusive to change any configuration. It is never held while user code runs:
//      call_handlers() and Filterer::filter() copy the lists out and release it first, and
//      replaced handlers are released (and may flush) after it is unlocked;
//   3. Manager::mutex: the logger map and the parent links. Creating a logger takes only
//      this one, so get_logger() is safe from a handler, a filter or a task while another
//      thread reconfigures; changing a level takes 2 then 3 to recompute the thresholds;
//   4. leaf locks, under which nothing else is taken: the level names, the intern pool, the
//      handler registry, the task stamp's retired list and dict_config's factories.
// The fork handlers (fork.cpp) take 2, 3 and 4 in this order before fork() and release them
// in the parent and in the child; the child reinitialises every handler's mutex (1), which is
// not taken before fork: a handler blocked in write() must not block fork().

#include <prun/logging/logger.hpp>

#include "config_lock.hpp"

#include <atomic>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace prun::logging {

struct Manager {
  detail::ForkSafeMutex mutex;                               // lock 3
  std::map<std::string, Logger*, std::less<>> loggers;      // guarded by mutex
  Logger* root = nullptr;
  std::atomic<int> disable_level{NOTSET};  // written under the configuration lock
  std::vector<Logger*> dirty;  // non-root loggers changed since their last reset (config lock)

  /// The manager, built when the library is loaded (so no thread can be initialising it
  /// when another forks).
  static Manager& get() noexcept;
  Logger& get(std::string_view name);
  /// Every logger that exists now, root first. Takes `mutex`.
  std::vector<Logger*> all();
  /// With the configuration lock held exclusively: recomputes every logger's threshold.
  void recompute_all_locked();
  /// With the configuration lock held exclusively: remembers that `l` is no longer fresh.
  void mark_dirty_locked(Logger& l);
  static int threshold_of(const Logger& l, int disable_level) noexcept;

 private:
  static Manager* create();
};

}  // namespace prun::logging
