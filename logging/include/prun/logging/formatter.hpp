#pragma once
/// Turns a record into text with Python's `%(name)s` (or `{name}`) format strings.

#include <prun/logging/record.hpp>

#include <fmt/format.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace prun::logging {

/// Python's logging.Formatter, rendering exactly as CPython does.
///
/// Attributes: name levelno levelname pathname filename module lineno funcName created msecs
/// relativeCreated asctime thread threadName process processName message, prun's task and
/// taskIndex, and any extra attribute named in `defaults` (a record's own extra value wins).
/// The format is parsed once, in the constructor; an unknown attribute or a conversion that
/// cannot apply to it throws std::invalid_argument naming the key. Immutable, so thread-safe.
class Formatter {
 public:
  enum class Style { percent, brace };
  using Defaults = std::vector<std::pair<std::string, Value>>;

  explicit Formatter(std::string fmt = "%(message)s", std::string datefmt = {},
                     Style style = Style::percent, Defaults defaults = {});
  virtual ~Formatter();
  Formatter(const Formatter&) = delete;
  Formatter& operator=(const Formatter&) = delete;

  /// Appends the record's text (no trailing newline) to `out`.
  virtual void format(const Record& record, fmt::memory_buffer& out) const;
  std::string format(const Record& record) const;

  /// Python's formatTime: "2026-11-21 08:41:50,417" by default, else strftime(datefmt).
  virtual void format_time(const Record& record, fmt::memory_buffer& out) const;

  /// Render times in UTC instead of local time (Python: converter = time.gmtime).
  void set_utc(bool utc) noexcept { utc_ = utc; }

  const std::string& fmt() const noexcept { return fmt_; }
  const std::string& datefmt() const noexcept { return datefmt_; }
  bool uses_time() const noexcept { return uses_time_; }

  struct Segment;

 private:
  std::string fmt_;
  std::string datefmt_;
  Style style_;
  Defaults defaults_;
  bool uses_time_ = false;
  bool utc_ = false;
  std::vector<Segment> segments_;
};

using FormatterPtr = std::shared_ptr<const Formatter>;

/// The formatter handlers use when none is set: "%(message)s".
const FormatterPtr& default_formatter();

}  // namespace prun::logging
