#include <prun/logging/formatter.hpp>
#include <prun/logging/level.hpp>

#include "text.hpp"

#include <fmt/format.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <stdexcept>

namespace prun::logging {

namespace {

enum class Attr {
  name, levelno, levelname, pathname, filename, module, lineno, funcName, created, msecs,
  relativeCreated, asctime, thread, threadName, process, processName, message, task, taskIndex,
  extra
};
enum class Kind { text, integer, real };

struct AttrInfo {
  std::string_view key;
  Attr attr;
  Kind kind;
};

constexpr AttrInfo kAttrs[] = {
    {"name", Attr::name, Kind::text},
    {"levelno", Attr::levelno, Kind::integer},
    {"levelname", Attr::levelname, Kind::text},
    {"pathname", Attr::pathname, Kind::text},
    {"filename", Attr::filename, Kind::text},
    {"module", Attr::module, Kind::text},
    {"lineno", Attr::lineno, Kind::integer},
    {"funcName", Attr::funcName, Kind::text},
    {"created", Attr::created, Kind::real},
    {"msecs", Attr::msecs, Kind::real},
    {"relativeCreated", Attr::relativeCreated, Kind::real},
    {"asctime", Attr::asctime, Kind::text},
    {"thread", Attr::thread, Kind::integer},
    {"threadName", Attr::threadName, Kind::text},
    {"process", Attr::process, Kind::integer},
    {"processName", Attr::processName, Kind::text},
    {"message", Attr::message, Kind::text},
    {"task", Attr::task, Kind::text},
    {"taskIndex", Attr::taskIndex, Kind::integer},
};

Kind kind_of(const Value& v) {
  if (std::holds_alternative<std::int64_t>(v)) return Kind::integer;
  if (std::holds_alternative<double>(v)) return Kind::real;
  return Kind::text;
}

std::atomic<std::uint64_t> g_formatter_ids{0};

// A record attribute's value while formatting: text, integer or real.
struct Val {
  Kind kind = Kind::text;
  std::string_view s;
  std::int64_t i = 0;
  double f = 0;
};

}  // namespace

struct Formatter::Segment {
  bool is_field = false;
  std::string text;  // literal text, or the key of an extra attribute
  Attr attr = Attr::message;
  Kind kind = Kind::text;
  // %-style spec
  bool minus = false, zero = false, plus = false, space = false, alt = false;
  int width = -1, precision = -1;
  char conv = 's';
  bool simple = false;  // %(key)s or %(key)d without flags, width or precision
  // {}-style spec
  std::string brace_spec;  // "{:<spec>}", empty for none
  char brace_conv = 0;     // 'r', 's', 'a' or 0
  bool int_as_real = false;  // Python formats an int with 'f', 'e', 'g' as a float
  std::uint64_t formatter_id = 0;
};

namespace {

[[noreturn]] void reject(std::string_view fmt, std::string_view why) {
  throw std::invalid_argument(fmt::format("invalid format '{}': {}", fmt, why));
}

void check_conversion(std::string_view fmt, std::string_view key, Kind kind, char conv) {
  switch (conv) {
    case 'd': case 'i': case 'u': case 'e': case 'E': case 'f': case 'F': case 'g': case 'G':
      if (kind == Kind::text)
        reject(fmt, fmt::format("%{} needs a number, but attribute '{}' is text", conv, key));
      break;
    case 'o': case 'x': case 'X': case 'c':
      if (kind != Kind::integer)
        reject(fmt, fmt::format("%{} needs an integer, but attribute '{}' is {}", conv, key,
                                kind == Kind::text ? "text" : "a float"));
      break;
    default:
      break;
  }
}

}  // namespace

Formatter::Formatter(std::string fmt, std::string datefmt, Style style, Defaults defaults)
    : fmt_(std::move(fmt)), datefmt_(std::move(datefmt)), style_(style),
      defaults_(std::move(defaults)) {
  const std::uint64_t id = ++g_formatter_ids;
  const std::string_view f = fmt_;
  auto resolve = [&](Segment& seg, std::string_view key) {
    for (const AttrInfo& a : kAttrs) {
      if (a.key == key) {
        seg.attr = a.attr;
        seg.kind = a.kind;
        if (a.attr == Attr::asctime) uses_time_ = true;
        return;
      }
    }
    for (const auto& [k, v] : defaults_) {
      if (k == key) {
        seg.attr = Attr::extra;
        seg.kind = kind_of(v);
        seg.text = std::string(key);
        return;
      }
    }
    reject(f, fmt::format("unknown attribute '{}' (not a LogRecord attribute; give extra "
                          "attributes a default in the formatter's defaults)", key));
  };
  auto add_literal = [&](std::string_view text) {
    if (text.empty()) return;
    if (!segments_.empty() && !segments_.back().is_field)
      segments_.back().text += text;
    else
      {
      Segment lit;
      lit.text = std::string(text);
      segments_.push_back(std::move(lit));
    }
  };

  bool any_field = false;
  if (style_ == Style::percent) {
    std::size_t i = 0;
    while (i < f.size()) {
      std::size_t pct = f.find('%', i);
      if (pct == std::string_view::npos) { add_literal(f.substr(i)); break; }
      add_literal(f.substr(i, pct - i));
      if (pct + 1 < f.size() && f[pct + 1] == '%') { add_literal("%"); i = pct + 2; continue; }
      if (pct + 1 >= f.size() || f[pct + 1] != '(')
        reject(f, "every % must be %% or start a field such as %(message)s");
      std::size_t close = f.find(')', pct + 2);
      if (close == std::string_view::npos) reject(f, "a %( field is not closed");
      Segment seg;
      seg.is_field = true;
      seg.formatter_id = id;
      resolve(seg, f.substr(pct + 2, close - pct - 2));
      std::size_t j = close + 1;
      for (; j < f.size(); ++j) {
        char c = f[j];
        if (c == '-') seg.minus = true;
        else if (c == '0') seg.zero = true;
        else if (c == '+') seg.plus = true;
        else if (c == ' ') seg.space = true;
        else if (c == '#') seg.alt = true;
        else break;
      }
      auto read_int = [&](int& out) {
        if (j < f.size() && f[j] == '*') reject(f, "'*' widths need arguments a record has not");
        if (j >= f.size() || f[j] < '0' || f[j] > '9') return false;
        out = 0;
        while (j < f.size() && f[j] >= '0' && f[j] <= '9') out = out * 10 + (f[j++] - '0');
        return true;
      };
      read_int(seg.width);
      if (j < f.size() && f[j] == '.') {
        ++j;
        seg.precision = 0;
        read_int(seg.precision);
      }
      if (j < f.size() && (f[j] == 'l' || f[j] == 'h' || f[j] == 'L')) ++j;  // Python ignores
      if (j >= f.size()) reject(f, "incomplete format: a field has no conversion character");
      seg.conv = f[j];
      if (std::string_view("diouxXeEfFgGcrsa").find(seg.conv) == std::string_view::npos)
        reject(f, fmt::format("unsupported format character '{}'", seg.conv));
      check_conversion(f, f.substr(pct + 2, close - pct - 2), seg.kind, seg.conv);
      seg.simple = !seg.minus && !seg.zero && !seg.plus && !seg.space && !seg.alt &&
                   seg.width < 0 && seg.precision < 0 &&
                   (seg.conv == 's' || ((seg.conv == 'd' || seg.conv == 'i') &&
                                        seg.kind == Kind::integer));
      segments_.push_back(std::move(seg));
      any_field = true;
      i = j + 1;
    }
    if (!any_field) reject(f, "no %(name)s field, which Python's '%' style requires");
  } else {
    std::size_t i = 0;
    while (i < f.size()) {
      char c = f[i];
      if (c == '}' ) {
        if (i + 1 < f.size() && f[i + 1] == '}') { add_literal("}"); i += 2; continue; }
        reject(f, "single '}' encountered");
      }
      if (c != '{') {
        std::size_t next = f.find_first_of("{}", i);
        if (next == std::string_view::npos) next = f.size();
        add_literal(f.substr(i, next - i));
        i = next;
        continue;
      }
      if (i + 1 < f.size() && f[i + 1] == '{') { add_literal("{"); i += 2; continue; }
      std::size_t close = f.find('}', i + 1);
      if (close == std::string_view::npos) reject(f, "a { field is not closed");
      std::string_view field = f.substr(i + 1, close - i - 1);
      std::string_view spec;
      if (auto colon = field.find(':'); colon != std::string_view::npos) {
        spec = field.substr(colon + 1);
        field = field.substr(0, colon);
      }
      Segment seg;
      seg.is_field = true;
      seg.formatter_id = id;
      if (auto bang = field.find('!'); bang != std::string_view::npos) {
        std::string_view conv = field.substr(bang + 1);
        if (conv.size() != 1 || std::string_view("rsa").find(conv[0]) == std::string_view::npos)
          reject(f, fmt::format("unknown conversion '!{}'", conv));
        seg.brace_conv = conv[0];
        field = field.substr(0, bang);
      }
      if (field.empty()) reject(f, "a {} field needs an attribute name");
      resolve(seg, field);
      if (seg.brace_conv) seg.kind = Kind::text;
      if (!spec.empty()) {
        seg.brace_spec = fmt::format("{{:{}}}", spec);
        try {  // a spec that does not fit the attribute's type is rejected here, not at log time
          if (seg.kind == Kind::text) (void)fmt::format(fmt::runtime(seg.brace_spec), "x");
          else if (seg.kind == Kind::real) (void)fmt::format(fmt::runtime(seg.brace_spec), 1.0);
          else if (std::string_view("eEfFgG").find(spec.back()) != std::string_view::npos) {
            (void)fmt::format(fmt::runtime(seg.brace_spec), 1.0);
            seg.int_as_real = true;
          } else (void)fmt::format(fmt::runtime(seg.brace_spec), 1);
        } catch (const fmt::format_error& e) {
          reject(f, fmt::format("spec ':{}' does not apply to attribute '{}': {}", spec, field,
                                e.what()));
        }
      }
      segments_.push_back(std::move(seg));
      any_field = true;
      i = close + 1;
    }
    if (!any_field) reject(f, "no {name} field, which Python's '{' style requires");
  }
}

Formatter::~Formatter() = default;

namespace {

// fmt's buffer::append takes a generic path per call; a record is a dozen small pieces.
inline void put(fmt::memory_buffer& out, std::string_view s) {
  const std::size_t n = out.size();
  out.resize(n + s.size());
  std::memcpy(out.data() + n, s.data(), s.size());
}

std::string_view standard_level_name(int level) {
  switch (level) {
    case CRITICAL: return "CRITICAL";
    case ERROR: return "ERROR";
    case WARNING: return "WARNING";
    case INFO: return "INFO";
    case DEBUG: return "DEBUG";
    case NOTSET: return "NOTSET";
    default: return {};
  }
}

}  // namespace

void Formatter::format_time(const Record& record, fmt::memory_buffer& out) const {
  struct Cache {
    std::uint64_t owner = 0;
    std::int64_t second = INT64_MIN;
    bool utc = false;
    char text[256];
    std::size_t len = 0;
  };
  thread_local Cache cache;
  std::int64_t sec = record.created_ns / 1'000'000'000;
  std::int64_t sub = record.created_ns % 1'000'000'000;
  if (sub < 0) { sub += 1'000'000'000; --sec; }
  const std::uint64_t id = segments_.empty() ? 0 : segments_.front().formatter_id;
  if (cache.owner != id || cache.second != sec || cache.utc != utc_ || id == 0) {
    std::time_t t = static_cast<std::time_t>(sec);
    std::tm tm{};
    if (utc_) gmtime_r(&t, &tm); else localtime_r(&t, &tm);
    const char* pattern = datefmt_.empty() ? "%Y-%m-%d %H:%M:%S" : datefmt_.c_str();
    cache.len = std::strftime(cache.text, sizeof cache.text, pattern, &tm);
    cache.owner = id;
    cache.second = sec;
    cache.utc = utc_;
  }
  put(out, std::string_view(cache.text, cache.len));
  if (datefmt_.empty()) {
    const int ms = static_cast<int>(sub / 1'000'000);
    const char digits[4] = {',', static_cast<char>('0' + ms / 100),
                            static_cast<char>('0' + ms / 10 % 10), static_cast<char>('0' + ms % 10)};
    put(out, std::string_view(digits, 4));
  }
}

namespace {

// Python's %-formatting of an integer with flags, width and precision (d i u o x X).
void percent_integer(const Formatter::Segment& seg, std::int64_t v, fmt::memory_buffer& out) {
  const bool neg = v < 0;
  const std::uint64_t mag = neg ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
  char digits[72];
  int n = 0;
  switch (seg.conv) {
    case 'o': n = std::snprintf(digits, sizeof digits, "%llo", static_cast<unsigned long long>(mag)); break;
    case 'x': n = std::snprintf(digits, sizeof digits, "%llx", static_cast<unsigned long long>(mag)); break;
    case 'X': n = std::snprintf(digits, sizeof digits, "%llX", static_cast<unsigned long long>(mag)); break;
    default: n = std::snprintf(digits, sizeof digits, "%llu", static_cast<unsigned long long>(mag)); break;
  }
  std::string_view sign = neg ? "-" : seg.plus ? "+" : seg.space ? " " : "";
  std::string_view prefix;
  if (seg.alt) prefix = seg.conv == 'o' ? "0o" : seg.conv == 'x' ? "0x" : seg.conv == 'X' ? "0X" : "";
  const int zeros = seg.precision > n ? seg.precision - n : 0;
  const int body = static_cast<int>(sign.size() + prefix.size()) + zeros + n;
  const int pad = seg.width > body ? seg.width - body : 0;
  auto fill = [&](char c, int count) { for (int k = 0; k < count; ++k) out.push_back(c); };
  if (pad && !seg.minus && !seg.zero) fill(' ', pad);
  out.append(sign);
  out.append(prefix);
  if (pad && !seg.minus && seg.zero) fill('0', pad);
  fill('0', zeros);
  out.append(digits, digits + n);
  if (pad && seg.minus) fill(' ', pad);
}

void percent_real(const Formatter::Segment& seg, double v, fmt::memory_buffer& out) {
  char spec[32];
  char* p = spec;
  *p++ = '%';
  if (seg.minus) *p++ = '-';
  if (seg.plus) *p++ = '+';
  if (seg.space) *p++ = ' ';
  if (seg.alt) *p++ = '#';
  if (seg.zero) *p++ = '0';
  p += std::snprintf(p, 12, "%d", seg.width < 0 ? 0 : seg.width);
  if (seg.precision >= 0) p += std::snprintf(p, 12, ".%d", seg.precision);
  *p++ = seg.conv;
  *p = 0;
  char buf[512];
  int n = std::snprintf(buf, sizeof buf, spec, v);
  if (n >= 0 && static_cast<std::size_t>(n) < sizeof buf) {
    out.append(buf, buf + n);
  } else {
    std::string big(static_cast<std::size_t>(n) + 1, '\0');
    std::snprintf(big.data(), big.size(), spec, v);
    out.append(big.data(), big.data() + n);
  }
}

void pad_text(const Formatter::Segment& seg, std::string_view s, fmt::memory_buffer& out) {
  if (seg.precision >= 0) s = detail::utf8_prefix(s, static_cast<std::size_t>(seg.precision));
  std::size_t len = seg.width > 0 ? detail::utf8_length(s) : 0;
  std::size_t pad = seg.width > 0 && static_cast<std::size_t>(seg.width) > len ? seg.width - len : 0;
  if (!seg.minus) for (std::size_t k = 0; k < pad; ++k) out.push_back(' ');
  out.append(s);
  if (seg.minus) for (std::size_t k = 0; k < pad; ++k) out.push_back(' ');
}

// str() of a value, as Python's %s and {} print it.
void python_str(const Val& v, fmt::memory_buffer& out) {
  switch (v.kind) {
    case Kind::text: put(out, v.s); break;
    case Kind::integer: fmt::format_to(std::back_inserter(out), "{}", v.i); break;
    case Kind::real: detail::python_float_repr(v.f, out); break;
  }
}

void python_repr(const Val& v, bool ascii, fmt::memory_buffer& out) {
  if (v.kind == Kind::text) detail::python_str_repr(v.s, ascii, out);
  else python_str(v, out);
}

}  // namespace

void Formatter::format(const Record& record, fmt::memory_buffer& out) const {
  fmt::memory_buffer scratch;  // for asctime and conversions that need a detour
  for (const Segment& seg : segments_) {
    if (!seg.is_field) {
      put(out, seg.text);
      continue;
    }
    Val v;
    v.kind = seg.kind;
    switch (seg.attr) {
      case Attr::name: v.s = record.name; break;
      case Attr::levelno: v.i = record.levelno; break;
      case Attr::levelname: {
        std::string_view s = detail::level_names_customised() ? std::string_view{} : standard_level_name(record.levelno);
        if (s.empty()) {
          scratch.clear();
          std::string name = level_name(record.levelno);
          scratch.append(name);
          s = {scratch.data(), scratch.size()};
        }
        v.s = s;
        break;
      }
      case Attr::pathname: v.s = record.pathname; break;
      case Attr::filename: v.s = detail::basename(record.pathname); break;
      case Attr::module: v.s = detail::module_name(record.pathname); break;
      case Attr::lineno: v.i = record.lineno; break;
      case Attr::funcName: v.s = detail::function_name(record.function); break;
      case Attr::created: v.f = static_cast<double>(record.created_ns) / 1e9; break;
      case Attr::msecs: {
        std::int64_t sub = record.created_ns % 1'000'000'000;
        if (sub < 0) sub += 1'000'000'000;
        v.f = static_cast<double>(sub / 1'000'000);
        break;
      }
      case Attr::relativeCreated: v.f = static_cast<double>(record.relative_ns) / 1e6; break;
      case Attr::asctime:
        scratch.clear();
        format_time(record, scratch);
        v.s = {scratch.data(), scratch.size()};
        break;
      case Attr::thread: v.i = static_cast<std::int64_t>(record.thread); break;
      case Attr::threadName: v.s = record.thread_name; break;
      case Attr::process: v.i = record.process; break;
      case Attr::processName: v.s = record.process_name; break;
      case Attr::message: v.s = record.message; break;
      case Attr::task: v.s = record.task; break;
      case Attr::taskIndex: v.i = record.task_index; break;
      case Attr::extra: {
        const Value* x = record.find_extra(seg.text);
        if (!x)
          for (const auto& [k, d] : defaults_)
            if (k == seg.text) { x = &d; break; }
        v.kind = kind_of(*x);
        if (auto* i = std::get_if<std::int64_t>(x)) v.i = *i;
        else if (auto* d = std::get_if<double>(x)) v.f = *d;
        else v.s = std::get<std::string>(*x);
        if (style_ == Style::percent && v.kind != seg.kind)
          check_conversion(fmt_, seg.text, v.kind, seg.conv);
        break;
      }
    }

    if (style_ == Style::brace) {
      Val shown = v;
      fmt::memory_buffer conv;
      if (seg.brace_conv) {
        if (seg.brace_conv == 's') python_str(v, conv);
        else python_repr(v, seg.brace_conv == 'a', conv);
        shown = Val{Kind::text, {conv.data(), conv.size()}, 0, 0};
      }
      if (seg.brace_spec.empty()) {
        python_str(shown, out);
      } else if (shown.kind == Kind::text) {
        fmt::format_to(std::back_inserter(out), fmt::runtime(seg.brace_spec), shown.s);
      } else if (shown.kind == Kind::integer && seg.int_as_real) {
        fmt::format_to(std::back_inserter(out), fmt::runtime(seg.brace_spec), static_cast<double>(shown.i));
      } else if (shown.kind == Kind::integer) {
        fmt::format_to(std::back_inserter(out), fmt::runtime(seg.brace_spec), shown.i);
      } else {
        fmt::format_to(std::back_inserter(out), fmt::runtime(seg.brace_spec), shown.f);
      }
      continue;
    }

    if (seg.simple) {
      if (seg.conv == 's' || seg.kind != Kind::integer) {
        python_str(v, out);
      } else {
        fmt::format_int digits(v.i);
        put(out, std::string_view(digits.data(), digits.size()));
      }
      continue;
    }
    switch (seg.conv) {
      case 's': {
        fmt::memory_buffer s;
        python_str(v, s);
        pad_text(seg, {s.data(), s.size()}, out);
        break;
      }
      case 'r': case 'a': {
        fmt::memory_buffer s;
        python_repr(v, seg.conv == 'a', s);
        pad_text(seg, {s.data(), s.size()}, out);
        break;
      }
      case 'c': {
        fmt::memory_buffer s;
        detail::append_utf8(static_cast<std::uint32_t>(v.i), s);
        Segment text_seg = seg;
        text_seg.precision = -1;
        pad_text(text_seg, {s.data(), s.size()}, out);
        break;
      }
      case 'd': case 'i': case 'u': case 'o': case 'x': case 'X':
        percent_integer(seg, v.kind == Kind::real ? static_cast<std::int64_t>(std::trunc(v.f)) : v.i, out);
        break;
      default:
        percent_real(seg, v.kind == Kind::real ? v.f : static_cast<double>(v.i), out);
        break;
    }
  }
  if (!record.exc_text.empty()) {
    if (out.size() == 0 || out.data()[out.size() - 1] != '\n') out.push_back('\n');
    out.append(record.exc_text);
  }
}

std::string Formatter::format(const Record& record) const {
  fmt::memory_buffer out;
  format(record, out);
  return fmt::to_string(out);
}

const FormatterPtr& default_formatter() {
  static const FormatterPtr f = std::make_shared<const Formatter>();
  return f;
}

}  // namespace prun::logging
