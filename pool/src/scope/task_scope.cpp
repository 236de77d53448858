#include "task_scope.hpp"

#include <prun/logging/exception_info.hpp>

#include "../core/prefix.hpp"

#include <unistd.h>

#include <stdio_ext.h>

#include <cstdio>
#include <atomic>
#include <iostream>
#include <mutex>
#include <optional>
#include <cstdint>
#include <stdexcept>
#include <typeinfo>
#ifdef __GLIBCXX__
#include <ext/stdio_sync_filebuf.h>
#endif

namespace prun::pool::scope {

// The task's PrefixFilter, expanding its pattern only when a record comes through. The task's
// own threads may log concurrently, also while the next task's prefix is set: each thread
// keeps its own copy of the prefix, tagged with the generation it was made for, so that the
// usual record costs one atomic load and nothing is read while another thread writes it.
class Delivery::LazyPrefix final : public logging::Filter {
 public:
  LazyPrefix() : generation_(next_generation()) {}

  void set(std::string_view pattern, std::string_view tag, std::size_t index) {
    std::lock_guard lock(mutex_);
    pattern_ = pattern;
    tag_.assign(tag);
    index_ = index;
    expanded_.reset();
    generation_.store(next_generation(), std::memory_order_release);
  }
  bool filter(logging::Record& record) override {
    if (record.prefixed) return true;  // the task's own PrefixFilter gave it one: not a second
    struct Copy {
      std::uint64_t generation = 0;  // generations start at 1: a thread's first record expands
      std::string prefix;
    };
    thread_local Copy copy;
    if (copy.generation != generation_.load(std::memory_order_acquire)) {
      std::lock_guard lock(mutex_);
      if (!expanded_) expanded_ = core::expand_prefix(pattern_, tag_, index_);
      copy.prefix = *expanded_;
      copy.generation = generation_.load(std::memory_order_relaxed);
    }
    record.message.insert(0, copy.prefix);
    record.prefixed = true;
    return true;
  }

 private:
  // Unique across every LazyPrefix of the process, so a thread's copy never passes for another's.
  static std::uint64_t next_generation() noexcept {
    static std::atomic<std::uint64_t> last{0};
    return last.fetch_add(1, std::memory_order_relaxed) + 1;
  }

  std::mutex mutex_;
  std::atomic<std::uint64_t> generation_;
  std::optional<std::string> expanded_;  // guarded by mutex_
  std::string_view pattern_;
  std::string tag_;
  std::size_t index_ = 0;
};

Delivery::Delivery(bool keep_tail) : prefix_(std::make_shared<LazyPrefix>()), keep_tail_(keep_tail) {
  add_filter(prefix_);
}

void Delivery::set_task(std::string_view pattern, std::string_view tag, std::size_t index) {
  prefix_->set(pattern, tag, index);
  own_output_.store(false, std::memory_order_relaxed);
}

void Delivery::emit(const logging::Record& record) {
  // A task whose basic_config gave it handlers of its own writes its records there only; the
  // tail is not kept either, so that its error reports are the same on every backend.
  if (own_output_.load(std::memory_order_relaxed)) return;
  if (keep_tail_) {
    std::lock_guard lock(tail_mutex_);
    tail_.push(record);
  }
  deliver(record);
}

Outcome describe_current_exception() {
  logging::ExceptionInfo e = logging::current_exception_info();
  return Outcome{false, std::move(e.type), e.is_std ? std::move(e.message) : "(not a std::exception)"};
}

void flush_standard_streams() {
  // The C++ streams write through stdio unless sync_with_stdio(false) gave them buffers.
#ifdef __GLIBCXX__
  if (typeid(*std::cout.rdbuf()) != typeid(__gnu_cxx::stdio_sync_filebuf<char>)) std::cout.flush();
  if (typeid(*std::cerr.rdbuf()) != typeid(__gnu_cxx::stdio_sync_filebuf<char>)) std::cerr.flush();
#else
  std::cout.flush();
  std::cerr.flush();
#endif
  // fflush takes the stream's lock even with nothing to write; most tasks print nothing.
  if (__fpending(stdout) > 0) std::fflush(stdout);
  if (__fpending(stderr) > 0) std::fflush(stderr);
}

void set_stdout_line_buffered(bool on) {
  static char line_buffer[BUFSIZ];
  static char full_buffer[BUFSIZ];
  std::fflush(stdout);
  std::setvbuf(stdout, on ? line_buffer : full_buffer, on ? _IOLBF : _IOFBF, BUFSIZ);
}

TaskRunner::TaskRunner(const Options& options, const TaskTable& table, std::shared_ptr<Delivery> delivery,
                       int level, int worker_slot)
    : options_(options), table_(table), delivery_(std::move(delivery)), root_handlers_{delivery_},
      level_(level) {
  context_.worker = worker_slot;
  context_.pid = ::getpid();
  context_.process_name = std::string(logging::process_name());
}

Outcome TaskRunner::run(std::size_t i, std::string& out, std::uint32_t attempt) {
  Outcome outcome;
  context_.index = i;
  context_.attempt = attempt;
  context_.tag = table_.tag(i);
  if (!has_installed_ || logging::configuration_generation() != installed_) {
    logging::reset_to_pristine(level_);  // every logger as a fresh child has it, the root at the task level
    logging::get_logger().set_handlers(root_handlers_);
    installed_ = logging::configuration_generation();
    has_installed_ = true;
  }
  delivery_->set_task(options_.prefix, context_.tag, i);
  delivery_->clear_tail();
  logging::set_task({context_.tag, static_cast<std::int64_t>(i), context_.worker, static_cast<int>(attempt)});
  try {
    if (options_.configure_task) options_.configure_task(context_);
    table_.run(i, out);
  } catch (...) {
    outcome = describe_current_exception();
  }
  flush_standard_streams();
  logging::clear_task();
  // What the task (or its configure_task) added, such as a per-task file, ends with it.
  if (logging::configuration_generation() != installed_) {
    logging::reset_to_pristine();
    has_installed_ = false;
  }
  return outcome;
}

}  // namespace prun::pool::scope
