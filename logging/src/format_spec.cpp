// The format-spec mini-language of str.format(), as Python/formatter_unicode.c applies it
// (see python_format.hpp).
#include "python_format.hpp"

#include "text.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace prun::logging::detail {

namespace {

bool is_align(std::uint32_t c) { return c == '<' || c == '>' || c == '=' || c == '^'; }

// Reads the code point at s[i], advancing i (an undecodable byte is one character).
std::uint32_t next_char(std::string_view s, std::size_t& i) {
  Utf8Step step = decode_utf8(s, i);
  if (!step.ok) return 0xDC00 + static_cast<unsigned char>(s[i++]);
  i += step.size;
  return step.code_point;
}

std::string code_repr(std::uint32_t c) {
  return c > 32 && c < 128 ? fmt::format("'{}'", static_cast<char>(c)) : fmt::format("'\\x{:x}'", c);
}

}  // namespace

FormatSpec parse_format_spec(std::string_view s) {
  FormatSpec f;
  std::size_t pos = 0;
  // [[fill]align]
  {
    std::size_t after_first = 0;
    const std::uint32_t first = next_char(s, after_first);
    std::size_t after_second = after_first;
    if (after_first < s.size() && is_align(next_char(s, after_second)) ) {
      f.fill = first;
      f.fill_given = true;
      f.align = s[after_first];
      pos = after_second;
    } else if (is_align(first)) {
      f.align = static_cast<char>(first);
      pos = after_first;
    }
  }
  auto peek = [&](char c) { return pos < s.size() && s[pos] == c; };
  if (pos < s.size() && (s[pos] == '+' || s[pos] == '-' || s[pos] == ' ')) f.sign = s[pos++];
  if (peek('#')) { f.alt = true; ++pos; }
  if (!f.fill_given && peek('0')) { f.zero = true; ++pos; }
  auto integer = [&](std::int64_t& out) {
    std::size_t start = pos;
    std::int64_t value = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (value > (INT64_MAX - 9) / 10) fail("Too many decimal digits in format string");
      value = value * 10 + (s[pos++] - '0');
    }
    if (pos > start) out = value;
    return pos > start;
  };
  integer(f.width);
  if (peek(',')) { f.grouping = ','; ++pos; }
  if (peek('_')) {
    if (f.grouping) fail("Cannot specify both ',' and '_'.");
    f.grouping = '_';
    ++pos;
  }
  if (peek(',')) fail("Cannot specify both ',' and '_'.");
  if (peek('.')) {
    ++pos;
    if (!integer(f.precision)) fail("Format specifier missing precision");
  }
  if (pos < s.size()) {
    std::size_t at = pos;
    f.type = next_char(s, at);
    if (at != s.size()) fail("Invalid format specifier");
  }
  return f;
}

std::string format_kind_error(const FormatSpec& f, Kind kind) {
  if (kind == Kind::none) return "unsupported format string passed to NoneType.__format__";
  const std::uint32_t type = f.type ? f.type : kind == Kind::text ? 's' : kind == Kind::integer ? 'd' : 0;
  if (f.grouping) {
    switch (type) {
      case 'd': case 'e': case 'f': case 'g': case 'E': case 'G': case '%': case 'F': case 0: break;
      case 'b': case 'o': case 'x': case 'X':
        if (f.grouping == '_') break;
        [[fallthrough]];
      default: return fmt::format("Cannot specify ',' with {}.", code_repr(type));
    }
  }
  auto unknown = [&] {
    return fmt::format("Unknown format code {} for object of type '{}'",
                       type > 32 && type < 128 ? fmt::format("'{}'", static_cast<char>(type)) : fmt::format("'\\x{:x}'", type),
                       type_name(kind));
  };
  switch (kind) {
    case Kind::text:
      if (type != 's') return unknown();
      if (f.sign) return f.sign == ' ' ? "Space not allowed in string format specifier" : "Sign not allowed in string format specifier";
      if (f.alt) return "Alternate form (#) not allowed in string format specifier";
      if (f.align == '=') return "'=' alignment not allowed in string format specifier";
      return {};
    case Kind::integer:
      switch (type) {
        case 'b': case 'c': case 'd': case 'o': case 'x': case 'X': case 'n':
          if (f.precision != -1) return "Precision not allowed in integer format specifier";
          if (type == 'c' && f.sign) return "Sign not allowed with integer format specifier 'c'";
          if (type == 'c' && f.alt) return "Alternate form (#) not allowed with integer format specifier 'c'";
          return {};
        case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': case '%': return {};
        default: return unknown();
      }
    case Kind::real:
      switch (type) {
        case 0: case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': case 'n': case '%': return {};
        default: return unknown();
      }
    case Kind::none: break;
  }
  return {};
}

namespace {

// _PyUnicode_InsertThousandsGrouping: digits with separators, zero-padded to `min_width`.
void grouped_digits(std::string_view digits, std::int64_t min_width, char sep, int group, fmt::memory_buffer& out) {
  struct Piece {
    std::int64_t zeros;
    std::string_view chars;
    bool sep;
  };
  std::vector<Piece> pieces;
  auto add = [&](Piece p) { pieces.push_back(p); };
  std::int64_t remaining = static_cast<std::int64_t>(digits.size());
  bool use_sep = false, broken = false;
  if (sep) {
    for (;;) {
      std::int64_t l = std::min<std::int64_t>(group, std::max<std::int64_t>(std::max(remaining, min_width), 1));
      const std::int64_t zeros = std::max<std::int64_t>(0, l - remaining);
      const std::int64_t chars = std::max<std::int64_t>(0, std::min(remaining, l));
      add({zeros, digits.substr(static_cast<std::size_t>(remaining - chars), static_cast<std::size_t>(chars)), use_sep});
      use_sep = true;
      remaining -= chars;
      min_width -= l;
      if (remaining <= 0 && min_width <= 0) { broken = true; break; }
      min_width -= 1;
    }
  }
  if (!broken) {
    const std::int64_t l = std::max<std::int64_t>(std::max(remaining, min_width), 1);
    const std::int64_t zeros = std::max<std::int64_t>(0, l - remaining);
    const std::int64_t chars = std::max<std::int64_t>(0, std::min(remaining, l));
    add({zeros, digits.substr(static_cast<std::size_t>(remaining - chars), static_cast<std::size_t>(chars)), use_sep});
  }
  // Pieces were produced right to left; each is zeros, digits, then its separator.
  for (auto it = pieces.rbegin(); it != pieces.rend(); ++it) {
    repeat('0', it->zeros, out);
    put(out, it->chars);
    if (it->sep) out.push_back(sep);
  }
}

struct Layout {
  std::uint32_t fill;
  char align;
};

Layout layout_of(const FormatSpec& f, bool numeric) {
  Layout l;
  l.fill = f.fill_given ? f.fill : f.zero ? '0' : ' ';
  l.align = f.align ? f.align : (f.zero && numeric) ? '=' : numeric ? '>' : '<';
  return l;
}

// calc_number_widths + fill_number: [pad][sign][prefix][pad][digits][.remainder][pad].
void layout_number(const FormatSpec& f, char sign_char, std::string_view prefix, std::string_view digits,
                   bool has_decimal, std::string_view remainder, std::int64_t remainder_chars, char sep, int group,
                   fmt::memory_buffer& out) {
  const Layout l = layout_of(f, true);
  char sign = 0;
  if (f.sign == '+') sign = sign_char == '-' ? '-' : '+';
  else if (f.sign == ' ') sign = sign_char == '-' ? '-' : ' ';
  else if (sign_char == '-') sign = '-';
  const std::int64_t non_digit = (sign ? 1 : 0) + static_cast<std::int64_t>(prefix.size()) + (has_decimal ? 1 : 0) + remainder_chars;
  const std::int64_t min_width = l.fill == '0' && l.align == '=' ? f.width - non_digit : 0;
  fmt::memory_buffer grouped;
  if (!digits.empty()) grouped_digits(digits, min_width, sep, group, grouped);
  const std::int64_t padding = f.width - (non_digit + static_cast<std::int64_t>(grouped.size()));
  std::int64_t lpad = 0, spad = 0, rpad = 0;
  if (padding > 0) {
    switch (l.align) {
      case '<': rpad = padding; break;
      case '^': lpad = padding / 2; rpad = padding - lpad; break;
      case '=': spad = padding; break;
      default: lpad = padding; break;
    }
  }
  repeat(l.fill, lpad, out);
  if (sign) out.push_back(sign);
  put(out, prefix);
  repeat(l.fill, spad, out);
  put(out, {grouped.data(), grouped.size()});
  if (has_decimal) out.push_back('.');
  put(out, remainder);
  repeat(l.fill, rpad, out);
}

void format_text(std::string_view text, const FormatSpec& f, fmt::memory_buffer& out) {
  auto len = static_cast<std::int64_t>(char_count(text));
  if ((f.width == -1 || f.width <= len) && (f.precision == -1 || f.precision >= len)) {
    put(out, text);
    return;
  }
  if (f.precision >= 0 && len >= f.precision) {
    len = f.precision;
    text = char_prefix(text, static_cast<std::size_t>(len));
  }
  const Layout l = layout_of(f, false);
  const std::int64_t total = std::max(f.width, len);
  const std::int64_t lpad = l.align == '>' ? total - len : l.align == '^' ? (total - len) / 2 : 0;
  repeat(l.fill, lpad, out);
  put(out, text);
  repeat(l.fill, total - len - lpad, out);
}

void format_float(double val, const FormatSpec& f, fmt::memory_buffer& out) {
  std::uint32_t type = f.type;
  int precision = static_cast<int>(std::min<std::int64_t>(f.precision, INT32_MAX));
  int default_precision = 6;
  unsigned flags = f.alt ? kAlt : 0;
  if (type == 0) {
    flags |= kAddDot0;
    type = 'r';
    default_precision = 0;
  }
  if (type == 'n') type = 'g';
  bool pct = false;
  if (type == '%') {
    type = 'f';
    val *= 100;
    pct = true;
  }
  if (precision < 0) precision = default_precision;
  else if (type == 'r') type = 'g';
  fmt::memory_buffer buf;
  double_to_string(val, static_cast<char>(type), precision, flags, buf);
  if (pct) buf.push_back('%');
  std::string_view s(buf.data(), buf.size());
  if (f.sign != '+' && f.sign != ' ' && f.width == -1 && f.type != 'n' && !f.grouping) {
    put(out, s);
    return;
  }
  char sign_char = 0;
  if (s[0] == '-') {
    sign_char = '-';
    s.remove_prefix(1);
  }
  std::size_t n = 0;
  while (n < s.size() && s[n] >= '0' && s[n] <= '9') ++n;
  const bool has_decimal = n < s.size() && s[n] == '.';
  std::string_view remainder = s.substr(n + (has_decimal ? 1 : 0));
  const bool grouping = f.grouping && f.type != 'n';
  layout_number(f, sign_char, {}, s.substr(0, n), has_decimal, remainder,
                static_cast<std::int64_t>(remainder.size()), grouping ? f.grouping : 0, 3, out);
}

void format_int(std::int64_t v, const FormatSpec& f, fmt::memory_buffer& out) {
  const std::uint32_t type = f.type ? f.type : 'd';
  if (type == 'c') {
    if (v < 0 || v > 0x10FFFF) fail("%c arg not in range(0x110000)");
    if (v >= 0xD800 && v <= 0xDFFF) fail(surrogate_error(static_cast<std::uint32_t>(v)));
    fmt::memory_buffer ch;
    append_utf8(static_cast<std::uint32_t>(v), ch);
    layout_number(f, 0, {}, {}, false, {ch.data(), ch.size()}, 1, 0, 3, out);
    return;
  }
  const int base = type == 'b' ? 2 : type == 'o' ? 8 : (type == 'x' || type == 'X') ? 16 : 10;
  const bool negative = v < 0;
  const std::uint64_t mag = negative ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
  char buf[72];
  std::string_view digits = to_base(mag, base, buf, sizeof buf);
  if (type == 'X')
    for (std::size_t k = 0; k < digits.size(); ++k)
      if (buf[k] >= 'a' && buf[k] <= 'f') buf[k] = static_cast<char>(buf[k] - 'a' + 'A');
  std::string_view prefix;
  if (f.alt && base != 10) prefix = type == 'b' ? "0b" : type == 'o' ? "0o" : type == 'X' ? "0X" : "0x";
  char sep = type == 'n' ? 0 : f.grouping;
  const int group = f.grouping == '_' && base != 10 ? 4 : 3;
  layout_number(f, negative ? '-' : 0, prefix, digits, false, {}, 0, sep, group, out);
}

}  // namespace

void format_value(const Arg& v, const FormatSpec& f, fmt::memory_buffer& out) {
  if (std::string e = format_kind_error(f, v.kind); !e.empty()) fail(std::move(e));
  switch (v.kind) {
    case Kind::text: format_text(v.text, f, out); break;
    case Kind::real: format_float(v.real, f, out); break;
    case Kind::integer:
      switch (f.type) {
        case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': case '%':
          format_float(static_cast<double>(v.integer), f, out);
          break;
        default: format_int(v.integer, f, out); break;
      }
      break;
    case Kind::none: break;
  }
}

bool logging_accepts_spec(std::string_view s) {
  // ^(.?[<>=^])?[+ -]?#?0?(\d+|{\w+})?[,_]?(\.(\d+|{\w+}))?[bcdefgnosx%]?$ with re.IGNORECASE
  auto rest_matches = [&](std::size_t i) {
    auto at = [&](char c) { return i < s.size() && s[i] == c; };
    auto digits_or_field = [&]() {
      if (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
        return true;
      }
      if (!at('{')) return false;
      std::size_t j = i + 1, start = j;
      while (j < s.size() && s[j] != '}') {
        std::size_t k = j;
        if (!is_word_char(next_char(s, k))) return false;
        j = k;
      }
      if (j >= s.size() || j == start) return false;
      i = j + 1;
      return true;
    };
    if (i < s.size() && (s[i] == '+' || s[i] == '-' || s[i] == ' ')) ++i;
    if (at('#')) ++i;
    if (at('0')) ++i;
    digits_or_field();
    if (at(',') || at('_')) ++i;
    if (at('.')) {
      ++i;
      if (!digits_or_field()) return false;
    }
    if (i < s.size() && std::string_view("bcdefgnosx%BCDEFGNOSX").find(s[i]) != std::string_view::npos) ++i;
    return i == s.size() || (i + 1 == s.size() && s[i] == '\n');  // '$' also matches before a final newline
  };
  std::size_t after_first = 0;
  if (!s.empty()) {
    const std::uint32_t first = next_char(s, after_first);
    std::size_t after_second = after_first;
    if (after_first < s.size() && is_align(next_char(s, after_second)) && rest_matches(after_second)) return true;
    if (is_align(first) && rest_matches(after_first)) return true;
  }
  return rest_matches(0);
}

}  // namespace prun::logging::detail
