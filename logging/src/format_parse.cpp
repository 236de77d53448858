#include "format_parse.hpp"

#include "text.hpp"

#include <stdexcept>

namespace prun::logging::detail {

namespace {

constexpr Kinds kText = kinds(Kind::text), kInt = kinds(Kind::integer), kReal = kinds(Kind::real),
                kNone = kinds(Kind::none);
constexpr Kinds kAnyExtra = kText | kInt | kReal;

struct AttrInfo {
  std::string_view key;
  Attr attr;
  Kinds kinds;
};

constexpr AttrInfo kAttrs[] = {
    {"name", Attr::name, kText},
    {"levelno", Attr::levelno, kInt},
    {"levelname", Attr::levelname, kText},
    {"pathname", Attr::pathname, kText},
    {"filename", Attr::filename, kText},
    {"module", Attr::module, kText},
    {"lineno", Attr::lineno, kInt},
    {"funcName", Attr::funcName, kText},
    {"created", Attr::created, kReal},
    {"msecs", Attr::msecs, kReal},
    {"relativeCreated", Attr::relativeCreated, kReal},
    {"asctime", Attr::asctime, kText},
    {"thread", Attr::thread, kInt},
    {"threadName", Attr::threadName, kText},
    {"process", Attr::process, kInt},
    {"processName", Attr::processName, kText},
    {"message", Attr::message, kText},
    {"exc_text", Attr::exc_text, kText | kNone},
    {"taskName", Attr::taskName, kNone},
    {"task", Attr::task, kText},
    {"taskIndex", Attr::taskIndex, kInt},
    {"worker", Attr::worker, kInt},
    {"attempt", Attr::attempt, kInt},
};

// LogRecord attributes that have no counterpart in a prun record.
constexpr std::string_view kPythonOnly[] = {"msg", "args", "exc_info", "stack_info"};

[[noreturn]] void refuse(std::string_view fmt, std::string_view why) {
  throw std::invalid_argument(fmt::format("invalid format '{}': {}", fmt, why));
}

FieldRef resolve(std::string_view fmt, std::string_view key) {
  for (const AttrInfo& a : kAttrs)
    if (a.key == key) return {a.attr, a.kinds, {}};
  for (std::string_view p : kPythonOnly)
    if (p == key)
      refuse(fmt, fmt::format("'{}' is a Python LogRecord attribute that prun records do not have (prun "
                              "formats the message when it is logged: use 'message')",
                              key));
  return {Attr::extra, kAnyExtra, std::string(key)};
}

// The error every kind in `kinds` gives, or "" when at least one kind formats.
template <typename Check>
std::string common_error(Kinds kinds, Check check) {
  std::string first;
  for (Kind k : {Kind::text, Kind::integer, Kind::real, Kind::none}) {
    if (!(kinds & static_cast<Kinds>(k))) continue;
    std::string e = check(k);
    if (e.empty()) return {};
    if (first.empty()) first = std::move(e);
  }
  return first;
}

void add_literal(Segments& out, std::string_view text) {
  if (text.empty()) return;
  if (!out.empty() && !out.back().is_field) {
    out.back().literal += text;
    return;
  }
  Formatter::Segment lit;
  lit.literal = std::string(text);
  out.push_back(std::move(lit));
}

// Reads a \w+ run (Unicode word characters) from s[i]; returns its end.
std::size_t word_end(std::string_view s, std::size_t i) {
  while (i < s.size()) {
    Utf8Step step = decode_utf8(s, i);
    if (!step.ok || !is_word_char(step.code_point)) break;
    i += step.size;
  }
  return i;
}

// ---- '%' style ------------------------------------------------------------------------------

// PercentStyle.validation_pattern.search(fmt):
//   %\(\w+\)[#0+ -]*(\*|\d+)?(\.(\*|\d+))?[diouxefgcrsa%]   (re.IGNORECASE)
bool percent_validates(std::string_view f) {
  for (std::size_t p = f.find("%("); p != std::string_view::npos; p = f.find("%(", p + 1)) {
    std::size_t i = word_end(f, p + 2);
    if (i == p + 2 || i >= f.size() || f[i] != ')') continue;
    ++i;
    while (i < f.size() && std::string_view("#0+ -").find(f[i]) != std::string_view::npos) ++i;
    auto number = [&] {
      if (i < f.size() && f[i] == '*') ++i;
      else while (i < f.size() && f[i] >= '0' && f[i] <= '9') ++i;
    };
    number();
    if (i < f.size() && f[i] == '.') {
      const std::size_t dot = ++i;
      number();
      if (i == dot) continue;
    }
    if (i < f.size() && std::string_view("diouxefgcrsa%DIOUXEFGCRSA").find(f[i]) != std::string_view::npos) return true;
  }
  return false;
}

Segments parse_percent(std::string_view f) {
  if (!percent_validates(f)) refuse(f, "no field such as %(message)s, which the '%' style requires");
  Segments out;
  std::size_t i = 0;
  while (i < f.size()) {
    const std::size_t pct = f.find('%', i);
    if (pct == std::string_view::npos) {
      add_literal(out, f.substr(i));
      break;
    }
    add_literal(out, f.substr(i, pct - i));
    std::size_t j = pct + 1;
    if (j < f.size() && f[j] == '%') {
      add_literal(out, "%");
      i = j + 1;
      continue;
    }
    if (j >= f.size()) refuse(f, "incomplete format (a lone '%' ends it; write %% for a percent sign)");
    if (f[j] != '(')
      refuse(f, "a conversion without a (key): Python would format the whole record dictionary with it, "
                "or fail; name an attribute, as in %(message)s");
    // The key runs to the ')' that balances the '(' (Python allows "%(a(b))s").
    int depth = 1;
    std::size_t k = j + 1;
    for (; k < f.size(); ++k) {
      if (f[k] == '(') ++depth;
      else if (f[k] == ')' && --depth == 0) break;
    }
    if (k >= f.size()) refuse(f, "incomplete format key");
    const std::string_view key = f.substr(j + 1, k - j - 1);
    Formatter::Segment seg;
    seg.is_field = true;
    seg.field = resolve(f, key);
    PercentSpec& p = seg.percent;
    j = k + 1;
    for (; j < f.size(); ++j) {
      const char c = f[j];
      if (c == '-') p.ljust = true;
      else if (c == '+') p.sign = true;
      else if (c == ' ') p.blank = true;
      else if (c == '#') p.alt = true;
      else if (c == '0') p.zero = true;
      else break;
    }
    auto number = [&](int& value) {
      if (j < f.size() && f[j] == '*')
        refuse(f, "'*' takes the width from an argument, and a record gives none (Python fails with "
                  "\"not enough arguments\")");
      if (j >= f.size() || f[j] < '0' || f[j] > '9') return;
      value = 0;
      while (j < f.size() && f[j] >= '0' && f[j] <= '9') {
        if (value > (INT32_MAX - 9) / 10) refuse(f, "width too big");
        value = value * 10 + (f[j++] - '0');
      }
    };
    number(p.width);
    if (j < f.size() && f[j] == '.') {
      ++j;
      p.precision = 0;
      number(p.precision);
    }
    if (j < f.size() && (f[j] == 'h' || f[j] == 'l' || f[j] == 'L')) ++j;  // ignored, as in Python
    if (j >= f.size()) refuse(f, "incomplete format");
    p.conversion = f[j];
    if (std::string_view("sradiuoxXeEfFgGc").find(p.conversion) == std::string_view::npos) {
      Utf8Step step = decode_utf8(f, j);
      refuse(f, fmt::format("unsupported format character '{}' (0x{:x}) at index {}",
                            f.substr(j, step.ok ? step.size : 1), step.ok ? step.code_point : static_cast<unsigned char>(f[j]),
                            char_count(f.substr(0, j))));
    }
    if (std::string e = common_error(seg.field.kinds, [&](Kind kind) { return percent_kind_error(p.conversion, kind); });
        !e.empty())
      refuse(f, fmt::format("%({}){}: {}", key, p.conversion, e));
    seg.simple = !p.ljust && !p.sign && !p.blank && !p.alt && !p.zero && p.width < 0 && p.precision < 0 &&
                 (p.conversion == 's' || ((p.conversion == 'd' || p.conversion == 'i' || p.conversion == 'u') &&
                                          seg.field.kinds == kInt));
    out.push_back(std::move(seg));
    i = j + 1;
  }
  return out;
}

// ---- '{' style ------------------------------------------------------------------------------

// StrFormatStyle.field_spec: ^(\d+|\w+)(\.\w+|\[[^]]+\])*$  ('$' matches before a final "\n").
bool brace_field_validates(std::string_view name) {
  if (!name.empty() && name.back() == '\n') name.remove_suffix(1);
  std::size_t i = word_end(name, 0);
  if (i == 0) return false;
  while (i < name.size()) {
    if (name[i] == '.') {
      const std::size_t e = word_end(name, i + 1);
      if (e == i + 1) return false;
      i = e;
    } else if (name[i] == '[') {
      const std::size_t close = name.find(']', i + 1);
      if (close == std::string_view::npos || close == i + 1) return false;
      i = close + 1;
    } else {
      return false;
    }
  }
  return true;
}

struct BraceField {
  std::string_view name, spec;
  std::uint32_t conversion = 0;
  bool nested = false;  // the spec holds '{'
};


// MarkupIterator_next + parse_field of Objects/stringlib/unicode_format.h. Calls
// literal(text) and field(BraceField) in order.
template <typename Literal, typename Field>
void scan_brace(std::string_view f, Literal literal, Field field) {
  std::size_t i = 0;
  while (i < f.size()) {
    const std::size_t start = i;
    char c = 0;
    bool markup = false;
    while (i < f.size()) {
      c = f[i++];
      if (c == '{' || c == '}') { markup = true; break; }
    }
    const bool at_end = i >= f.size();
    std::size_t len = i - start;
    if (markup && c == '}' && (at_end || f[i] != '}')) refuse(f, "Single '}' encountered in format string");
    if (markup && at_end && c == '{') refuse(f, "Single '{' encountered in format string");
    if (markup && !at_end) {
      if (f[i] == c) {  // "{{" or "}}"
        ++i;
        markup = false;
      } else {
        --len;
      }
    }
    literal(f.substr(start, len));
    if (!markup) continue;
    BraceField bf;
    const std::size_t name_start = i;
    char d = 0;
    while (i < f.size()) {
      d = f[i++];
      if (d == '{') refuse(f, "unexpected '{' in field name");
      if (d == '[') {
        while (i < f.size() && f[i] != ']') ++i;
        continue;
      }
      if (d == '}' || d == ':' || d == '!') break;
    }
    bf.name = f.substr(name_start, i - name_start - (d == '}' || d == ':' || d == '!' ? 1 : 0));
    if (d == '!' || d == ':') {
      if (d == '!') {
        if (i >= f.size()) refuse(f, "end of string while looking for conversion specifier");
        Utf8Step step = decode_utf8(f, i);
        bf.conversion = step.ok ? step.code_point : 0xDC00 + static_cast<unsigned char>(f[i]);
        i += step.ok ? step.size : 1;
        if (i < f.size()) {
          const char e = f[i++];
          if (e == '}') {
            field(bf);
            continue;
          }
          if (e != ':') refuse(f, "expected ':' after conversion specifier");
        }
      }
      const std::size_t spec_start = i;
      int count = 1;
      bool closed = false;
      while (i < f.size()) {
        const char e = f[i++];
        if (e == '{') {
          bf.nested = true;
          ++count;
        } else if (e == '}' && --count == 0) {
          closed = true;
          break;
        }
      }
      if (!closed) refuse(f, "unmatched '{' in format spec");
      bf.spec = f.substr(spec_start, i - 1 - spec_start);
    } else if (d != '}') {
      refuse(f, "expected '}' before end of string");
    }
    field(bf);
  }
}

std::string quoted(std::string_view s) {
  fmt::memory_buffer b;
  python_str_repr(s, false, b);
  return fmt::to_string(b);
}

FieldRef brace_key(std::string_view f, std::string_view name) {
  if (name.empty() || name.find_first_not_of("0123456789") == std::string_view::npos)
    refuse(f, fmt::format("{{{}}} is a positional field, and a record has no positional arguments (Python fails "
                          "with IndexError)", name));
  if (name.find_first_of(".[") != std::string_view::npos)
    refuse(f, fmt::format("{{{}}}: attribute and index access in a field name is not supported; name the "
                          "attribute itself", name));
  return resolve(f, name);
}

Segments parse_brace(std::string_view f) {
  // StrFormatStyle.validate first, with Python's messages.
  bool any_field = false;
  scan_brace(f, [](std::string_view) {}, [&](const BraceField& bf) {
    if (!bf.name.empty()) {
      if (!brace_field_validates(bf.name)) refuse(f, fmt::format("invalid field name/expression: {}", quoted(bf.name)));
      any_field = true;
    }
    if (bf.conversion && bf.conversion != 'r' && bf.conversion != 's' && bf.conversion != 'a') {
      fmt::memory_buffer c;
      append_utf8(bf.conversion, c);
      refuse(f, fmt::format("invalid conversion: {}", quoted({c.data(), c.size()})));
    }
    if (!bf.spec.empty() && !logging_accepts_spec(bf.spec)) refuse(f, fmt::format("bad specifier: {}", quoted(bf.spec)));
  });
  if (!any_field) refuse(f, "no fields");

  Segments out;
  scan_brace(f, [&](std::string_view text) { add_literal(out, text); }, [&](const BraceField& bf) {
    Formatter::Segment seg;
    seg.is_field = true;
    seg.field = brace_key(f, bf.name);
    seg.conversion = static_cast<char>(bf.conversion);
    const Kinds shown = seg.conversion ? kText : seg.field.kinds;
    if (bf.nested) {
      // Only {name} pieces in the width and precision pass the validation above.
      seg.has_spec = true;
      std::size_t i = 0;
      while (i < bf.spec.size()) {
        const std::size_t open = bf.spec.find('{', i);
        detail::SpecPart lit;
        lit.literal = std::string(bf.spec.substr(i, open == std::string_view::npos ? std::string_view::npos : open - i));
        if (!lit.literal.empty()) seg.spec_parts.push_back(std::move(lit));
        if (open == std::string_view::npos) break;
        const std::size_t close = bf.spec.find('}', open);
        detail::SpecPart ref;
        ref.is_field = true;
        ref.field = brace_key(f, bf.spec.substr(open + 1, close - open - 1));
        seg.spec_parts.push_back(std::move(ref));
        i = close + 1;
      }
    } else if (!bf.spec.empty()) {
      seg.has_spec = true;
      try {
        seg.spec = parse_format_spec(bf.spec);
      } catch (const std::invalid_argument& e) {
        refuse(f, fmt::format("{{{}:{}}}: {}", bf.name, bf.spec, e.what()));
      }
      if (std::string e = common_error(shown, [&](Kind kind) { return format_kind_error(seg.spec, kind); }); !e.empty())
        refuse(f, fmt::format("{{{}:{}}}: {}", bf.name, bf.spec, e));
    }
    seg.simple = !seg.conversion && !seg.has_spec;
    out.push_back(std::move(seg));
  });
  return out;
}

// ---- '$' style ------------------------------------------------------------------------------

std::size_t identifier_end(std::string_view f, std::size_t i) {
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (i >= f.size() || !alpha(f[i])) return i;
  ++i;
  while (i < f.size() && (alpha(f[i]) || (f[i] >= '0' && f[i] <= '9'))) ++i;
  return i;
}

Segments parse_dollar(std::string_view f) {
  Segments out;
  bool any_field = false;
  std::size_t i = 0;
  while (i < f.size()) {
    const std::size_t dollar = f.find('$', i);
    if (dollar == std::string_view::npos) {
      add_literal(out, f.substr(i));
      break;
    }
    add_literal(out, f.substr(i, dollar - i));
    std::size_t j = dollar + 1;
    std::string_view name;
    if (j < f.size() && f[j] == '$') {
      add_literal(out, "$");
      i = j + 1;
      continue;
    }
    if (std::size_t e = identifier_end(f, j); e > j) {
      name = f.substr(j, e - j);
      i = e;
    } else if (j < f.size() && f[j] == '{' && (e = identifier_end(f, j + 1)) > j + 1 && e < f.size() && f[e] == '}') {
      name = f.substr(j + 1, e - j - 1);
      i = e + 1;
    } else {
      refuse(f, "bare '$' not allowed (write $$ for a dollar sign)");
    }
    Formatter::Segment seg;
    seg.is_field = true;
    seg.field = resolve(f, name);
    seg.simple = true;
    out.push_back(std::move(seg));
    any_field = true;
  }
  if (!any_field) refuse(f, "no fields");
  return out;
}

}  // namespace

std::string_view default_format(Formatter::Style style) noexcept {
  switch (style) {
    case Formatter::Style::brace: return "{message}";
    case Formatter::Style::dollar: return "${message}";
    case Formatter::Style::percent: break;
  }
  return "%(message)s";
}

Segments parse_format(std::string_view fmt, Formatter::Style style) {
  switch (style) {
    case Formatter::Style::brace: return parse_brace(fmt);
    case Formatter::Style::dollar: return parse_dollar(fmt);
    case Formatter::Style::percent: break;
  }
  return parse_percent(fmt);
}

}  // namespace prun::logging::detail
