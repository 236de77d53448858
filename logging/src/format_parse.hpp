#pragma once
// How Formatter reads its format string: the three styles of Python's logging, parsed once into
// segments (literal text and fields) with every check that does not depend on a record.

#include <prun/logging/formatter.hpp>

#include "python_format.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace prun::logging::detail {

/// A record attribute a field names; `extra` looks the key up in the record's extras, then in
/// the formatter's defaults.
enum class Attr : std::uint8_t {
  name, levelno, levelname, pathname, filename, module, lineno, funcName, created, msecs,
  relativeCreated, asctime, thread, threadName, process, processName, message, exc_text,
  taskName, task, taskIndex, worker, attempt, extra
};

/// A key resolved against the standard attributes: which one, and the kinds its value can have.
struct FieldRef {
  Attr attr = Attr::extra;
  Kinds kinds = 0;
  std::string key;  // for Attr::extra
};

/// One piece of a `{`-style spec that names another field (`{message:>{width}}`).
struct SpecPart {
  std::string literal;
  bool is_field = false;
  FieldRef field;
};

}  // namespace prun::logging::detail

namespace prun::logging {

struct Formatter::Segment {
  bool is_field = false;
  std::string literal;
  detail::FieldRef field;
  bool simple = false;  // the value's str() as it is: no conversion, no spec
  // '%' style
  detail::PercentSpec percent;
  // '{' style
  char conversion = 0;  // 'r', 's', 'a' or 0
  bool has_spec = false;
  detail::FormatSpec spec;
  std::vector<detail::SpecPart> spec_parts;  // a spec with nested fields, expanded per record
};

}  // namespace prun::logging

namespace prun::logging::detail {

using Segments = std::vector<Formatter::Segment>;

/// Parses `fmt` in `style`. Throws std::invalid_argument for what Python's Formatter refuses
/// and for what would fail for every record (see docs/logging.md, "Differences from Python").
Segments parse_format(std::string_view fmt, Formatter::Style style);

/// The style's default format ("%(message)s", "{message}", "${message}").
std::string_view default_format(Formatter::Style style) noexcept;

}  // namespace prun::logging::detail
