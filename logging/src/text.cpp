#include "text.hpp"

#include <prun/logging/level.hpp>

#include <algorithm>
#include <cmath>
#include <string>

namespace prun::logging::detail {

namespace {

struct CodeRange {
  std::uint32_t first, last;
};
#include "unicode_tables.inc"

template <std::size_t N>
bool in_ranges(const CodeRange (&table)[N], std::uint32_t cp) noexcept {
  const CodeRange* end = table + N;
  const CodeRange* it = std::upper_bound(table, end, cp, [](std::uint32_t c, const CodeRange& r) { return c < r.first; });
  return it != table && cp <= (it - 1)->last;
}

inline bool is_continuation(unsigned char c) noexcept { return (c & 0xC0) == 0x80; }

}  // namespace

Utf8Step decode_utf8(std::string_view s, std::size_t at) noexcept {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[at + k]); };
  const unsigned char c = byte(0);
  if (c < 0x80) return {c, 1, true};
  std::uint32_t need = 0, cp = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the range allowed for the second byte
  if (c >= 0xC2 && c <= 0xDF) { need = 1; cp = c & 0x1Fu; }
  else if (c >= 0xE0 && c <= 0xEF) {
    need = 2; cp = c & 0x0Fu;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;  // no UTF-16 surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 3; cp = c & 0x07u;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return {c, 1, false};
  }
  std::uint32_t k = 1;
  for (; k <= need; ++k) {
    if (at + k >= s.size()) return {0, k, false};
    const unsigned char b = byte(k);
    if (k == 1 ? (b < lo || b > hi) : !is_continuation(b)) return {0, k, false};
    cp = (cp << 6) | (b & 0x3Fu);
  }
  return {cp, need + 1, true};
}

std::size_t char_count(std::string_view s) noexcept {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); ++n) {
    if (static_cast<unsigned char>(s[i]) < 0x80) { ++i; continue; }
    Utf8Step step = decode_utf8(s, i);
    i += step.ok ? step.size : 1;  // surrogateescape: one character per undecodable byte
  }
  return n;
}

std::string_view char_prefix(std::string_view s, std::size_t n) noexcept {
  std::size_t i = 0;
  for (std::size_t seen = 0; i < s.size() && seen < n; ++seen) {
    if (static_cast<unsigned char>(s[i]) < 0x80) { ++i; continue; }
    Utf8Step step = decode_utf8(s, i);
    i += step.ok ? step.size : 1;
  }
  return s.substr(0, i);
}

std::int64_t single_char(std::string_view s) noexcept {
  if (s.empty()) return -1;
  Utf8Step step = decode_utf8(s, 0);
  if (!step.ok) return s.size() == 1 ? std::int64_t{0xDC00} + static_cast<unsigned char>(s[0]) : std::int64_t{-1};
  return step.size == s.size() ? std::int64_t{step.code_point} : std::int64_t{-1};
}

void append_utf8(std::uint32_t cp, fmt::memory_buffer& out) {
  auto put1 = [&](unsigned v) { out.push_back(static_cast<char>(v)); };
  if (cp < 0x80) put1(cp);
  else if (cp < 0x800) { put1(0xC0 | (cp >> 6)); put1(0x80 | (cp & 0x3F)); }
  else if (cp >= 0xDC80 && cp <= 0xDCFF) put1(cp - 0xDC00);  // surrogateescape's byte
  else if (cp < 0x10000) { put1(0xE0 | (cp >> 12)); put1(0x80 | ((cp >> 6) & 0x3F)); put1(0x80 | (cp & 0x3F)); }
  else { put1(0xF0 | (cp >> 18)); put1(0x80 | ((cp >> 12) & 0x3F)); put1(0x80 | ((cp >> 6) & 0x3F)); put1(0x80 | (cp & 0x3F)); }
}

bool is_printable(std::uint32_t cp) noexcept {
  if (cp < 0x80) return cp >= 0x20 && cp < 0x7F;
  return !in_ranges(kNonPrintable, cp);
}

bool is_word_char(std::uint32_t cp) noexcept {
  if (cp < 0x80) return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || cp == '_';
  return in_ranges(kWord, cp);
}

char* python_float_repr(double v, char* p) noexcept {
  auto text = [&](std::string_view t) {
    std::memcpy(p, t.data(), t.size());
    p += t.size();
  };
  if (std::isnan(v)) { text("nan"); return p; }
  if (std::isinf(v)) { text(v < 0 ? "-inf" : "inf"); return p; }
  if (std::signbit(v)) {
    *p++ = '-';
    v = -v;
  }
  if (v == 0) {
    text("0.0");
    return p;
  }
  // The shortest digits that read back as v (Dragonbox, as fmt prints floats), laid out as
  // repr() does: positional from 1e-4 up to 1e16 with at least one decimal, else d.ddde+XX.
  const auto d = fmt::detail::dragonbox::to_decimal(v);
  const fmt::format_int digits_text(d.significand);
  const std::string_view digits(digits_text.data(), digits_text.size());
  const int n = static_cast<int>(digits.size());
  const int exp10 = d.exponent + n - 1;  // of the first digit
  if (exp10 >= -4 && exp10 < 16) {
    if (d.exponent >= 0) {
      text(digits);
      for (int k = 0; k < d.exponent; ++k) *p++ = '0';
      text(".0");
    } else if (exp10 >= 0) {
      text(digits.substr(0, static_cast<std::size_t>(exp10 + 1)));
      *p++ = '.';
      text(digits.substr(static_cast<std::size_t>(exp10 + 1)));
    } else {
      text("0.");
      for (int k = -1; k > exp10; --k) *p++ = '0';
      text(digits);
    }
    return p;
  }
  *p++ = digits[0];
  if (n > 1) {
    *p++ = '.';
    text(digits.substr(1));
  }
  const int e = exp10 < 0 ? -exp10 : exp10;
  *p++ = 'e';
  *p++ = exp10 < 0 ? '-' : '+';
  if (e >= 100) *p++ = static_cast<char>('0' + e / 100);
  *p++ = static_cast<char>('0' + e / 10 % 10);
  *p++ = static_cast<char>('0' + e % 10);
  return p;
}

void python_float_repr(double v, fmt::memory_buffer& out) {
  char buf[kFloatReprMax];
  put(out, std::string_view(buf, static_cast<std::size_t>(python_float_repr(v, buf) - buf)));
}

void python_str_repr(std::string_view s, bool ascii, fmt::memory_buffer& out) {
  const bool has_single = s.find('\'') != std::string_view::npos;
  const bool has_double = s.find('"') != std::string_view::npos;
  const char quote = has_single && !has_double ? '"' : '\'';
  auto escape = [&](std::uint32_t cp) {
    if (cp <= 0xFF) fmt::format_to(std::back_inserter(out), "\\x{:02x}", cp);
    else if (cp <= 0xFFFF) fmt::format_to(std::back_inserter(out), "\\u{:04x}", cp);
    else fmt::format_to(std::back_inserter(out), "\\U{:08x}", cp);
  };
  out.push_back(quote);
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      if (c == static_cast<unsigned char>(quote) || c == '\\') { out.push_back('\\'); out.push_back(static_cast<char>(c)); }
      else if (c == '\n') put(out, "\\n");
      else if (c == '\r') put(out, "\\r");
      else if (c == '\t') put(out, "\\t");
      else if (c < 0x20 || c == 0x7F) escape(c);
      else out.push_back(static_cast<char>(c));
      continue;
    }
    Utf8Step step = decode_utf8(s, i);
    if (!step.ok) {  // an undecodable byte is the lone surrogate surrogateescape makes of it
      escape(0xDC00 + c);
      ++i;
      continue;
    }
    if (!ascii && is_printable(step.code_point)) put(out, s.substr(i, step.size));
    else escape(step.code_point);
    i += step.size;
  }
  out.push_back(quote);
}

std::string_view levelname_of(int levelno, fmt::memory_buffer& storage) {
  if (!level_names_customised()) {
    switch (levelno) {
      case CRITICAL: return "CRITICAL";
      case ERROR: return "ERROR";
      case WARNING: return "WARNING";
      case INFO: return "INFO";
      case DEBUG: return "DEBUG";
      case NOTSET: return "NOTSET";
      default: break;
    }
  }
  storage.clear();
  put(storage, level_name(levelno));
  return {storage.data(), storage.size()};
}

std::string_view basename(std::string_view path) noexcept {
  auto slash = path.find_last_of('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string_view module_name(std::string_view path) noexcept {
  std::string_view base = basename(path);
  auto dot = base.find_last_of('.');
  if (dot == std::string_view::npos) return base;
  // os.path.splitext skips leading dots: ".bashrc" has no extension.
  for (std::size_t i = 0; i < dot; ++i)
    if (base[i] != '.') return base.substr(0, dot);
  return base;
}

namespace {
std::string_view extract_function_name(std::string_view sig) {
  // Find the '(' that opens the parameter list: the first one outside template brackets.
  int angle = 0;
  std::size_t open = std::string_view::npos;
  for (std::size_t i = 0; i < sig.size(); ++i) {
    char c = sig[i];
    if (c == '<') {
      if (sig.substr(i).starts_with("<lambda")) return "<lambda>";
      ++angle;
    } else if (c == '>' && angle > 0) {
      --angle;
    } else if (c == '(' && angle == 0) {
      open = i;
      break;
    }
  }
  if (open == std::string_view::npos) return sig;
  // "main()::<lambda()>" names a lambda inside main.
  int depth = 0;
  for (std::size_t i = open; i < sig.size(); ++i) {
    if (sig[i] == '(') ++depth;
    else if (sig[i] == ')' && --depth == 0) {
      if (sig.substr(i + 1).starts_with("::<lambda")) return "<lambda>";
      break;
    }
  }
  std::size_t end = open;
  std::size_t begin = end;
  angle = 0;
  while (begin > 0) {
    char c = sig[begin - 1];
    if (c == '>') ++angle;
    else if (c == '<') --angle;
    else if (angle == 0 && (c == ' ' || c == ':' || c == '*' || c == '&')) break;
    --begin;
  }
  std::string_view name = sig.substr(begin, end - begin);
  if (auto lt = name.find('<'); lt != std::string_view::npos && !name.starts_with("operator"))
    name = name.substr(0, lt);
  return name;
}
}  // namespace

std::string_view function_name(std::string_view signature) {
  if (signature.empty()) return {};
  // Records of one place in the code share a signature: keep the last one's name. The cache
  // holds a copy, so a signature freed and another written at the same address cannot fool it.
  struct Last {
    std::string signature;
    std::string_view name;
  };
  thread_local Last last;
  if (signature != last.signature) {
    last.signature.assign(signature);
    last.name = extract_function_name(last.signature);
  }
  return last.name;
}

}  // namespace prun::logging::detail
