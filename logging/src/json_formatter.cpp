#include <prun/logging/json_formatter.hpp>

#include "asctime.hpp"
#include "text.hpp"

#include <array>
#include <cmath>
#include <cstring>
#include <string_view>
#include <type_traits>

namespace prun::logging {

namespace {

// For each ASCII byte, 0 when it is copied as it is, else the letter of its escape.
constexpr std::array<char, 128> kEscape = [] {
  std::array<char, 128> t{};
  for (int c = 0; c < 0x20; ++c) t[static_cast<std::size_t>(c)] = 'u';
  t['\b'] = 'b';
  t['\f'] = 'f';
  t['\n'] = 'n';
  t['\r'] = 'r';
  t['\t'] = 't';
  t['"'] = '"';
  t['\\'] = '\\';
  return t;
}();

// Writes JSON text into memory reserved beforehand: a record is a few dozen small pieces, and
// checking capacity for each costs more than the copies. `bound` gives the room a piece needs.
class Writer {
 public:
  explicit Writer(char* p) : p_(p) {}
  char* end() const noexcept { return p_; }

  // Room for a text's JSON characters: an escape (\u001f) is six bytes for one.
  static std::size_t bound(std::string_view s) noexcept { return 6 * s.size(); }

  void raw(std::string_view s) noexcept {
    if (s.empty()) return;  // an empty view may have no data pointer at all
    std::memcpy(p_, s.data(), s.size());
    p_ += s.size();
  }
  void raw(char c) noexcept { *p_++ = c; }
  void integer(std::int64_t v) noexcept {
    const fmt::format_int digits(v);
    raw({digits.data(), digits.size()});
  }
  void unsigned_integer(std::uint64_t v) noexcept {
    const fmt::format_int digits(v);
    raw({digits.data(), digits.size()});
  }
  void real(double v) noexcept {
    if (std::isfinite(v)) p_ = detail::python_float_repr(v, p_);
    else raw("null");  // JSON has no NaN or Infinity
  }
  void string(std::string_view s) noexcept {
    raw('"');
    chars(s);
    raw('"');
  }
  void chars(std::string_view s) noexcept;
  void value(const Value& v) noexcept {
    std::visit(
        [&](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, std::int64_t>) integer(x);
          else if constexpr (std::is_same_v<T, double>) real(x);
          else {
            static_assert(std::is_same_v<T, std::string>, "a new Value alternative needs a JSON type here");
            string(x);
          }
        },
        v);
  }
  static std::size_t value_bound(const Value& v) noexcept {
    const std::string* s = std::get_if<std::string>(&v);
    return (s ? bound(*s) : 0) + detail::kFloatReprMax;
  }

 private:
  char* p_;
};

void Writer::chars(std::string_view s) noexcept {
  const std::size_t n = s.size();
  std::size_t i = 0, run = 0;
  auto flush = [&](std::size_t upto) { raw(s.substr(run, upto - run)); };
  // Whether any of eight bytes needs attention: a control, '"', '\\' or a non-ASCII byte.
  constexpr std::uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
  auto attention = [](std::uint64_t w) {
    const std::uint64_t quote = w ^ (ones * '"'), slash = w ^ (ones * '\\');
    return ((((w - ones * 0x20) & ~w) | ((quote - ones) & ~quote) | ((slash - ones) & ~slash) | w) & highs) != 0;
  };
  while (i < n) {
    while (i + 8 <= n) {  // eight bytes at a time while none needs attention
      std::uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      if (attention(w)) break;
      i += 8;
    }
    if (i + 8 > n && i < n) {  // the tail, padded with spaces
      std::uint64_t w = ones * ' ';
      std::memcpy(&w, s.data() + i, n - i);
      if (!attention(w)) i = n;
    }
    if (i >= n) break;
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      const char e = kEscape[c];
      if (!e) {
        ++i;
        continue;
      }
      flush(i);
      raw('\\');
      raw(e);
      if (e == 'u') {
        constexpr char hex[] = "0123456789abcdef";
        raw("00");
        raw(hex[c >> 4]);
        raw(hex[c & 15]);
      }
      run = ++i;
      continue;
    }
    const detail::Utf8Step step = detail::decode_utf8(s, i);
    if (step.ok && step.code_point != 0x2028 && step.code_point != 0x2029) {
      i += step.size;
      continue;
    }
    flush(i);
    if (!step.ok) raw("\xEF\xBF\xBD");  // U+FFFD for the maximal ill-formed subpart
    else raw(step.code_point == 0x2028 ? "\\u2028" : "\\u2029");  // line breaks to JavaScript
    run = i += step.size;
  }
  flush(n);
}

bool from_task(const Record& r) { return r.task_index >= 0 || !r.task.empty(); }

// A key as JSON shows it: bytes that are not UTF-8 replaced by U+FFFD.
std::string shown_key(std::string_view key) {
  std::string out;
  for (std::size_t i = 0; i < key.size();) {
    const detail::Utf8Step step = detail::decode_utf8(key, i);
    out.append(step.ok ? key.substr(i, step.size) : std::string_view("\xEF\xBF\xBD"));
    i += step.size;
  }
  return out;
}

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const detail::Utf8Step step = detail::decode_utf8(s, i);
    if (!step.ok) return false;
    i += step.size;
  }
  return true;
}

// Whether extra `index` is written: not when an earlier extra shows the same key (the first
// wins, so that no object has a key twice) or when `prefix` + key is one of `reserved`.
template <std::size_t N>
bool written(const Record& r, std::size_t index, std::string_view prefix, const std::string_view (&reserved)[N]) {
  const std::string& key = r.extra[index].first;
  const bool valid = valid_utf8(key);
  for (std::size_t k = 0; k < index; ++k) {
    const std::string& earlier = r.extra[k].first;
    if (earlier == key) return false;
    if ((!valid || !valid_utf8(earlier)) && shown_key(earlier) == shown_key(key)) return false;
  }
  for (std::string_view name : reserved)
    if (name.size() == prefix.size() + key.size() && name.starts_with(prefix) && name.substr(prefix.size()) == key)
      return false;
  return true;
}

// Names the Python schema writes itself; Python refuses extras with these names too.
constexpr std::string_view kPythonNames[] = {
    "name", "levelname", "levelno", "message", "pathname", "filename", "module", "lineno",
    "funcName", "created", "msecs", "relativeCreated", "asctime", "thread", "threadName",
    "process", "processName", "exc_text", "task", "taskIndex", "worker", "attempt"};
constexpr std::string_view kEcsNames[] = {
    "@timestamp", "log.level", "message", "ecs.version", "log.logger", "log.origin.file.name",
    "log.origin.file.line", "log.origin.function", "process.pid", "process.name",
    "process.thread.id", "process.thread.name", "error.message", "prun.task", "prun.task_index",
    "prun.worker", "prun.attempt"};

}  // namespace

JsonFormatter::JsonFormatter() : JsonFormatter(Options{}) {}

JsonFormatter::JsonFormatter(Options options)
    : options_(std::move(options)), time_key_(detail::new_time_cache_key()) {}

JsonFormatter::~JsonFormatter() = default;

void JsonFormatter::format(const Record& record, fmt::memory_buffer& out) const {
  if (options_.schema == Schema::ecs) format_ecs(record, out);
  else format_python(record, out);
}

// Everything of a record that is written as text, with the room each needs.
std::size_t text_bound(const Record& r, std::string_view levelname, std::string_view funcname) {
  std::size_t n = 1024;  // keys, numbers and punctuation: about 500 bytes at most
  for (std::string_view s : {std::string_view(r.name), levelname, std::string_view(r.message), r.pathname,
                             funcname, r.thread_name, r.process_name, std::string_view(r.exc_text),
                             std::string_view(r.task)})
    n += Writer::bound(s);
  n += 2 * Writer::bound(detail::basename(r.pathname));  // filename and module
  for (const auto& [key, value] : r.extra) n += 16 + Writer::bound(key) + Writer::value_bound(value);
  return n;
}

void JsonFormatter::format_python(const Record& r, fmt::memory_buffer& out) const {
  fmt::memory_buffer level_storage, time_storage;
  const std::string_view levelname = detail::levelname_of(r.levelno, level_storage);
  const std::string_view funcname = detail::function_name(r.function);
  if (options_.asctime) detail::format_asctime(r.created_ns, options_.datefmt, options_.utc, time_key_, time_storage);
  const std::size_t start = out.size();
  out.resize(start + text_bound(r, levelname, funcname) + Writer::bound({time_storage.data(), time_storage.size()}));
  Writer w(out.data() + start);
  w.raw("{\"name\":");
  w.string(r.name);
  w.raw(",\"levelname\":");
  w.string(levelname);
  w.raw(",\"levelno\":");
  w.integer(r.levelno);
  w.raw(",\"message\":");
  w.string(r.message);
  w.raw(",\"pathname\":");
  w.string(r.pathname);
  w.raw(",\"filename\":");
  w.string(detail::basename(r.pathname));
  w.raw(",\"module\":");
  w.string(detail::module_name(r.pathname));
  w.raw(",\"lineno\":");
  w.integer(r.lineno);
  w.raw(",\"funcName\":");
  w.string(funcname);
  w.raw(",\"created\":");
  w.real(static_cast<double>(r.created_ns) / 1e9);
  w.raw(",\"msecs\":");  // whole milliseconds: the float's repr is the integer and ".0"
  std::int64_t sub = r.created_ns % 1'000'000'000;
  if (sub < 0) sub += 1'000'000'000;
  w.integer(sub / 1'000'000);
  w.raw(".0");
  w.raw(",\"relativeCreated\":");
  w.real(static_cast<double>(r.relative_ns) / 1e6);
  if (options_.asctime) {
    w.raw(",\"asctime\":");
    w.string({time_storage.data(), time_storage.size()});
  }
  w.raw(",\"thread\":");
  w.unsigned_integer(r.thread);
  w.raw(",\"threadName\":");
  w.string(r.thread_name);
  w.raw(",\"process\":");
  w.integer(r.process);
  w.raw(",\"processName\":");
  w.string(r.process_name);
  if (!r.exc_text.empty()) {
    w.raw(",\"exc_text\":");
    w.string(r.exc_text);
  }
  if (from_task(r)) {
    w.raw(",\"task\":");
    w.string(r.task);
    w.raw(",\"taskIndex\":");
    w.integer(r.task_index);
    w.raw(",\"worker\":");
    w.integer(r.worker);
    if (r.attempt > 0) {
      w.raw(",\"attempt\":");
      w.integer(r.attempt);
    }
  }
  for (std::size_t k = 0; k < r.extra.size(); ++k) {
    if (!written(r, k, {}, kPythonNames)) continue;
    w.raw(',');
    w.string(r.extra[k].first);
    w.raw(':');
    w.value(r.extra[k].second);
  }
  w.raw('}');
  out.resize(static_cast<std::size_t>(w.end() - out.data()));
}

void JsonFormatter::format_ecs(const Record& r, fmt::memory_buffer& out) const {
  fmt::memory_buffer level_storage;
  const std::string_view levelname = detail::levelname_of(r.levelno, level_storage);
  const std::string_view funcname = detail::function_name(r.function);
  const std::string_view prefix = options_.extra_prefix;
  const std::size_t start = out.size();
  out.resize(start + text_bound(r, levelname, funcname) + r.extra.size() * Writer::bound(prefix));
  Writer w(out.data() + start);
  w.raw("{\"@timestamp\":\"");
  fmt::memory_buffer stamp;
  detail::format_iso_utc(r.created_ns, stamp);
  w.raw({stamp.data(), stamp.size()});
  w.raw("\",\"log.level\":\"");
  char* level_at = w.end();
  w.chars(levelname);
  for (char* c = level_at; c < w.end(); ++c)
    if (*c >= 'A' && *c <= 'Z') *c = static_cast<char>(*c - 'A' + 'a');
  w.raw("\",\"message\":");
  w.string(r.message);
  w.raw(",\"ecs.version\":\"1.6.0\",\"log.logger\":");
  w.string(r.name);
  w.raw(",\"log.origin.file.name\":");
  w.string(detail::basename(r.pathname));
  w.raw(",\"log.origin.file.line\":");
  w.integer(r.lineno);
  w.raw(",\"log.origin.function\":");
  w.string(funcname);
  w.raw(",\"process.pid\":");
  w.integer(r.process);
  w.raw(",\"process.name\":");
  w.string(r.process_name);
  w.raw(",\"process.thread.id\":");
  w.unsigned_integer(r.thread);
  w.raw(",\"process.thread.name\":");
  w.string(r.thread_name);
  if (!r.exc_text.empty()) {
    w.raw(",\"error.message\":");
    w.string(r.exc_text);
  }
  if (from_task(r)) {
    w.raw(",\"prun.task\":");
    w.string(r.task);
    w.raw(",\"prun.task_index\":");
    w.integer(r.task_index);
    w.raw(",\"prun.worker\":");
    w.integer(r.worker);
    if (r.attempt > 0) {
      w.raw(",\"prun.attempt\":");
      w.integer(r.attempt);
    }
  }
  for (std::size_t k = 0; k < r.extra.size(); ++k) {
    if (!written(r, k, prefix, kEcsNames)) continue;
    w.raw(",\"");
    w.chars(prefix);
    w.chars(r.extra[k].first);
    w.raw("\":");
    w.value(r.extra[k].second);
  }
  w.raw('}');
  out.resize(static_cast<std::size_t>(w.end() - out.data()));
}

}  // namespace prun::logging
