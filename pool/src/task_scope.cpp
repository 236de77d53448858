#include "task_scope.hpp"

#include <prun/logging/exception_info.hpp>

#include <unistd.h>

#include <stdio_ext.h>

#include <cstdio>
#include <iostream>
#include <stdexcept>
#include <typeinfo>
#ifdef __GLIBCXX__
#include <ext/stdio_sync_filebuf.h>
#endif

namespace prun::pool::detail {

std::vector<std::string> LogTail::lines() const {
  std::vector<std::string> out;
  const std::size_t n = std::min(next_, kLines);
  for (std::size_t k = next_ - n; k < next_; ++k) {
    const logging::Record& r = ring_[k % kLines];
    out.push_back(fmt::format("{} {}: {}", logging::level_name(r.levelno), r.name, r.message));
  }
  return out;
}

// The task's PrefixFilter, expanding its pattern only when a record comes through.
class Delivery::LazyPrefix final : public logging::Filter {
 public:
  void set(std::string_view pattern, std::string_view tag, std::size_t index) {
    pattern_ = pattern;
    tag_.assign(tag);
    index_ = index;
    expanded_ = false;
  }
  bool filter(logging::Record& record) override {
    if (!expanded_) {
      filter_.set_prefix(expand_prefix(pattern_, tag_, index_));
      expanded_ = true;
    }
    return filter_.filter(record);
  }

 private:
  logging::PrefixFilter filter_{""};
  std::string_view pattern_;
  std::string tag_;
  std::size_t index_ = 0;
  bool expanded_ = false;
};

Delivery::Delivery(bool keep_tail) : prefix_(std::make_shared<LazyPrefix>()), keep_tail_(keep_tail) {
  add_filter(prefix_);
}

void Delivery::set_task(std::string_view pattern, std::string_view tag, std::size_t index) {
  prefix_->set(pattern, tag, index);
}

void Delivery::emit(const logging::Record& record) {
  if (keep_tail_) tail_.push(record);
  deliver(record);
}

Outcome describe_current_exception() {
  logging::ExceptionInfo e = logging::current_exception_info();
  return Outcome{false, std::move(e.type), e.is_std ? std::move(e.message) : "(not a std::exception)"};
}

namespace {
// Calls `field` for "{tag}"/"{index}" and `text` for the rest; false on anything else.
template <typename Text, typename Field>
bool walk_prefix(std::string_view p, Text&& text, Field&& field) {
  for (std::size_t i = 0; i < p.size();) {
    std::size_t brace = p.find_first_of("{}", i);
    if (brace == std::string_view::npos) {
      text(p.substr(i));
      break;
    }
    text(p.substr(i, brace - i));
    if (brace + 1 < p.size() && p[brace + 1] == p[brace]) {
      text(p.substr(brace, 1));
      i = brace + 2;
    } else if (p.substr(brace).starts_with("{tag}")) {
      field(true);
      i = brace + 5;
    } else if (p.substr(brace).starts_with("{index}")) {
      field(false);
      i = brace + 7;
    } else {
      return false;
    }
  }
  return true;
}
}  // namespace

std::string expand_prefix(std::string_view pattern, std::string_view tag, std::size_t index) {
  std::string out;
  walk_prefix(pattern, [&](std::string_view t) { out.append(t); },
              [&](bool is_tag) { is_tag ? out.append(tag) : out.append(std::to_string(index)); });
  return out;
}

void check_prefix(std::string_view pattern) {
  if (!walk_prefix(pattern, [](std::string_view) {}, [](bool) {}))
    throw std::invalid_argument("prun: the prefix '" + std::string(pattern) +
                                "' may only use {tag} and {index} (write {{ and }} for braces)");
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

TaskRunner::TaskRunner(const Options& options, const TaskTable& table, std::shared_ptr<Delivery> delivery,
                       int level, int worker_slot)
    : options_(options), table_(table), delivery_(std::move(delivery)), root_handlers_{delivery_},
      level_(level) {
  context_.worker = worker_slot;
  context_.pid = ::getpid();
  context_.process_name = std::string(logging::process_name());
}

Outcome TaskRunner::run(std::size_t i, std::string& out) {
  Outcome outcome;
  context_.index = i;
  context_.tag = table_.tag(i);
  if (!has_installed_ || logging::configuration_generation() != installed_) {
    logging::reset_to_pristine();
    logging::Logger& root = logging::get_logger();
    root.set_handlers(root_handlers_);
    root.set_level(level_);
    installed_ = logging::configuration_generation();
    has_installed_ = true;
  }
  delivery_->set_task(options_.prefix, context_.tag, i);
  delivery_->tail().clear();
  logging::set_task({context_.tag, static_cast<std::int64_t>(i), context_.worker, 1});
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

}  // namespace prun::pool::detail
