#pragma once
/// FileHandler: writes formatted records, one per line, to a file.

#include <prun/logging/stream_handler.hpp>

#include <string>

namespace prun::logging {

/// Python's logging.FileHandler. `mode` is any mode Python's open() accepts that can write
/// text: "a" (default), "w", "x", "r+", each optionally with "+" and "t" ("a+", "w+", "x+",
/// "at"). "a" opens O_APPEND, so whole records from several processes never interleave; "w"
/// truncates; "x" fails if the file exists; "r+" writes over an existing file from its start.
/// A binary mode ("ab") or a read-only one ("r") throws std::invalid_argument (Python would
/// fail at the first record). With `delay`, the file is opened at the first record. A closed
/// handler reopens its file at the next record unless its mode is exactly "w" (as Python).
/// The descriptor is O_CLOEXEC. Errors opening it throw std::system_error.
class FileHandler : public StreamHandler {
 public:
  explicit FileHandler(std::string path, std::string mode = "a", bool delay = false);
  ~FileHandler() override;
  const std::string& path() const noexcept { return path_; }
  const std::string& mode() const noexcept { return mode_; }

 protected:
  void emit(const Record& record) override;
  void close_locked() override;
  void open_locked();
  void close_fd_locked();
  /// Opens the file first if a record must reopen it (see the class comment).
  void reopen_if_needed_locked();

  std::string path_;
  std::string mode_;
  int open_flags_ = 0;
  bool closed_ = false;
};

}  // namespace prun::logging
