#include <prun/logging/config.hpp>
#include <prun/logging/logger.hpp>
#include <prun/logging/stream_handler.hpp>

#include <unistd.h>

#include <stdexcept>

namespace prun::logging {

void basic_config(const BasicConfig& c) {
  Logger& root = get_logger();
  if (c.force) {
    for (const HandlerPtr& h : root.handlers()) {
      root.remove_handler(h);
      h->close();
    }
  }
  if (root.has_handlers()) return;
  const int destinations = (c.stream_fd ? 1 : 0) + (c.stream ? 1 : 0) + (c.filename.empty() ? 0 : 1);
  if (destinations > 1)
    throw std::invalid_argument("basic_config: 'stream' and 'filename' should not be specified together");
  if (!c.handlers.empty() && destinations > 0)
    throw std::invalid_argument("basic_config: 'stream' or 'filename' should not be specified together with 'handlers'");
  std::vector<HandlerPtr> handlers = c.handlers;
  if (handlers.empty()) {
    if (!c.filename.empty()) handlers.push_back(std::make_shared<FileHandler>(c.filename, c.filemode));
    else if (c.stream) handlers.push_back(std::make_shared<StreamHandler>(*c.stream));
    else handlers.push_back(std::make_shared<StreamHandler>(c.stream_fd.value_or(STDERR_FILENO)));
  }
  auto formatter = std::make_shared<const Formatter>(c.format, c.datefmt, c.style);
  for (const HandlerPtr& h : handlers) {
    if (!h->formatter()) h->set_formatter(formatter);
    root.add_handler(h);
  }
  if (c.level) root.set_level(*c.level);
}

RootState RootState::capture() {
  Logger& root = get_logger();
  return RootState{root.handlers(), root.filters(), root.level()};
}

void RootState::apply() const {
  Logger& root = get_logger();
  root.set_handlers(handlers);
  root.set_filters(filters);
  root.set_level(level);
}

ScopedRootReset::ScopedRootReset() : saved_(RootState::capture()) { RootState::pristine().apply(); }

ScopedRootReset::~ScopedRootReset() { saved_.apply(); }

}  // namespace prun::logging
