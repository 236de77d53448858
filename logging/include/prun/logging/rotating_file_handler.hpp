#pragma once
/// RotatingFileHandler: a FileHandler that starts a new file at a size limit.

#include <prun/logging/file_handler.hpp>

#include <cstddef>
#include <string>

namespace prun::logging {

/// Python's logging.handlers.RotatingFileHandler: when the next record would bring the file to
/// `max_bytes` or more, renames path → path.1 → … → path.<backup_count> and starts afresh.
/// max_bytes = 0 never rotates (and a mode other than "a" is then used as given).
class RotatingFileHandler final : public FileHandler {
 public:
  RotatingFileHandler(std::string path, std::string mode = "a", std::size_t max_bytes = 0,
                      int backup_count = 0, bool delay = false);
  /// Rotates now (Python's doRollover()).
  void do_rollover();

 protected:
  void emit(const Record& record) override;

 private:
  void rollover_locked();
  std::size_t max_bytes_;
  int backup_count_;
  std::size_t file_size_ = 0;  // bytes in the file plus bytes buffered
  fmt::memory_buffer scratch_;
};

}  // namespace prun::logging
