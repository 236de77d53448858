#include <prun/logging/handler.hpp>

#include "process_state.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

namespace prun::logging {

namespace {
constinit detail::ForkSafeMutex g_registry_mutex;  // a leaf lock; taken before fork (fork.cpp)
constinit Handler* g_registry_head = nullptr;
}  // namespace

// Every live handler, so that a forked child can reinitialise their locks.
struct HandlerRegistry {
  static detail::ForkSafeMutex& mutex() { return g_registry_mutex; }
  static Handler*& head() { return g_registry_head; }
  static void add(Handler* h) {
    std::lock_guard lock(mutex());
    h->next_ = head();
    if (head()) head()->prev_ = h;
    head() = h;
  }
  static void remove(Handler* h) {
    std::lock_guard lock(mutex());
    if (h->prev_) h->prev_->next_ = h->next_; else head() = h->next_;
    if (h->next_) h->next_->prev_ = h->prev_;
  }
  static void flush_all() {
    std::vector<std::shared_ptr<Handler>> live;
    {
      std::lock_guard lock(mutex());
      for (Handler* h = head(); h; h = h->next_)
        if (auto p = h->weak_from_this().lock()) live.push_back(std::move(p));
    }
    for (auto& h : live) h->flush();
  }
  // In a forked child, with the registry's lock held by the forking thread.
  static void after_fork_in_child() {
    for (Handler* h = head(); h; h = h->next_) {
      h->mutex_.reinit_after_fork();
      h->after_fork_in_child();
    }
  }
};

void flush_all_handlers() { HandlerRegistry::flush_all(); }

namespace detail {
void registry_lock() noexcept { HandlerRegistry::mutex().lock(); }
void registry_unlock() noexcept { HandlerRegistry::mutex().unlock(); }
void registry_after_fork_in_child() { HandlerRegistry::after_fork_in_child(); }
}  // namespace detail

Handler::Handler(int level) : level_(level) {
  detail::install_fork_handlers();
  HandlerRegistry::add(this);
}

Handler::~Handler() { HandlerRegistry::remove(this); }

FormatterPtr Handler::formatter() const {
  std::lock_guard lock(mutex_);
  return formatter_;
}

void Handler::set_formatter(FormatterPtr formatter) {
  std::lock_guard lock(mutex_);
  formatter_ = std::move(formatter);
}

bool Handler::handle(Record& record) {
  if (!filter(record)) return false;
  std::lock_guard lock(mutex_);
  try {
    emit(record);
  } catch (...) {
    handle_error(record, std::current_exception());
  }
  return true;
}

void Handler::format_locked(const Record& record, fmt::memory_buffer& out) const {
  (formatter_ ? *formatter_ : *default_formatter()).format(record, out);
}

std::string Handler::format(const Record& record) {
  std::lock_guard lock(mutex_);
  fmt::memory_buffer out;
  format_locked(record, out);
  return fmt::to_string(out);
}

namespace {
void report_error(std::string_view context, std::exception_ptr error) {
  std::string what = "unknown exception";
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
  }
  std::string text = fmt::format("--- Logging error ---\n{}\n{}\n", what, context);
  (void)!::write(STDERR_FILENO, text.data(), text.size());
}
}  // namespace

void Handler::handle_error(const Record& record, std::exception_ptr error) {
  report_error(fmt::format("Message: '{}'", record.message), error);
}

void Handler::flush() {
  std::lock_guard lock(mutex_);
  try {
    flush_locked();
  } catch (...) {
    report_error("while flushing a handler", std::current_exception());
  }
}

void Handler::close() {
  std::lock_guard lock(mutex_);
  try {
    flush_locked();
    close_locked();
  } catch (...) {
    report_error("while closing a handler", std::current_exception());
  }
}

namespace {
thread_local int t_batch_depth = 0;
thread_local std::uint64_t t_batch_id = 0;  // of the outermost open scope; never reused
std::atomic<std::uint64_t> g_batch_ids{0};
thread_local std::vector<std::weak_ptr<Handler>>* t_dirty = nullptr;
}  // namespace

BatchScope::BatchScope() {
  if (t_batch_depth++ == 0) t_batch_id = ++g_batch_ids;
}

BatchScope::~BatchScope() {
  if (--t_batch_depth != 0 || !t_dirty) return;
  t_batch_id = 0;
  // Flushing may log (an error report), so work on a detached list.
  std::vector<std::weak_ptr<Handler>> dirty;
  dirty.swap(*t_dirty);
  for (auto& w : dirty)
    if (auto h = w.lock()) h->flush();
  dirty.clear();
  if (t_dirty->empty()) t_dirty->swap(dirty);  // keep the capacity
}

namespace detail {
bool batch_active() noexcept { return t_batch_depth > 0; }

// Called with h's lock held.
bool defer_flush(Handler& h) {
  if (t_batch_depth == 0) return false;
  if (h.deferred_in_ == t_batch_id) return true;  // already registered with this scope
  std::weak_ptr<Handler> w = h.weak_from_this();
  if (w.expired()) return false;
  if (!t_dirty) t_dirty = new std::vector<std::weak_ptr<Handler>>;  // per thread, reused
  t_dirty->push_back(std::move(w));
  h.deferred_in_ = t_batch_id;
  return true;
}
}  // namespace detail

}  // namespace prun::logging
