#include "manager.hpp"

#include <prun/logging/config.hpp>
#include <prun/logging/formatter.hpp>
#include <prun/logging/hierarchy.hpp>
#include <prun/logging/stream_handler.hpp>

#include "process_state.hpp"

#include <algorithm>
#include <climits>
#include <mutex>
#include <shared_mutex>

namespace prun::logging {

namespace {
constinit detail::ForkSafeRwLock g_config_lock;

}  // namespace

Manager* Manager::create() {
  detail::install_fork_handlers();
  auto* m = new Manager;  // leaked: loggers live as long as the program
  m->root = new Logger("root", WARNING);
  m->root->threshold_.store(WARNING, std::memory_order_relaxed);
  return m;
}

Manager& Manager::get() noexcept {
  static Manager* m = create();
  return *m;
}

int Manager::threshold_of(const Logger& l, int disable_level) noexcept {
  if (l.disabled_.load(std::memory_order_relaxed)) return INT_MAX;
  return std::max(l.effective_level(), disable_level + 1);
}

void Manager::recompute_all_locked() {
  const int disable = disable_level.load(std::memory_order_relaxed);
  std::lock_guard lock(mutex);
  root->threshold_.store(threshold_of(*root, disable), std::memory_order_relaxed);
  for (auto& [name, logger] : loggers) logger->threshold_.store(threshold_of(*logger, disable), std::memory_order_relaxed);
}

void Manager::mark_dirty_locked(Logger& l) {
  if (&l == root || l.dirty_) return;
  l.dirty_ = true;
  dirty.push_back(&l);
}

std::vector<Logger*> Manager::all() {
  std::lock_guard lock(mutex);
  std::vector<Logger*> out{root};
  out.reserve(loggers.size() + 1);
  for (auto& [name, logger] : loggers) out.push_back(logger);
  return out;
}

Logger& Manager::get(std::string_view name) {
  if (name.empty() || name == "root") return *root;
  std::lock_guard lock(mutex);
  if (auto it = loggers.find(name); it != loggers.end()) return *it->second;
  auto* logger = new Logger(std::string(name), NOTSET);
  // Parent: the nearest existing ancestor ("a.b.c" -> "a.b" -> "a" -> root).
  Logger* parent = root;
  for (auto dot = name.rfind('.'); dot != std::string_view::npos && dot != 0; dot = name.rfind('.', dot - 1)) {
    if (auto it = loggers.find(name.substr(0, dot)); it != loggers.end()) {
      parent = it->second;
      break;
    }
  }
  logger->parent_.store(parent, std::memory_order_relaxed);
  // A new logger is fresh (NOTSET, no handler, propagating), so inserting it between a child
  // and that child's parent changes no routing and no threshold but its own: no configuration
  // lock is needed, and a reader walking the chain sees the old or the new link, both right.
  logger->threshold_.store(threshold_of(*logger, disable_level.load(std::memory_order_relaxed)),
                           std::memory_order_relaxed);
  const std::string prefix = std::string(name) + ".";
  for (auto it = loggers.lower_bound(prefix); it != loggers.end() && it->first.starts_with(prefix); ++it) {
    Logger* child = it->second;
    if (child->parent_.load(std::memory_order_relaxed) == parent) child->parent_.store(logger, std::memory_order_release);
  }
  loggers.emplace(std::string(name), logger);
  return *logger;
}

namespace detail {

ForkSafeRwLock& config_lock() noexcept { return g_config_lock; }

std::vector<Logger*> all_loggers() { return Manager::get().all(); }

void ensure_root_configured() {
  if (!get_logger().has_own_handlers()) basic_config();
}

}  // namespace detail

Logger& get_logger(std::string_view name) { return Manager::get().get(name); }

Logger& get_logger() noexcept { return *Manager::get().root; }

void disable(int level) {
  Manager& m = Manager::get();
  std::unique_lock config(detail::config_lock());
  m.disable_level.store(level, std::memory_order_relaxed);
  m.recompute_all_locked();
}

int disable_level() noexcept { return Manager::get().disable_level.load(std::memory_order_relaxed); }

void dispatch(Record& record) { get_logger(record.name).dispatch(record); }

std::uint64_t configuration_generation() noexcept { return detail::config_lock().generation(); }

Handler& last_resort() {
  static auto* h = [] {
    auto* handler = new StreamHandler(StreamHandler::Stream::stderr_);  // leaked: used at exit
    handler->set_level(WARNING);
    return handler;
  }();
  return *h;
}

namespace {
// Every function-local static that a forked child may reach is initialised here, when the
// library is loaded, so that no thread can be half-way through initialising one at fork().
[[maybe_unused]] const bool g_initialised_at_load = [] {
  Manager::get();
  last_resort();
  default_formatter();
  return true;
}();
}  // namespace

}  // namespace prun::logging
