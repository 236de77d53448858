#include <prun/logging/config.hpp>
#include <prun/logging/exception_info.hpp>
#include <prun/logging/hierarchy.hpp>
#include <prun/logging/logger.hpp>
#include <prun/logging/stream_handler.hpp>

#include "process_state.hpp"

#include <cxxabi.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>

namespace prun::logging {

namespace detail {
namespace {
void register_fork_handlers();
}
}  // namespace detail

// The logger hierarchy (Python's logging.Manager). Leaked: loggers live as long as the program.
struct Manager {
  detail::ForkSafeMutex mutex;  // guards `loggers` and creation; taken before the config lock
  std::map<std::string, Logger*, std::less<>> loggers;
  Logger* root = nullptr;
  int disable_level = NOTSET;

  static Manager& get() {
    static Manager* m = [] {
      auto* mgr = new Manager;
      mgr->root = new Logger("root", WARNING);
      mgr->recompute_locked();
      detail::register_fork_handlers();
      return mgr;
    }();
    return *m;
  }

  // With the config lock held exclusively.
  void recompute_locked() {
    recompute_one(*root);
    for (auto& [name, logger] : loggers) recompute_one(*logger);
  }
  void recompute_one(Logger& l) {
    int threshold = l.disabled_ ? INT_MAX : std::max(l.effective_level(), disable_level + 1);
    l.threshold_.store(threshold, std::memory_order_relaxed);
  }

  Logger& get(std::string_view name) {
    if (name.empty() || name == "root") return *root;
    std::lock_guard lock(mutex);
    if (auto it = loggers.find(name); it != loggers.end()) return *it->second;
    auto* logger = new Logger(std::string(name), NOTSET);
    std::unique_lock config(detail::config_lock());
    // Parent: the nearest existing ancestor ("a.b.c" -> "a.b" -> "a" -> root).
    logger->parent_ = root;
    for (auto dot = name.rfind('.'); dot != std::string_view::npos; dot = name.rfind('.', dot - 1)) {
      if (auto it = loggers.find(name.substr(0, dot)); it != loggers.end()) {
        logger->parent_ = it->second;
        break;
      }
      if (dot == 0) break;
    }
    // Existing descendants whose parent is above the new logger now hang below it.
    const std::string prefix = std::string(name) + ".";
    for (auto it = loggers.lower_bound(prefix); it != loggers.end() && it->first.starts_with(prefix); ++it) {
      Logger* child = it->second;
      if (child->parent_ == logger->parent_) child->parent_ = logger;
    }
    loggers.emplace(std::string(name), logger);
    recompute_one(*logger);
    return *logger;
  }
};

namespace detail {

ForkSafeRwLock& config_lock() noexcept {
  static ForkSafeRwLock lock;
  return lock;
}

namespace {
int g_pid = ::getpid();

void prepare_fork() {
  Manager::get().mutex.lock();
  registry_lock();
}
void parent_after_fork() {
  registry_unlock();
  Manager::get().mutex.unlock();
}
void child_after_fork() {
  g_pid = ::getpid();
  Manager::get().mutex.reinit_after_fork();
  config_lock().reinit_after_fork();
  registry_after_fork_in_child();
}

void register_fork_handlers() { ::pthread_atfork(prepare_fork, parent_after_fork, child_after_fork); }
}  // namespace

void install_fork_handlers() { Manager::get(); }

int cached_pid() noexcept { return g_pid; }

namespace {
std::atomic<int> g_nonroot_with_handlers{0};
}  // namespace

int nonroot_loggers_with_handlers() noexcept {
  return g_nonroot_with_handlers.load(std::memory_order_relaxed);
}

std::vector<Logger*> all_loggers() {
  Manager& m = Manager::get();
  std::lock_guard lock(m.mutex);
  std::vector<Logger*> out{m.root};
  for (auto& [name, logger] : m.loggers) out.push_back(logger);
  return out;
}

void ensure_root_configured() {
  if (!get_logger().has_handlers()) basic_config();
}

}  // namespace detail

namespace {
// Keeps g_nonroot_with_handlers right when a logger's handler list changes size.
void count_transition(const Logger& l, std::size_t before, std::size_t after) {
  if (&l == &get_logger()) return;
  if (before == 0 && after != 0) detail::g_nonroot_with_handlers.fetch_add(1, std::memory_order_relaxed);
  if (before != 0 && after == 0) detail::g_nonroot_with_handlers.fetch_sub(1, std::memory_order_relaxed);
}

struct TaskStamp {
  std::string tag;
  std::int64_t index = -1;
};
TaskStamp g_task;
}  // namespace

void set_task(std::string_view tag, std::int64_t index) {
  g_task.tag.assign(tag);
  g_task.index = index;
}
void clear_task() {
  g_task.tag.clear();
  g_task.index = -1;
}

Logger& get_logger(std::string_view name) { return Manager::get().get(name); }

Logger& get_logger() noexcept {
  static Logger* root = Manager::get().root;
  return *root;
}

void disable(int level) {
  Manager& m = Manager::get();
  std::lock_guard lock(m.mutex);
  std::unique_lock config(detail::config_lock());
  m.disable_level = level;
  m.recompute_locked();
}

Logger::Logger(std::string name, int level) : name_(std::move(name)), level_(level) {}

void Logger::set_level(int level) {
  if (level == level_) return;
  Manager& m = Manager::get();
  std::lock_guard lock(m.mutex);
  std::unique_lock config(detail::config_lock());
  level_ = level;
  m.recompute_locked();
}

int Logger::effective_level() const noexcept {
  for (const Logger* l = this; l; l = l->parent_)
    if (l->level_ != NOTSET) return l->level_;
  return NOTSET;
}

void Logger::set_disabled(bool on) {
  Manager& m = Manager::get();
  std::lock_guard lock(m.mutex);
  std::unique_lock config(detail::config_lock());
  disabled_ = on;
  m.recompute_one(*this);
}

void Logger::add_handler(HandlerPtr handler) {
  std::unique_lock config(detail::config_lock());
  if (std::find(handlers_.begin(), handlers_.end(), handler) == handlers_.end()) {
    count_transition(*this, handlers_.size(), handlers_.size() + 1);
    handlers_.push_back(std::move(handler));
    n_handlers_.store(static_cast<int>(handlers_.size()), std::memory_order_relaxed);
  }
}

void Logger::remove_handler(const HandlerPtr& handler) {
  std::unique_lock config(detail::config_lock());
  const std::size_t before = handlers_.size();
  std::erase(handlers_, handler);
  count_transition(*this, before, handlers_.size());
  n_handlers_.store(static_cast<int>(handlers_.size()), std::memory_order_relaxed);
}

std::vector<HandlerPtr> Logger::handlers() const {
  std::shared_lock config(detail::config_lock());
  return handlers_;
}

void Logger::set_handlers(std::vector<HandlerPtr> handlers) {
  std::vector<HandlerPtr> old;
  {
    std::unique_lock config(detail::config_lock());
    old.swap(handlers_);
    handlers_ = std::move(handlers);
    count_transition(*this, old.size(), handlers_.size());
    n_handlers_.store(static_cast<int>(handlers_.size()), std::memory_order_relaxed);
  }
  // `old` is released outside the lock: a handler's destructor may flush and log.
}

void Logger::handle(Record& record) {
  if (disabled_ || !filter(record)) return;
  call_handlers(record);
}

void Logger::call_handlers(Record& record) {
  call_handlers_with(*this, record, [](const Logger& l) -> const std::vector<HandlerPtr>& {
    return l.handlers_;
  });
}

Record Logger::make_record(int level, std::string message, const std::source_location& loc) const {
  Record r;
  r.name = name_;
  r.levelno = level;
  r.message = std::move(message);
  r.pathname = loc.file_name();
  r.function = loc.function_name();
  r.lineno = static_cast<int>(loc.line());
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  r.created_ns = static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
  r.relative_ns = r.created_ns - start_time_ns();
  r.thread = static_cast<std::uint64_t>(::pthread_self());
  r.thread_name = thread_name();
  r.process = detail::cached_pid();
  r.process_name = process_name();
  if (g_task.index >= 0) {
    r.task = g_task.tag;
    r.task_index = g_task.index;
  }
  return r;
}

void Logger::log_impl(int level, const std::source_location& loc, fmt::string_view f,
                      fmt::format_args args, bool with_exception) {
  Record r = make_record(level, fmt::vformat(f, args), loc);
  if (with_exception && std::current_exception()) {
    ExceptionInfo e = current_exception_info();
    r.exc_text = e.is_std ? e.type + ": " + e.message : e.type;
  }
  handle(r);
}

ExceptionInfo current_exception_info() {
  ExceptionInfo info{"unknown exception", {}, false};
  if (const std::type_info* t = abi::__cxa_current_exception_type()) {
    int status = 0;
    std::unique_ptr<char, void (*)(void*)> demangled(abi::__cxa_demangle(t->name(), nullptr, nullptr, &status), std::free);
    info.type = status == 0 && demangled ? demangled.get() : t->name();
  }
  if (std::exception_ptr current = std::current_exception()) {
    try {
      std::rethrow_exception(current);
    } catch (const std::exception& e) {
      info.message = e.what();
      info.is_std = true;
    } catch (...) {
    }
  }
  return info;
}

Handler& last_resort() {
  static auto* h = [] {
    auto* handler = new StreamHandler(StreamHandler::Stream::stderr_);
    handler->set_level(WARNING);
    return handler;
  }();
  return *h;
}

}  // namespace prun::logging
