#pragma once
// Python's value formatting as logging's format styles use it, ported rule by rule so that prun
// renders what CPython 3.11 renders: str(), repr() and floats (python_format.cpp), the `%`
// operator's conversions (percent_format.cpp, after Objects/unicodeobject.c) and the
// format-spec mini-language of str.format() (format_spec.cpp, after Python/formatter_unicode.c).
// Errors are std::invalid_argument with CPython's message.

#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace prun::logging::detail {

/// The Python type of a value while formatting.
enum class Kind : std::uint8_t { text = 1, integer = 2, real = 4, none = 8 };
/// A set of kinds (a bit mask): what a field may hold before the record is known.
using Kinds = std::uint8_t;
constexpr Kinds kinds(Kind k) noexcept { return static_cast<Kinds>(k); }

/// A value to format: a str, an int, a float or None.
struct Arg {
  Kind kind = Kind::text;
  std::string_view text;
  std::int64_t integer = 0;
  double real = 0;
};

/// "str", "int", "float" or "NoneType".
std::string_view type_name(Kind kind) noexcept;

/// str(v) and repr(v) / ascii(v).
void python_str(const Arg& v, fmt::memory_buffer& out);
void python_repr(const Arg& v, bool ascii, fmt::memory_buffer& out);

/// PyOS_double_to_string: `type` is one of e E f F g G, or 'r' for repr's shortest digits.
inline constexpr unsigned kAlt = 1, kAddDot0 = 2;
void double_to_string(double v, char type, int precision, unsigned flags, fmt::memory_buffer& out);

/// One `%(key)...` conversion of the `%` operator.
struct PercentSpec {
  bool ljust = false, sign = false, blank = false, alt = false, zero = false;
  int width = -1, precision = -1;
  char conversion = 's';
};
/// The error `%<conversion>` raises for a value of `kind` whatever its value, or "".
std::string percent_kind_error(char conversion, Kind kind);
/// Appends `spec % v`; throws std::invalid_argument as Python raises TypeError/ValueError.
void percent_format(const PercentSpec& spec, const Arg& v, fmt::memory_buffer& out);

/// A parsed format spec: [[fill]align][sign][#][0][width][,|_][.precision][type].
struct FormatSpec {
  std::uint32_t fill = ' ';
  bool fill_given = false;
  char align = 0;  // 0: the type's default
  char sign = 0;
  bool alt = false;
  bool zero = false;
  std::int64_t width = -1;
  char grouping = 0;
  std::int64_t precision = -1;
  std::uint32_t type = 0;  // 0: none given
};
/// Parses a non-empty spec as CPython does; throws std::invalid_argument.
FormatSpec parse_format_spec(std::string_view spec);
/// The error format(v, spec) raises for a value of `kind` whatever its value, or "".
std::string format_kind_error(const FormatSpec& spec, Kind kind);
/// Appends format(v, spec) for a non-empty spec; throws std::invalid_argument.
void format_value(const Arg& v, const FormatSpec& spec, fmt::memory_buffer& out);

// ---- helpers the three files share ----

/// Appends `n` copies of `fill` (nothing when n <= 0).
void repeat(std::uint32_t fill, std::int64_t n, fmt::memory_buffer& out);
/// The digits of `magnitude` in `base`, written into `buf`.
std::string_view to_base(std::uint64_t magnitude, int base, char* buf, std::size_t size) noexcept;
/// The error a UTF-8 stream gives for a surrogate code point.
std::string surrogate_error(std::uint32_t code_point);
[[noreturn]] void fail(std::string message);

/// Whether `spec` is one logging's '{' style accepts (StrFormatStyle.fmt_spec); `{name}` for a
/// nested width or precision is accepted too.
bool logging_accepts_spec(std::string_view spec);

}  // namespace prun::logging::detail
