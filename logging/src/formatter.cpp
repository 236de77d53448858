#include <prun/logging/formatter.hpp>

#include "asctime.hpp"
#include "format_parse.hpp"
#include "python_format.hpp"
#include "text.hpp"

#include <stdexcept>
#include <type_traits>

namespace prun::logging {

FormatterBase::~FormatterBase() = default;

std::string FormatterBase::format(const Record& record) const {
  fmt::memory_buffer out;
  format(record, out);
  return fmt::to_string(out);
}

namespace {

using detail::Arg;
using detail::Attr;
using detail::Kind;

Arg text(std::string_view s) { return {Kind::text, s, 0, 0}; }
Arg integer(std::int64_t i) { return {Kind::integer, {}, i, 0}; }
Arg real(double f) { return {Kind::real, {}, 0, f}; }

Arg from_value(const Value& v) {
  return std::visit(
      [](const auto& x) -> Arg {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::int64_t>) return integer(x);
        else if constexpr (std::is_same_v<T, double>) return real(x);
        else {
          static_assert(std::is_same_v<T, std::string>, "a new Value alternative needs a Python type here");
          return text(x);
        }
      },
      v);
}

std::string quoted(std::string_view key) {
  fmt::memory_buffer b;
  detail::python_str_repr(key, false, b);
  return fmt::to_string(b);
}

}  // namespace

Formatter::Formatter(std::string fmt, std::string datefmt, Style style, Defaults defaults)
    : fmt_(fmt.empty() ? std::string(detail::default_format(style)) : std::move(fmt)),
      datefmt_(std::move(datefmt)),
      style_(style),
      defaults_(std::move(defaults)),
      id_(detail::new_time_cache_key()) {
  if (datefmt_.find('\0') != std::string::npos)
    throw std::invalid_argument("invalid date format: embedded null character");  // Python: every record fails
  segments_ = detail::parse_format(fmt_, style_);
  for (const Segment& seg : segments_) {
    if (!seg.is_field) continue;
    if (seg.field.attr == Attr::asctime) uses_time_ = true;
    for (const detail::SpecPart& part : seg.spec_parts)
      if (part.is_field && part.field.attr == Attr::asctime) uses_time_ = true;
  }
}

Formatter::~Formatter() = default;

void Formatter::format_time(const Record& record, fmt::memory_buffer& out) const {
  detail::format_asctime(record.created_ns, datefmt_, utc_, id_, out);
}

namespace {

// The value of a field for one record; `storage` keeps the text of computed attributes.
struct Fetch {
  const Formatter& formatter;
  const Formatter::Defaults& defaults;
  const Record& r;

  Arg operator()(const detail::FieldRef& f, fmt::memory_buffer& storage) const {
    switch (f.attr) {
      case Attr::name: return text(r.name);
      case Attr::levelno: return integer(r.levelno);
      case Attr::levelname: return text(detail::levelname_of(r.levelno, storage));
      case Attr::pathname: return text(r.pathname);
      case Attr::filename: return text(detail::basename(r.pathname));
      case Attr::module: return text(detail::module_name(r.pathname));
      case Attr::lineno: return integer(r.lineno);
      case Attr::funcName: return text(detail::function_name(r.function));
      case Attr::created: return real(static_cast<double>(r.created_ns) / 1e9);
      case Attr::msecs: {
        std::int64_t sub = r.created_ns % 1'000'000'000;
        if (sub < 0) sub += 1'000'000'000;
        return real(static_cast<double>(sub / 1'000'000));
      }
      case Attr::relativeCreated: return real(static_cast<double>(r.relative_ns) / 1e6);
      case Attr::asctime:
        storage.clear();
        formatter.format_time(r, storage);
        return text({storage.data(), storage.size()});
      case Attr::thread: return integer(static_cast<std::int64_t>(r.thread));
      case Attr::threadName: return text(r.thread_name);
      case Attr::process: return integer(r.process);
      case Attr::processName: return text(r.process_name);
      case Attr::message: return text(r.message);
      case Attr::exc_text: return r.exc_text.empty() ? Arg{Kind::none, {}, 0, 0} : text(r.exc_text);
      case Attr::taskName: return Arg{Kind::none, {}, 0, 0};
      case Attr::task: return text(r.task);
      case Attr::taskIndex: return integer(r.task_index);
      case Attr::worker: return integer(r.worker);
      case Attr::attempt: return integer(r.attempt);
      case Attr::extra: break;
    }
    if (const Value* v = r.find_extra(f.key)) return from_value(*v);
    for (const auto& [k, v] : defaults)
      if (k == f.key) return from_value(v);
    throw std::invalid_argument(fmt::format("Formatting field not found in record: {}", quoted(f.key)));
  }
};

}  // namespace

void Formatter::format_field(const Segment& seg, const Record& record, fmt::memory_buffer& out) const {
  const Fetch fetch{*this, defaults_, record};
  fmt::memory_buffer storage;
  const Arg v = fetch(seg.field, storage);
  if (seg.simple) {
    detail::python_str(v, out);
    return;
  }
  if (style_ == Style::percent) {
    detail::percent_format(seg.percent, v, out);
    return;
  }
  // '{' style: the conversion, then the spec (expanded first when it names other fields).
  Arg shown = v;
  fmt::memory_buffer converted;
  if (seg.conversion) {
    if (seg.conversion == 's') detail::python_str(v, converted);
    else detail::python_repr(v, seg.conversion == 'a', converted);
    shown = text({converted.data(), converted.size()});
  }
  if (!seg.has_spec) {
    detail::python_str(shown, out);
    return;
  }
  if (seg.spec_parts.empty()) {
    detail::format_value(shown, seg.spec, out);
    return;
  }
  fmt::memory_buffer spec;
  for (const detail::SpecPart& part : seg.spec_parts) {
    if (!part.is_field) {
      detail::put(spec, part.literal);
      continue;
    }
    fmt::memory_buffer nested;
    detail::python_str(fetch(part.field, nested), spec);
  }
  if (spec.size() == 0) detail::python_str(shown, out);
  else detail::format_value(shown, detail::parse_format_spec({spec.data(), spec.size()}), out);
}

namespace {

[[gnu::always_inline]] inline void put_int(std::int64_t v, fmt::memory_buffer& out) {
  const fmt::format_int digits(v);
  detail::put(out, {digits.data(), digits.size()});
}

}  // namespace

// The common case, a standard attribute shown as str() (%(name)s, {name}, $name): written
// straight into `out`. Returns false for the rest.
[[gnu::always_inline]] inline bool Formatter::format_simple(const Segment& seg, const Record& r,
                                                            fmt::memory_buffer& storage,
                                                            fmt::memory_buffer& out) const {
  using detail::put;
  switch (seg.field.attr) {
    case Attr::name: put(out, r.name); return true;
    case Attr::levelno: put_int(r.levelno, out); return true;
    case Attr::levelname: put(out, detail::levelname_of(r.levelno, storage)); return true;
    case Attr::pathname: put(out, r.pathname); return true;
    case Attr::filename: put(out, detail::basename(r.pathname)); return true;
    case Attr::module: put(out, detail::module_name(r.pathname)); return true;
    case Attr::lineno: put_int(r.lineno, out); return true;
    case Attr::funcName: put(out, detail::function_name(r.function)); return true;
    case Attr::asctime: format_time(r, out); return true;
    case Attr::thread: put_int(static_cast<std::int64_t>(r.thread), out); return true;
    case Attr::threadName: put(out, r.thread_name); return true;
    case Attr::process: put_int(r.process, out); return true;
    case Attr::processName: put(out, r.process_name); return true;
    case Attr::message: put(out, r.message); return true;
    case Attr::task: put(out, r.task); return true;
    case Attr::taskIndex: put_int(r.task_index, out); return true;
    default: return false;
  }
}

void Formatter::format(const Record& record, fmt::memory_buffer& out) const {
  const std::size_t start = out.size();
  fmt::memory_buffer storage;
  try {
    for (const Segment& seg : segments_) {
      if (!seg.is_field) detail::put(out, seg.literal);
      else if (!seg.simple || !format_simple(seg, record, storage, out)) format_field(seg, record, out);
    }
  } catch (...) {
    out.resize(start);  // nothing of a record that failed to format reaches a handler's buffer
    throw;
  }
  if (!record.exc_text.empty()) {
    if (out.size() == start || out.data()[out.size() - 1] != '\n') out.push_back('\n');
    detail::put(out, record.exc_text);
  }
}

const FormatterPtr& default_formatter() {
  static const FormatterPtr f = std::make_shared<const Formatter>();
  return f;
}

}  // namespace prun::logging
