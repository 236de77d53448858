#pragma once
/// Formatter: Python's logging.Formatter, the `%(name)s` / `{name}` / `${name}` pattern layout.

#include <prun/logging/formatter_base.hpp>
#include <prun/logging/record.hpp>

#include <fmt/format.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace prun::logging {

/// Python's logging.Formatter, rendering exactly as CPython 3.11 does.
///
/// Attributes: name levelno levelname pathname filename module lineno funcName created msecs
/// relativeCreated asctime thread threadName process processName message exc_text, prun's
/// task taskIndex worker attempt, and any other key, looked up when a record is formatted in
/// the record's `extra` and then in `defaults`.
///
/// Errors: a format that Python refuses, or that would fail for every record, throws
/// std::invalid_argument from the constructor. A record without a key the format names, or
/// whose value does not fit its conversion (`%(user)d` with a text value), makes format() throw
/// std::invalid_argument: a handler then prints "--- Logging error ---", as Python does.
/// Immutable once built (set_utc() aside), so thread-safe.
class Formatter : public FormatterBase {
 public:
  enum class Style { percent, brace, dollar };
  using Defaults = std::vector<std::pair<std::string, Value>>;

  /// An empty `fmt` means the style's default: "%(message)s", "{message}" or "${message}".
  /// An empty `datefmt` means "2026-11-21 08:41:50,417".
  explicit Formatter(std::string fmt = {}, std::string datefmt = {}, Style style = Style::percent,
                     Defaults defaults = {});
  ~Formatter() override;

  using FormatterBase::format;
  /// Appends the record's text (no trailing newline) to `out`; an exception's text follows on
  /// the next line, as Python appends the traceback.
  void format(const Record& record, fmt::memory_buffer& out) const override;

  /// Python's formatTime: "2026-11-21 08:41:50,417" by default, else strftime(datefmt).
  virtual void format_time(const Record& record, fmt::memory_buffer& out) const;

  /// Render times in UTC instead of local time (Python: converter = time.gmtime). Call it
  /// before handing the formatter to a handler.
  void set_utc(bool utc) noexcept { utc_ = utc; }

  /// The format in use (the style's default when none was given), and the date format.
  const std::string& fmt() const noexcept { return fmt_; }
  const std::string& datefmt() const noexcept { return datefmt_; }
  Style style() const noexcept { return style_; }
  /// Whether the format shows %(asctime)s (Python's usesTime()).
  bool uses_time() const noexcept { return uses_time_; }

  struct Segment;

 private:
  bool format_simple(const Segment& seg, const Record& record, fmt::memory_buffer& storage,
                     fmt::memory_buffer& out) const;
  void format_field(const Segment& seg, const Record& record, fmt::memory_buffer& out) const;

  std::string fmt_;
  std::string datefmt_;
  Style style_;
  Defaults defaults_;
  bool uses_time_ = false;
  bool utc_ = false;
  std::uint64_t id_ = 0;  // keys the per-thread asctime cache
  std::vector<Segment> segments_;
};

/// The formatter handlers use when none is set: "%(message)s".
const FormatterPtr& default_formatter();

}  // namespace prun::logging
