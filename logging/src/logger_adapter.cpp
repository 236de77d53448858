#include <prun/logging/logger_adapter.hpp>

namespace prun::logging {

void LoggerAdapter::process(std::string& message, Extra& extra) const {
  if (!prefix_.empty()) message.insert(0, prefix_);
  for (const auto& [key, value] : extra_.items())
    if (!extra.find(key)) extra.set(key, value);
}

void LoggerAdapter::log_impl(int level, const std::source_location& loc, fmt::string_view f,
                             fmt::format_args args, Extra* extra, bool exc_info) {
  std::string message = fmt::vformat(f, args);
  Extra call = extra ? std::move(*extra) : Extra{};
  call.with_exc_info(exc_info);
  process(message, call);
  logger_->log_message(level, std::move(message), &call, loc);
}

}  // namespace prun::logging
