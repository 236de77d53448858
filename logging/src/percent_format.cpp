// The % operator's conversions, as Objects/unicodeobject.c applies them (see python_format.hpp).
#include "python_format.hpp"

#include "text.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

namespace prun::logging::detail {

namespace {

bool is_int_conversion(char c) { return c == 'd' || c == 'i' || c == 'u' || c == 'o' || c == 'x' || c == 'X'; }
bool is_float_conversion(char c) {
  return c == 'e' || c == 'E' || c == 'f' || c == 'F' || c == 'g' || c == 'G';
}

// _PyUnicode_FormatLong: sign, "0x"/"0o" when alternate, at least `precision` digits.
void format_long(bool negative, std::string_view magnitude, char type, bool alt, int precision,
                 fmt::memory_buffer& out) {
  if (negative) out.push_back('-');
  if (alt && (type == 'o' || type == 'x' || type == 'X')) {
    out.push_back('0');
    out.push_back(type == 'o' ? 'o' : type);
  }
  repeat('0', precision - static_cast<std::int64_t>(magnitude.size()), out);
  const std::size_t at = out.size();
  put(out, magnitude);
  if (type == 'X')
    for (std::size_t k = at; k < out.size(); ++k)
      if (out.data()[k] >= 'a' && out.data()[k] <= 'f') out.data()[k] = static_cast<char>(out.data()[k] - 'a' + 'A');
}

// unicode_format_arg_output: padding, sign and the 0x prefix around a converted value.
void percent_output(const PercentSpec& a, bool numeric, std::string_view str, fmt::memory_buffer& out) {
  const char fill = numeric && a.zero ? '0' : ' ';
  std::int64_t len = numeric ? static_cast<std::int64_t>(str.size()) : static_cast<std::int64_t>(char_count(str));
  std::int64_t width = a.width;
  if ((width == -1 || width <= len) && (a.precision == -1 || a.precision >= len) && !(a.sign || a.blank)) {
    put(out, str);
    return;
  }
  const char c = a.conversion;
  if ((c == 's' || c == 'r' || c == 'a') && a.precision >= 0 && len > a.precision) len = a.precision;
  std::size_t pindex = 0;
  char signchar = 0;
  bool sign = numeric;
  if (sign) {
    if (str[0] == '-' || str[0] == '+') {
      signchar = str[0];
      --len;
      ++pindex;
    } else if (a.sign) signchar = '+';
    else if (a.blank) signchar = ' ';
    else sign = false;
  }
  if (width < len) width = len;
  if (sign) {
    if (fill != ' ') out.push_back(signchar);
    if (width > len) --width;
  }
  const bool prefix = a.alt && (c == 'x' || c == 'X' || c == 'o');
  if (prefix) {
    if (fill != ' ') {
      put(out, str.substr(pindex, 2));
      pindex += 2;
    }
    width = std::max<std::int64_t>(width - 2, 0);
    len -= 2;
  }
  if (width > len && !a.ljust) {
    repeat(static_cast<unsigned char>(fill), width - len, out);
    width = len;
  }
  if (fill == ' ') {
    if (sign) out.push_back(signchar);
    if (prefix) {
      put(out, str.substr(pindex, 2));
      pindex += 2;
    }
  }
  put(out, numeric ? str.substr(pindex, static_cast<std::size_t>(len))
                   : char_prefix(str.substr(pindex), static_cast<std::size_t>(len)));
  if (width > len) repeat(' ', width - len, out);
}

}  // namespace

std::string percent_kind_error(char c, Kind kind) {
  if (is_int_conversion(c)) {
    const bool needs_int = c == 'o' || c == 'x' || c == 'X';
    if (kind == Kind::text || kind == Kind::none || (needs_int && kind == Kind::real))
      return fmt::format("%{} format: {} is required, not {}", c, needs_int ? "an integer" : "a real number",
                         type_name(kind));
  } else if (is_float_conversion(c)) {
    if (kind == Kind::text || kind == Kind::none) return fmt::format("must be real number, not {}", type_name(kind));
  } else if (c == 'c') {
    if (kind == Kind::real || kind == Kind::none) return "%c requires int or char";
  }
  return {};
}

void percent_format(const PercentSpec& a, const Arg& v, fmt::memory_buffer& out) {
  if (std::string e = percent_kind_error(a.conversion, v.kind); !e.empty()) fail(std::move(e));
  fmt::memory_buffer str;
  bool numeric = false;
  const char c = a.conversion;
  if (c == 's' || c == 'r' || c == 'a') {
    if (v.kind == Kind::integer && a.width == -1 && a.precision == -1) { python_str(v, out); return; }
    if (c == 's') {
      if (v.kind == Kind::text) { percent_output(a, false, v.text, out); return; }
      python_str(v, str);
    } else {
      python_repr(v, c == 'a', str);
    }
  } else if (is_int_conversion(c)) {
    char buf[80];
    std::string big;
    std::string_view magnitude;
    bool negative = false;
    if (v.kind == Kind::integer) {
      negative = v.integer < 0;
      const std::uint64_t mag = negative ? 0 - static_cast<std::uint64_t>(v.integer) : static_cast<std::uint64_t>(v.integer);
      magnitude = to_base(mag, c == 'o' ? 8 : (c == 'x' || c == 'X') ? 16 : 10, buf, sizeof buf);
    } else {  // int(float): truncation, exact for any magnitude
      if (std::isnan(v.real)) fail("cannot convert float NaN to integer");
      if (std::isinf(v.real)) fail("cannot convert float infinity to integer");
      const double t = std::trunc(v.real);
      negative = t < 0;
      big.resize(static_cast<std::size_t>(std::snprintf(nullptr, 0, "%.0f", std::fabs(t))) + 1);
      std::snprintf(big.data(), big.size(), "%.0f", std::fabs(t));
      big.pop_back();
      magnitude = big;
    }
    format_long(negative, magnitude, c, a.alt, a.precision, str);
    numeric = true;
  } else if (is_float_conversion(c)) {
    const double x = v.kind == Kind::real ? v.real : static_cast<double>(v.integer);
    if (a.width == -1 && a.precision == -1 && !(a.sign || a.blank)) {
      double_to_string(x, c, 6, a.alt ? kAlt : 0, out);
      return;
    }
    double_to_string(x, c, a.precision < 0 ? 6 : a.precision, a.alt ? kAlt : 0, str);
    numeric = true;
  } else if (c == 'c') {
    std::int64_t cp = 0;
    if (v.kind == Kind::text) {
      cp = single_char(v.text);
      if (cp < 0)
        fail(fmt::format("%c requires an int or a unicode character, not a string of length {}", char_count(v.text)));
    } else {
      cp = v.integer;
      if (cp < 0 || cp > 0x10FFFF) fail("%c arg not in range(0x110000)");
      if (cp >= 0xD800 && cp <= 0xDFFF) fail(surrogate_error(static_cast<std::uint32_t>(cp)));
    }
    append_utf8(static_cast<std::uint32_t>(cp), str);
  } else {
    fail(fmt::format("unsupported format character '{}' (0x{:x})", c >= 31 && c <= 126 ? c : '?',
                     static_cast<unsigned char>(c)));
  }
  percent_output(a, numeric, {str.data(), str.size()}, out);
}

}  // namespace prun::logging::detail
