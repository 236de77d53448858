#pragma once
/// FormatterBase: the abstract interface a handler formats records through.

#include <prun/logging/record.hpp>

#include <fmt/format.h>

#include <memory>
#include <string>

namespace prun::logging {

/// Turns a record into text. Handlers hold one through a FormatterPtr; prun provides Formatter
/// (Python's `%(name)s` layouts) and JsonFormatter (one JSON object per line). Derive from it
/// for your own layout: format() may be called from several threads at once, so keep it const.
class FormatterBase {
 public:
  virtual ~FormatterBase();
  FormatterBase(const FormatterBase&) = delete;
  FormatterBase& operator=(const FormatterBase&) = delete;

  /// Appends the record's text, without a line terminator, to `out`. Throws
  /// std::invalid_argument when this record cannot be formatted; a handler reports that as
  /// "--- Logging error ---" on stderr and goes on, as Python's Handler.handleError does.
  virtual void format(const Record& record, fmt::memory_buffer& out) const = 0;
  /// The same, as a string.
  std::string format(const Record& record) const;

 protected:
  FormatterBase() = default;
};

/// How handlers hold their formatter: shared and immutable.
using FormatterPtr = std::shared_ptr<const FormatterBase>;

}  // namespace prun::logging
