#include "values.hpp"

#include <fmt/format.h>

#include <sys/resource.h>

#include <charconv>
#include <cmath>
#include <limits>

namespace prun::cli {

namespace {

// A decimal number "12", "1.5", ".5" taking the whole of `s`.
std::optional<double> parse_decimal(std::string_view s) {
  if (s.empty() || s.front() == '+' || s.front() == '-') return std::nullopt;
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, std::chars_format::fixed);
  if (ec != std::errc{} || p != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<long> parse_unsigned(std::string_view s) {
  long v = 0;
  if (s.empty() || s.front() == '+' || s.front() == '-') return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

int unlimited_jobs() {
  rlimit rl{};
  rlim_t fds = 1024;
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) fds = rl.rlim_cur;
  if (fds > 3 * 100000 + 32) fds = 3 * 100000 + 32;
  return fds > 35 ? static_cast<int>((fds - 32) / 3) : 1;
}

int parse_jobs(std::string_view spec, int cpus, int unlimited) {
  double jobs = 0;
  auto bad = [&] { return UsageError(fmt::format("-j/--jobs must be N, N%, +N or -N, got '{}'", spec)); };
  if (spec.starts_with('+') || spec.starts_with('-')) {
    auto n = parse_unsigned(spec.substr(1));
    if (!n) throw bad();
    jobs = spec.front() == '+' ? double(cpus) + double(*n) : double(cpus) - double(*n);
  } else if (spec.ends_with('%')) {
    auto pct = parse_decimal(spec.substr(0, spec.size() - 1));
    if (!pct) throw bad();
    jobs = cpus * *pct / 100;
  } else {
    auto n = parse_unsigned(spec);
    if (!n) throw bad();
    jobs = *n == 0 ? unlimited : double(*n);
  }
  jobs = std::ceil(jobs);
  if (jobs < 1) throw UsageError(fmt::format("-j {} leaves no job to run ({} CPUs)", spec, cpus));
  return jobs > std::numeric_limits<int>::max() / 2 ? std::numeric_limits<int>::max() / 2 : static_cast<int>(jobs);
}

std::chrono::nanoseconds parse_duration(std::string_view option, std::string_view text) {
  auto bad = [&] {
    return UsageError(fmt::format("{} must be seconds or a duration such as 1m30s, got '{}'", option, text));
  };
  double seconds = 0;
  std::string_view rest = text;
  if (rest.empty()) throw bad();
  while (!rest.empty()) {
    std::size_t n = 0;
    while (n < rest.size() && (std::isdigit(static_cast<unsigned char>(rest[n])) || rest[n] == '.')) ++n;
    auto number = parse_decimal(rest.substr(0, n));
    if (!number) throw bad();
    rest.remove_prefix(n);
    double unit = 1;
    if (!rest.empty()) {
      switch (rest.front()) {
        case 's': case 'S': unit = 1; break;
        case 'm': case 'M': unit = 60; break;
        case 'h': case 'H': unit = 3600; break;
        case 'd': case 'D': unit = 86400; break;
        default: throw bad();
      }
      rest.remove_prefix(1);
    } else if (n != text.size()) {
      throw bad();  // "1m30": a bare number after a unit
    }
    seconds += *number * unit;
  }
  if (seconds > 1e9) throw bad();
  return std::chrono::nanoseconds(static_cast<std::int64_t>(std::llround(seconds * 1e9)));
}

TimeoutSpec parse_timeout(std::string_view text) {
  TimeoutSpec spec;
  if (text.ends_with('%')) {
    auto pct = parse_decimal(text.substr(0, text.size() - 1));
    if (!pct || *pct <= 0) throw UsageError(fmt::format("--timeout N% needs N > 0, got '{}'", text));
    spec.percent = *pct;
    return spec;
  }
  spec.fixed = parse_duration("--timeout", text);
  return spec;
}

HaltSpec parse_halt(std::string_view text) {
  std::string full(text);
  if (full == "0") full = "never";
  else if (full == "1") full = "soon,fail=1";
  else if (full == "2") full = "now,fail=1";
  else if (full == "-1") full = "soon,success=1";
  else if (full == "-2") full = "now,success=1";
  else if (full.ends_with('%') && parse_decimal(std::string_view(full).substr(0, full.size() - 1))) full = "soon,fail=" + full;
  HaltSpec spec;
  std::string_view rest = full;
  auto comma = rest.find(',');
  std::string_view when = rest.substr(0, comma);
  if (when == "never") spec.when = HaltSpec::When::never;
  else if (when == "soon") spec.when = HaltSpec::When::soon;
  else if (when == "now") spec.when = HaltSpec::When::now;
  else throw UsageError(fmt::format("--halt must start with never, soon or now, got '{}'", text));
  if (spec.when == HaltSpec::When::never) {
    if (comma != std::string_view::npos) throw UsageError(fmt::format("--halt never takes nothing more, got '{}'", text));
    return spec;
  }
  if (comma == std::string_view::npos) throw UsageError(fmt::format("--halt {} must be followed by ,fail=N, ,success=N or ,done=N", when));
  rest.remove_prefix(comma + 1);
  auto eq = rest.find('=');
  std::string_view on = rest.substr(0, eq);
  if (on == "fail") spec.on = HaltSpec::On::fail;
  else if (on == "success") spec.on = HaltSpec::On::success;
  else if (on == "done") spec.on = HaltSpec::On::done;
  else throw UsageError(fmt::format("--halt {} must be followed by ,fail=N, ,success=N or ,done=N, got '{}'", when, text));
  std::string_view amount = eq == std::string_view::npos ? std::string_view{} : rest.substr(eq + 1);
  if (amount.ends_with('%')) {
    auto pct = parse_decimal(amount.substr(0, amount.size() - 1));
    if (!pct || *pct <= 0 || *pct > 100) throw UsageError(fmt::format("--halt percentages go from 1% to 100%, got '{}'", text));
    spec.is_percent = true;
    spec.percent = *pct;
  } else {
    auto n = parse_unsigned(amount);
    if (!n || *n == 0) throw UsageError(fmt::format("--halt {},{} must be followed by =N or =N%, got '{}'", when, on, text));
    spec.count = double(*n);
  }
  return spec;
}

std::string decode_escapes(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c != '\\' || i + 1 == text.size()) {
      out += c;
      continue;
    }
    char e = text[++i];
    switch (e) {
      case 'a': out += '\a'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'v': out += '\v'; break;
      case '\\': out += '\\'; break;
      case 'x': {
        int value = 0, digits = 0;
        while (digits < 2 && i + 1 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1]))) {
          char h = text[++i];
          value = value * 16 + (std::isdigit(static_cast<unsigned char>(h)) ? h - '0' : (std::tolower(h) - 'a' + 10));
          ++digits;
        }
        if (digits == 0) out += "\\x";
        else out += static_cast<char>(value);
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          int value = e - '0', digits = 1;
          while (digits < 3 && i + 1 < text.size() && text[i + 1] >= '0' && text[i + 1] <= '7') {
            value = value * 8 + (text[++i] - '0');
            ++digits;
          }
          out += static_cast<char>(value);
        } else {
          out += '\\';
          out += e;
        }
    }
  }
  return out;
}

long parse_count(std::string_view option, std::string_view text) {
  auto n = parse_unsigned(text);
  if (!n) throw UsageError(fmt::format("{} must be a whole number, got '{}'", option, text));
  return *n;
}

}  // namespace prun::cli
