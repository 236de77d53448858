#include <prun/logging/hierarchy.hpp>

#include "process_state.hpp"

#include <algorithm>
#include <mutex>

namespace prun::logging {

using detail::all_loggers;

HierarchySnapshot HierarchySnapshot::capture_and_reset() {
  HierarchySnapshot s;
  s.root_ = RootState::capture();
  for (Logger* l : all_loggers()) {
    if (l == &get_logger() || !l->has_handlers()) continue;
    s.handlers_.emplace_back(l, l->handlers());
    l->set_handlers({});
  }
  RootState::pristine().apply();
  return s;
}

void HierarchySnapshot::restore() const {
  for (Logger* l : all_loggers())
    if (l != &get_logger() && l->has_handlers()) l->set_handlers({});
  for (const auto& [logger, handlers] : handlers_) logger->set_handlers(handlers);
  root_.apply();
}

void HierarchySnapshot::call_handlers(Record& record) const {
  Logger& start = get_logger(record.name);
  static const std::vector<HandlerPtr> none;
  call_handlers_with(start, record, [this](const Logger& l) -> const std::vector<HandlerPtr>& {
    if (&l == &get_logger()) return root_.handlers;
    for (const auto& [logger, handlers] : handlers_)
      if (logger == &l) return handlers;
    return none;
  });
}

void reset_to_pristine() {
  if (detail::nonroot_loggers_with_handlers() != 0)
    for (Logger* l : all_loggers())
      if (l != &get_logger() && l->has_handlers()) l->set_handlers({});
  Logger& root = get_logger();
  if (root.has_handlers()) root.set_handlers({});
  root.clear_filters();
  root.set_level(WARNING);
}

void detach_all_handlers() {
  for (Logger* l : all_loggers()) l->set_handlers({});
  get_logger().clear_filters();
}

}  // namespace prun::logging
