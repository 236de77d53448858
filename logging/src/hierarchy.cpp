#include <prun/logging/hierarchy.hpp>
#include <prun/logging/logger.hpp>

#include "call_handlers.hpp"
#include "manager.hpp"

#include <algorithm>
#include <mutex>
#include <shared_mutex>

namespace prun::logging {

namespace detail {

struct LoggerState {
  Logger* logger = nullptr;
  int level = NOTSET;
  bool propagate = true;
  bool disabled = false;
  std::vector<FilterPtr> filters;
  std::vector<HandlerPtr> handlers;
};

struct HierarchyState {
  LoggerState root;
  std::vector<LoggerState> loggers;  // sorted by address
  int disable_level = NOTSET;

  const LoggerState* find(const Logger* l) const {
    if (l == root.logger) return &root;
    auto it = std::lower_bound(loggers.begin(), loggers.end(), l,
                               [](const LoggerState& s, const Logger* p) { return std::less<>{}(s.logger, p); });
    return it != loggers.end() && it->logger == l ? &*it : nullptr;
  }
};

// Everything here runs with the configuration lock held exclusively.
struct HierarchyAccess {
  /// Moves `l`'s state out and leaves it as a fresh child has it (level `fresh_level`).
  static LoggerState take(Logger& l, int fresh_level) {
    LoggerState s{&l, l.level(), l.propagate(), l.disabled(), std::move(l.filters_), std::move(l.handlers_)};
    l.filters_.clear();
    l.n_filters_.store(0, std::memory_order_release);
    l.handlers_.clear();
    l.n_handlers_.store(0, std::memory_order_relaxed);
    l.level_.store(fresh_level, std::memory_order_relaxed);
    l.propagate_.store(true, std::memory_order_relaxed);
    l.disabled_.store(false, std::memory_order_relaxed);
    l.dirty_ = false;
    return s;
  }

  static void apply(Manager& m, const LoggerState& s) {
    Logger& l = *s.logger;
    l.filters_ = s.filters;
    l.n_filters_.store(l.filters_.size(), std::memory_order_release);
    l.handlers_ = s.handlers;
    l.n_handlers_.store(static_cast<int>(l.handlers_.size()), std::memory_order_relaxed);
    l.level_.store(s.level, std::memory_order_relaxed);
    l.propagate_.store(s.propagate, std::memory_order_relaxed);
    l.disabled_.store(s.disabled, std::memory_order_relaxed);
    m.mark_dirty_locked(l);
  }

  /// Resets the root and every logger changed since the last reset; their old state goes to
  /// `out` (released by the caller after unlocking). Returns whether any threshold may change.
  static bool reset(Manager& m, int root_level, std::vector<LoggerState>& out) {
    Logger& root = *m.root;
    bool changed = root.level() != root_level || root.disabled() ||
                   m.disable_level.load(std::memory_order_relaxed) != NOTSET || !m.dirty.empty();
    out.push_back(take(root, root_level));
    for (Logger* l : m.dirty) out.push_back(take(*l, NOTSET));
    m.dirty.clear();
    m.disable_level.store(NOTSET, std::memory_order_relaxed);
    return changed;
  }

  static void detach_handlers(Manager& m, std::vector<HandlerPtr>& out, std::vector<FilterPtr>& root_filters) {
    auto detach = [&out](Logger& l) {
      for (HandlerPtr& h : l.handlers_) out.push_back(std::move(h));
      l.handlers_.clear();
      l.n_handlers_.store(0, std::memory_order_relaxed);
    };
    detach(*m.root);
    for (Logger* l : m.dirty) detach(*l);
    root_filters.swap(m.root->filters_);
    m.root->n_filters_.store(0, std::memory_order_release);
  }
};

}  // namespace detail

using detail::HierarchyAccess;
using detail::HierarchyState;
using detail::LoggerState;

HierarchySnapshot HierarchySnapshot::capture_and_reset(int root_level) {
  auto state = std::make_shared<HierarchyState>();
  Manager& m = Manager::get();
  {
    std::unique_lock config(detail::config_lock());
    state->disable_level = m.disable_level.load(std::memory_order_relaxed);
    std::vector<LoggerState> taken;
    HierarchyAccess::reset(m, root_level, taken);
    m.recompute_all_locked();
    state->root = std::move(taken.front());
    state->loggers.assign(std::make_move_iterator(taken.begin() + 1), std::make_move_iterator(taken.end()));
  }
  std::sort(state->loggers.begin(), state->loggers.end(),
            [](const LoggerState& a, const LoggerState& b) { return std::less<>{}(a.logger, b.logger); });
  HierarchySnapshot s;
  s.state_ = std::move(state);
  return s;
}

void HierarchySnapshot::restore() const {
  Manager& m = Manager::get();
  std::vector<LoggerState> released;  // what the scope configured, released after unlocking
  {
    std::unique_lock config(detail::config_lock());
    HierarchyAccess::reset(m, WARNING, released);
    HierarchyAccess::apply(m, state_->root);
    for (const LoggerState& s : state_->loggers) HierarchyAccess::apply(m, s);
    m.disable_level.store(state_->disable_level, std::memory_order_relaxed);
    m.recompute_all_locked();
  }
}

int HierarchySnapshot::root_level() const noexcept { return state_ ? state_->root.level : WARNING; }

void HierarchySnapshot::call_handlers(Record& record) const {
  Logger& start = get_logger(record.name);
  const HierarchyState& state = *state_;
  if (const LoggerState* s = state.find(&start); s && s->disabled) return;
  detail::CollectedHandlers list;
  for (const Logger* c = &start; c;) {
    const LoggerState* s = state.find(c);
    if (s) {
      for (const HandlerPtr& h : s->handlers) list.push(h);
      if (!s->propagate) break;
    }
    c = c->parent();
  }
  detail::call_collected(list, record);
}

void reset_to_pristine(int root_level) {
  Manager& m = Manager::get();
  std::vector<LoggerState> released;
  {
    std::unique_lock config(detail::config_lock());
    if (HierarchyAccess::reset(m, root_level, released)) m.recompute_all_locked();
  }
}

void detach_all_handlers() {
  Manager& m = Manager::get();
  std::vector<HandlerPtr> released;
  std::vector<FilterPtr> root_filters;
  {
    std::unique_lock config(detail::config_lock());
    HierarchyAccess::detach_handlers(m, released, root_filters);
  }
}

}  // namespace prun::logging
