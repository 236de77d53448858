#include <prun/logging/capture_handler.hpp>

#include <mutex>

namespace prun::logging {

std::vector<Record> CaptureHandler::records() const {
  std::lock_guard lock(mutex_);
  return records_;
}

std::vector<std::string> CaptureHandler::lines() const {
  std::lock_guard lock(mutex_);
  return lines_;
}

std::size_t CaptureHandler::size() const {
  std::lock_guard lock(mutex_);
  return records_.size();
}

void CaptureHandler::clear() {
  std::lock_guard lock(mutex_);
  records_.clear();
  lines_.clear();
}

void CaptureHandler::emit(const Record& record) {
  fmt::memory_buffer out;
  format_locked(record, out);
  lines_.push_back(fmt::to_string(out));
  records_.push_back(record);
}

}  // namespace prun::logging
