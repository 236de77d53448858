#include <prun/logging/exception_info.hpp>
#include <prun/logging/logger.hpp>

#include "call_handlers.hpp"
#include "manager.hpp"
#include "process_state.hpp"

#include <pthread.h>
#include <time.h>

#include <algorithm>
#include <mutex>
#include <shared_mutex>

namespace prun::logging {

Logger::Logger(std::string name, int level) : name_(std::move(name)), level_(level) {}

Logger& Logger::get_child(std::string_view suffix) const {
  if (this == &get_logger()) return logging::get_logger(suffix);
  std::string full;
  full.reserve(name_.size() + 1 + suffix.size());
  full.append(name_).append(".").append(suffix);
  return logging::get_logger(full);
}

void Logger::set_level(int level) {
  if (level == this->level()) return;
  Manager& m = Manager::get();
  std::unique_lock config(detail::config_lock());
  level_.store(level, std::memory_order_relaxed);
  m.mark_dirty_locked(*this);
  m.recompute_all_locked();
}

int Logger::effective_level() const noexcept {
  for (const Logger* l = this; l; l = l->parent())
    if (int level = l->level(); level != NOTSET) return level;
  return NOTSET;
}

void Logger::set_propagate(bool on) {
  if (on == propagate()) return;
  std::unique_lock config(detail::config_lock());
  propagate_.store(on, std::memory_order_relaxed);
  Manager::get().mark_dirty_locked(*this);
}

void Logger::set_disabled(bool on) {
  if (on == disabled()) return;
  Manager& m = Manager::get();
  std::unique_lock config(detail::config_lock());
  disabled_.store(on, std::memory_order_relaxed);
  m.mark_dirty_locked(*this);
  threshold_.store(Manager::threshold_of(*this, m.disable_level.load(std::memory_order_relaxed)),
                   std::memory_order_relaxed);
}

void Logger::filters_changed_locked() { Manager::get().mark_dirty_locked(*this); }

void Logger::add_handler(HandlerPtr handler) {
  std::unique_lock config(detail::config_lock());
  if (std::find(handlers_.begin(), handlers_.end(), handler) == handlers_.end()) {
    handlers_.push_back(std::move(handler));
    n_handlers_.store(static_cast<int>(handlers_.size()), std::memory_order_relaxed);
    Manager::get().mark_dirty_locked(*this);
  }
}

void Logger::remove_handler(const HandlerPtr& handler) {
  HandlerPtr keep = handler;  // released after the lock, should it be the last reference
  std::unique_lock config(detail::config_lock());
  std::erase(handlers_, handler);
  n_handlers_.store(static_cast<int>(handlers_.size()), std::memory_order_relaxed);
}

std::vector<HandlerPtr> Logger::handlers() const {
  std::shared_lock config(detail::config_lock());
  return handlers_;
}

void Logger::set_handlers(std::vector<HandlerPtr> handlers) {
  {
    std::unique_lock config(detail::config_lock());
    handlers_.swap(handlers);
    n_handlers_.store(static_cast<int>(handlers_.size()), std::memory_order_relaxed);
    if (!handlers_.empty()) Manager::get().mark_dirty_locked(*this);
  }
  // The old handlers are released here, outside the lock: a destructor may flush and log.
}

bool Logger::has_handlers() const noexcept {
  std::shared_lock config(detail::config_lock());
  for (const Logger* c = this; c; c = c->parent()) {
    if (c->has_own_handlers()) return true;
    if (!c->propagate()) break;
  }
  return false;
}

void Logger::handle(Record& record) {
  if (disabled() || !filter(record)) return;
  call_handlers(record);
}

void Logger::dispatch(Record& record) {
  if (!disabled()) call_handlers(record);
}

void Logger::call_handlers(Record& record) {
  detail::CollectedHandlers list;
  {
    std::shared_lock config(detail::config_lock());
    for (const Logger* c = this; c; c = c->propagate() ? c->parent() : nullptr)
      for (const HandlerPtr& h : c->handlers_) list.push(h);
  }
  detail::call_collected(list, record);
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
  detail::stamp_task(r);
  return r;
}

void Logger::log_message(int level, std::string message, Extra* extra, const std::source_location& loc) {
  Record r = make_record(level, std::move(message), loc);
  if (extra) {
    r.extra = std::move(extra->items());
    if (extra->exc_info()) r.exc_text = current_exception_text();
  }
  handle(r);
}

void Logger::log_impl(int level, const std::source_location& loc, fmt::string_view f, fmt::format_args args,
                      Extra* extra, bool exc_info) {
  Record r = make_record(level, fmt::vformat(f, args), loc);
  if (extra) r.extra = std::move(extra->items());
  if (exc_info) r.exc_text = current_exception_text();
  handle(r);
}

}  // namespace prun::logging
