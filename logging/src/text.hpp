#pragma once
// Text helpers that reproduce Python's str/repr rules for the formatters.
//
// prun's strings are bytes, usually UTF-8. Where Python counts or escapes characters, prun reads
// the bytes as Python reads undecodable bytes with the "surrogateescape" error handler (how it
// decodes file names and arguments): each byte of an ill-formed sequence is one character,
// U+DC80..U+DCFF, so widths and precisions count it once and repr() shows it as '\udcff'.

#include <fmt/format.h>

#include <cstdint>
#include <cstring>
#include <string_view>

namespace prun::logging::detail {

/// One step of strict UTF-8 decoding (Unicode's table 3-7). When `ok` is false, `size` is the
/// length of the maximal ill-formed subpart (at least 1), which Python's "replace" handler
/// turns into one U+FFFD.
struct Utf8Step {
  std::uint32_t code_point;
  std::uint32_t size;
  bool ok;
};
Utf8Step decode_utf8(std::string_view s, std::size_t at) noexcept;

/// Python's len() of `s` decoded with surrogateescape.
std::size_t char_count(std::string_view s) noexcept;
/// The first `n` characters of `s` (same counting).
std::string_view char_prefix(std::string_view s, std::size_t n) noexcept;
/// The single character of `s` (0xDC00 + byte for an undecodable byte); -1 if `s` is not one
/// character long.
std::int64_t single_char(std::string_view s) noexcept;
/// Appends `code_point` as UTF-8; a lone surrogate U+DC80..U+DCFF becomes its original byte.
void append_utf8(std::uint32_t code_point, fmt::memory_buffer& out);

/// Python's str.isprintable() for one character.
bool is_printable(std::uint32_t code_point) noexcept;
/// Whether the regex \w matches the character (Python's rules, Unicode-aware).
bool is_word_char(std::uint32_t code_point) noexcept;

/// repr() of a float: shortest round-trip digits, "417.0" rather than "417", "inf", "1e+16".
void python_float_repr(double v, fmt::memory_buffer& out);
/// The same into `p`, which has room for kFloatReprMax bytes; returns the end.
inline constexpr std::size_t kFloatReprMax = 32;
char* python_float_repr(double v, char* p) noexcept;
/// repr() (or ascii()) of a str: quotes and escapes as CPython chooses them.
void python_str_repr(std::string_view s, bool ascii, fmt::memory_buffer& out);

/// "/a/b/mod.cpp" -> "mod.cpp" (Python's filename: os.path.basename).
std::string_view basename(std::string_view path) noexcept;
/// "/a/b/mod.cpp" -> "mod", "/etc/.bashrc" -> ".bashrc" (os.path.splitext of the basename).
std::string_view module_name(std::string_view path) noexcept;
/// "int ns::Cls::run(int) const" -> "run"; lambdas give "<lambda>". The view stays valid until
/// the thread's next call with another signature.
std::string_view function_name(std::string_view signature);

/// True once add_level_name() has been called (the fast path for standard names is then off).
bool level_names_customised() noexcept;
/// A record's levelname: a standard name without a lookup, else level_name(), kept in `storage`.
std::string_view levelname_of(int levelno, fmt::memory_buffer& storage);

// fmt's buffer::append takes a generic path per call; a record is a dozen small pieces.
inline void put(fmt::memory_buffer& out, std::string_view s) {
  const std::size_t n = out.size();
  out.resize(n + s.size());
  if (!s.empty()) std::memcpy(out.data() + n, s.data(), s.size());
}

}  // namespace prun::logging::detail
