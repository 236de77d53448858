#include "text.hpp"

#include <cmath>
#include <mutex>
#include <string>
#include <unordered_map>

namespace prun::logging::detail {

namespace {
bool is_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// Decodes one code point at s[i]; advances i. Invalid bytes decode as themselves.
std::uint32_t decode(std::string_view s, std::size_t& i) {
  unsigned char c = static_cast<unsigned char>(s[i++]);
  int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
  std::uint32_t cp = extra == 3 ? c & 0x07u : extra == 2 ? c & 0x0Fu : extra == 1 ? c & 0x1Fu : c;
  for (int k = 0; k < extra && i < s.size() && is_continuation(static_cast<unsigned char>(s[i])); ++k)
    cp = (cp << 6) | (static_cast<unsigned char>(s[i++]) & 0x3Fu);
  return cp;
}
}  // namespace

std::size_t utf8_length(std::string_view s) noexcept {
  std::size_t n = 0;
  for (char c : s) n += !is_continuation(static_cast<unsigned char>(c));
  return n;
}

std::string_view utf8_prefix(std::string_view s, std::size_t n) noexcept {
  std::size_t i = 0;
  for (std::size_t seen = 0; i < s.size(); ++i) {
    if (!is_continuation(static_cast<unsigned char>(s[i]))) {
      if (seen == n) break;
      ++seen;
    }
  }
  return s.substr(0, i);
}

void append_utf8(std::uint32_t cp, fmt::memory_buffer& out) {
  auto put = [&](unsigned v) { out.push_back(static_cast<char>(v)); };
  if (cp < 0x80) put(cp);
  else if (cp < 0x800) { put(0xC0 | (cp >> 6)); put(0x80 | (cp & 0x3F)); }
  else if (cp < 0x10000) { put(0xE0 | (cp >> 12)); put(0x80 | ((cp >> 6) & 0x3F)); put(0x80 | (cp & 0x3F)); }
  else { put(0xF0 | (cp >> 18)); put(0x80 | ((cp >> 12) & 0x3F)); put(0x80 | ((cp >> 6) & 0x3F)); put(0x80 | (cp & 0x3F)); }
}

void python_float_repr(double v, fmt::memory_buffer& out) {
  if (std::isnan(v)) { out.append(std::string_view("nan")); return; }
  if (std::isinf(v)) { out.append(std::string_view(v < 0 ? "-inf" : "inf")); return; }
  const std::size_t start = out.size();
  fmt::format_to(std::back_inserter(out), "{}", v);
  std::string_view s(out.data() + start, out.size() - start);
  if (s.find_first_of(".e") == std::string_view::npos) out.append(std::string_view(".0"));
}

void python_str_repr(std::string_view s, bool ascii, fmt::memory_buffer& out) {
  const bool has_single = s.find('\'') != std::string_view::npos;
  const bool has_double = s.find('"') != std::string_view::npos;
  const char quote = has_single && !has_double ? '"' : '\'';
  out.push_back(quote);
  for (std::size_t i = 0; i < s.size();) {
    std::size_t at = i;
    std::uint32_t cp = decode(s, i);
    if (cp == static_cast<unsigned char>(quote) || cp == '\\') { out.push_back('\\'); out.push_back(static_cast<char>(cp)); }
    else if (cp == '\n') out.append(std::string_view("\\n"));
    else if (cp == '\r') out.append(std::string_view("\\r"));
    else if (cp == '\t') out.append(std::string_view("\\t"));
    else if (cp < 0x20 || cp == 0x7F) fmt::format_to(std::back_inserter(out), "\\x{:02x}", cp);
    else if (cp < 0x80) out.push_back(static_cast<char>(cp));
    else if (!ascii && cp >= 0xA0) out.append(s.substr(at, i - at));
    else if (cp < 0x100) fmt::format_to(std::back_inserter(out), "\\x{:02x}", cp);
    else if (cp < 0x10000) fmt::format_to(std::back_inserter(out), "\\u{:04x}", cp);
    else fmt::format_to(std::back_inserter(out), "\\U{:08x}", cp);
  }
  out.push_back(quote);
}

std::string_view basename(std::string_view path) noexcept {
  auto slash = path.find_last_of('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string_view module_name(std::string_view path) noexcept {
  std::string_view base = basename(path);
  auto dot = base.find_last_of('.');
  return dot == std::string_view::npos ? base : base.substr(0, dot);
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
  thread_local std::string_view last_sig;
  thread_local std::string_view last_name;
  if (signature.data() == last_sig.data() && signature.size() == last_sig.size()) return last_name;
  last_sig = signature;
  last_name = extract_function_name(signature);
  return last_name;
}

}  // namespace prun::logging::detail
