#pragma once
#include <prun/logging/logger.hpp>

#include <mutex>
#include <shared_mutex>

namespace prun::logging {

template <typename HandlersOf>
void call_handlers_with(Logger& logger, Record& record, HandlersOf&& handlers_of) {
  std::size_t found = 0;
  {
    std::shared_lock lock(detail::config_lock());
    for (Logger* c = &logger; c != nullptr;) {
      for (const HandlerPtr& h : handlers_of(*c)) {
        ++found;
        if (record.levelno >= h->level()) h->handle(record);
      }
      c = c->propagate() ? c->parent() : nullptr;
    }
  }
  if (found == 0 && record.levelno >= last_resort().level()) last_resort().handle(record);
}

}  // namespace prun::logging
