#include <prun/logging/config.hpp>
#include <prun/logging/file_handler.hpp>
#include <prun/logging/logger.hpp>
#include <prun/logging/scoped_root_reset.hpp>
#include <prun/logging/stream_handler.hpp>

#include <unistd.h>

#include <stdexcept>

namespace prun::logging {

void basic_config(const BasicConfig& c) {
  Logger& root = get_logger();
  // In a prun task the root holds the task's delivery to the parent, which stands for the
  // parent's configuration: the root is as a fresh child's, and basic_config configures it.
  std::vector<HandlerPtr> deliveries;
  bool has_own = false;
  for (const HandlerPtr& h : root.handlers()) {
    if (h->is_task_delivery()) {
      deliveries.push_back(h);
    } else if (c.force) {
      root.remove_handler(h);
      h->close();
    } else {
      has_own = true;
    }
  }
  if (has_own) return;
  const bool has_stream = c.stream_fd || c.stream;
  const bool has_file = !c.filename.empty();
  if (!c.handlers.given() && (c.stream_fd && c.stream))
    throw std::invalid_argument("basic_config: 'stream_fd' and 'stream' should not be specified together");
  if (!c.handlers.given() && has_stream && has_file)
    throw std::invalid_argument("basic_config: 'stream' and 'filename' should not be specified together");
  if (c.handlers.given() && (has_stream || has_file))
    throw std::invalid_argument("basic_config: 'stream' or 'filename' should not be specified together with 'handlers'");
  std::vector<HandlerPtr> handlers = c.handlers.list();
  if (!c.handlers.given()) {
    if (has_file) handlers.push_back(std::make_shared<FileHandler>(c.filename, c.filemode));
    else if (c.stream) handlers.push_back(std::make_shared<StreamHandler>(*c.stream));
    else handlers.push_back(std::make_shared<StreamHandler>(c.stream_fd.value_or(STDERR_FILENO)));
  }
  const char* default_format = c.style == Formatter::Style::brace    ? "{levelname}:{name}:{message}"
                               : c.style == Formatter::Style::dollar ? "${levelname}:${name}:${message}"
                                                                     : "%(levelname)s:%(name)s:%(message)s";
  auto formatter = std::make_shared<const Formatter>(c.format.value_or(default_format), c.datefmt, c.style);
  for (const HandlerPtr& h : handlers) {
    if (!h->formatter()) h->set_formatter(formatter);
    root.add_handler(h);
  }
  if (c.level) root.set_level(*c.level);
  // The task now writes its records where its configuration says, as a fresh child would.
  if (!handlers.empty())
    for (const HandlerPtr& d : deliveries) d->task_root_configured();
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
