#include "python_format.hpp"

#include "text.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

namespace prun::logging::detail {

void repeat(std::uint32_t fill, std::int64_t n, fmt::memory_buffer& out) {
  if (n <= 0) return;
  if (fill < 0x80) {
    const std::size_t at = out.size();
    out.resize(at + static_cast<std::size_t>(n));
    std::memset(out.data() + at, static_cast<int>(fill), static_cast<std::size_t>(n));
    return;
  }
  for (std::int64_t k = 0; k < n; ++k) append_utf8(fill, out);
}

std::string_view to_base(std::uint64_t magnitude, int base, char* buf, std::size_t size) noexcept {
  auto r = std::to_chars(buf, buf + size, magnitude, base);
  return {buf, static_cast<std::size_t>(r.ptr - buf)};
}

std::string surrogate_error(std::uint32_t cp) {
  return fmt::format("'utf-8' codec can't encode character '\\u{:04x}': surrogates not allowed", cp);
}

void fail(std::string message) { throw std::invalid_argument(std::move(message)); }

namespace {

// Gay's dtoa result: value = 0.<digits> * 10^decpt; `digits` has no trailing zeros.
struct Digits {
  std::string digits;
  int decpt = 0;
};

std::string printf_double(const char* spec, int precision, double a) {
  char small[128];
  int n = std::snprintf(small, sizeof small, spec, precision, a);
  if (n >= 0 && static_cast<std::size_t>(n) < sizeof small) return std::string(small, static_cast<std::size_t>(n));
  std::string big(static_cast<std::size_t>(n) + 1, '\0');
  std::snprintf(big.data(), big.size(), spec, precision, a);
  big.pop_back();
  return big;
}

// mode 0: shortest round trip; 2: `ndigits` significant digits; 3: `ndigits` after the point.
// The digits come from correctly rounded conversions (to_chars, glibc's printf), as dtoa's do.
void dtoa(double a, int mode, int ndigits, Digits& d) {
  if (a == 0) {
    d.digits = "0";
    d.decpt = 1;
    return;
  }
  std::string s;
  if (mode == 0) {
    char tmp[64];
    auto r = std::to_chars(tmp, tmp + sizeof tmp, a, std::chars_format::scientific);
    s.assign(tmp, r.ptr);
  } else {
    s = printf_double(mode == 2 ? "%.*e" : "%.*f", mode == 2 ? ndigits - 1 : ndigits, a);
  }
  d.digits.clear();
  if (mode != 3) {  // d[.ddd]e±XX
    const std::size_t e = s.find('e');
    for (std::size_t k = 0; k < e; ++k)
      if (s[k] != '.') d.digits.push_back(s[k]);
    int exp = 0;
    std::from_chars(s.data() + e + (s[e + 1] == '+' ? 2 : 1), s.data() + s.size(), exp);
    d.decpt = exp + 1;
  } else {  // ddd.ddd
    const std::size_t point = s.find('.');
    const std::size_t first = s.find_first_not_of("0.");
    if (first == std::string::npos) {  // rounds to zero: no digits at all
      d.decpt = -ndigits;
      return;
    }
    const std::size_t int_digits = point == std::string::npos ? s.size() : point;
    d.decpt = first < int_digits ? static_cast<int>(int_digits - first) : -static_cast<int>(first - int_digits - 1);
    for (std::size_t k = first; k < s.size(); ++k)
      if (s[k] != '.') d.digits.push_back(s[k]);
  }
  while (d.digits.size() > 1 && d.digits.back() == '0') d.digits.pop_back();
}

// format_float_short of Python/pystrtod.c.
void format_float_short(double v, char code, int mode, int precision, bool add_dot_0, bool alt,
                        bool upper, fmt::memory_buffer& out) {
  Digits d;
  dtoa(std::fabs(v), mode, precision, d);
  const bool negative = std::signbit(v);
  const auto digits_len = static_cast<std::int64_t>(d.digits.size());
  std::int64_t decpt = d.decpt;
  std::int64_t vdigits_end = digits_len;
  bool use_exp = false;
  switch (code) {
    case 'e': use_exp = true; vdigits_end = precision; break;
    case 'f': vdigits_end = decpt + precision; break;
    case 'g':
      if (decpt <= -4 || decpt > (add_dot_0 ? precision - 1 : precision)) use_exp = true;
      if (alt) vdigits_end = precision;
      break;
    default:  // 'r'
      if (decpt <= -4 || decpt > 16) use_exp = true;
      break;
  }
  std::int64_t exp = 0;
  if (use_exp) {
    exp = decpt - 1;
    decpt = 1;
  }
  const std::int64_t vdigits_start = decpt <= 0 ? decpt - 1 : 0;
  if (!use_exp && add_dot_0) vdigits_end = std::max(vdigits_end, decpt + 1);
  else vdigits_end = std::max(vdigits_end, decpt);

  const std::size_t start = out.size();
  if (negative) out.push_back('-');
  if (decpt <= 0) {
    repeat('0', decpt - vdigits_start, out);
    out.push_back('.');
    repeat('0', -decpt, out);
  } else {
    repeat('0', -vdigits_start, out);
  }
  if (0 < decpt && decpt <= digits_len) {
    put(out, std::string_view(d.digits).substr(0, static_cast<std::size_t>(decpt)));
    out.push_back('.');
    put(out, std::string_view(d.digits).substr(static_cast<std::size_t>(decpt)));
  } else {
    put(out, d.digits);
  }
  if (digits_len < decpt) {
    repeat('0', decpt - digits_len, out);
    out.push_back('.');
    repeat('0', vdigits_end - decpt, out);
  } else {
    repeat('0', vdigits_end - digits_len, out);
  }
  if (out.size() > start && out.data()[out.size() - 1] == '.' && !alt) out.resize(out.size() - 1);
  if (use_exp) {
    out.push_back(upper ? 'E' : 'e');
    fmt::format_to(std::back_inserter(out), "{}{:02}", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
  }
}

}  // namespace

void double_to_string(double v, char type, int precision, unsigned flags, fmt::memory_buffer& out) {
  const bool upper = type == 'E' || type == 'F' || type == 'G';
  if (std::isnan(v)) { put(out, upper ? "NAN" : "nan"); return; }
  if (std::isinf(v)) {
    if (v < 0) out.push_back('-');
    put(out, upper ? "INF" : "inf");
    return;
  }
  const bool alt = flags & kAlt, dot0 = flags & kAddDot0;
  switch (type) {
    case 'e': case 'E': format_float_short(v, 'e', 2, precision + 1, dot0, alt, upper, out); break;
    case 'f': case 'F': format_float_short(v, 'f', 3, precision, dot0, alt, upper, out); break;
    case 'g': case 'G': format_float_short(v, 'g', 2, precision == 0 ? 1 : precision, dot0, alt, upper, out); break;
    default: format_float_short(v, 'r', 0, 0, dot0, alt, false, out); break;
  }
}

std::string_view type_name(Kind kind) noexcept {
  switch (kind) {
    case Kind::text: return "str";
    case Kind::integer: return "int";
    case Kind::real: return "float";
    case Kind::none: return "NoneType";
  }
  return "object";
}

void python_str(const Arg& v, fmt::memory_buffer& out) {
  switch (v.kind) {
    case Kind::text: put(out, v.text); break;
    case Kind::integer: {
      fmt::format_int digits(v.integer);
      put(out, {digits.data(), digits.size()});
      break;
    }
    case Kind::real: python_float_repr(v.real, out); break;
    case Kind::none: put(out, "None"); break;
  }
}

void python_repr(const Arg& v, bool ascii, fmt::memory_buffer& out) {
  if (v.kind == Kind::text) python_str_repr(v.text, ascii, out);
  else python_str(v, out);
}

}  // namespace prun::logging::detail
