#include "task_scope.hpp"

#include <cxxabi.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

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

Delivery::Delivery(bool keep_tail)
    : prefix_(std::make_shared<logging::PrefixFilter>("")), keep_tail_(keep_tail) {
  add_filter(prefix_);
}

void Delivery::emit(const logging::Record& record) {
  if (keep_tail_) tail_.push(record);
  deliver(record);
}

Outcome describe_current_exception() {
  Outcome o{false, "unknown exception", ""};
  if (const std::type_info* t = abi::__cxa_current_exception_type()) {
    int status = 0;
    char* name = abi::__cxa_demangle(t->name(), nullptr, nullptr, &status);
    o.type = status == 0 && name ? name : t->name();
    std::free(name);
  }
  try {
    throw;
  } catch (const std::exception& e) {
    o.message = e.what();
  } catch (...) {
    o.message = "(not a std::exception)";
  }
  return o;
}

std::string expand_prefix(const std::string& pattern, const std::string& tag, std::size_t index) {
  if (pattern.find('{') == std::string::npos) return pattern;
  return fmt::format(fmt::runtime(pattern), fmt::arg("tag", tag), fmt::arg("index", index));
}

void flush_standard_streams() {
  std::cout.flush();
  std::cerr.flush();
  std::fflush(stdout);
  std::fflush(stderr);
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
  prefix_ = expand_prefix(options_.prefix, context_.tag, i);
  logging::reset_to_pristine();
  delivery_->prefix().set_prefix(prefix_);
  delivery_->tail().clear();
  logging::Logger& root = logging::get_logger();
  root.set_handlers(root_handlers_);
  root.set_level(level_);
  logging::set_task(context_.tag, static_cast<std::int64_t>(i));
  try {
    if (options_.configure_task) options_.configure_task(context_);
    table_.run(i, out);
  } catch (...) {
    outcome = describe_current_exception();
  }
  flush_standard_streams();
  logging::clear_task();
  logging::reset_to_pristine();
  return outcome;
}

}  // namespace prun::pool::detail
