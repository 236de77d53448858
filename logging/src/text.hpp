#pragma once
// Text helpers that reproduce Python's str/repr rules for the formatter.

#include <fmt/format.h>

#include <cstdint>
#include <string_view>

namespace prun::logging::detail {

/// Number of code points in UTF-8 text (what Python's len() counts).
std::size_t utf8_length(std::string_view s) noexcept;
/// The first `n` code points of `s`.
std::string_view utf8_prefix(std::string_view s, std::size_t n) noexcept;
void append_utf8(std::uint32_t code_point, fmt::memory_buffer& out);

/// repr() of a float: shortest round-trip digits, "417.0" rather than "417", "inf", "1e+16".
void python_float_repr(double v, fmt::memory_buffer& out);
/// repr() (or ascii()) of a str: quotes and escapes as CPython chooses them.
void python_str_repr(std::string_view s, bool ascii, fmt::memory_buffer& out);

/// "/a/b/mod.cpp" -> "mod.cpp"; and -> "mod" (Python's filename and module).
std::string_view basename(std::string_view path) noexcept;
std::string_view module_name(std::string_view path) noexcept;
/// "int ns::Cls::run(int) const" -> "run"; lambdas give "<lambda>".
std::string_view function_name(std::string_view signature);

/// True once add_level_name() has been called (the fast path for standard names is then off).
bool level_names_customised() noexcept;

}  // namespace prun::logging::detail
