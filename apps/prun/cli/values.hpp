#pragma once
/// The value grammars of GNU parallel's options: job counts (-j), durations (--delay,
/// --timeout), halt policies (--halt) and delimiters (-d). Each parser throws UsageError with
/// one line naming the option and the value.

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace prun::cli {

/// Bad input on the command line: one line for stderr (without "prun: "), exit status 255.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// -j/--jobs: N, 0 (as many as the descriptor limit allows), N% of the CPUs, +N / -N CPUs
/// more or fewer (GNU parallel's rules, rounded up, at least 1). `cpus` is what N% and +N/-N
/// count from; `unlimited` is what 0 means.
int parse_jobs(std::string_view spec, int cpus, int unlimited);

/// What -j0 means here: one job per three descriptors the limit (RLIMIT_NOFILE) leaves after 32
/// (a job holds two pipe ends and a pidfd in prun), at least 1.
int unlimited_jobs();

/// A duration as GNU parallel writes them: seconds with a fraction ("2.5"), or with units
/// s, m, h, d ("1m30s", "1.5h"). Throws UsageError naming `option`.
std::chrono::nanoseconds parse_duration(std::string_view option, std::string_view text);

/// --timeout: a duration, or N% of the median runtime of the successful jobs so far.
struct TimeoutSpec {
  std::chrono::nanoseconds fixed{0};  ///< 0: none
  double percent = 0;                 ///< > 0: relative to the median
};
TimeoutSpec parse_timeout(std::string_view text);

/// --halt: when to stop (never, soon = start no more jobs, now = kill the running ones) and
/// on what (fail, success or done of a count or a percentage of the jobs).
struct HaltSpec {
  enum class When { never, soon, now } when = When::never;
  enum class On { fail, success, done } on = On::fail;
  double count = 0;    ///< when percent is false
  double percent = 0;  ///< 0..100, when is_percent
  bool is_percent = false;
};
/// Accepts GNU parallel's forms: "now,fail=1", "soon,success=50%", "never", the shorthands
/// 0, 1, 2, -1, -2 and "N%" (soon,fail=N%).
HaltSpec parse_halt(std::string_view text);

/// -d/--delimiter and --colsep text with C escapes (\n \t \0 \\ \xHH ...) decoded, as GNU
/// parallel reads -d.
std::string decode_escapes(std::string_view text);

/// A non-negative integer option value (-n, --retries); throws UsageError naming `option`.
long parse_count(std::string_view option, std::string_view text);

}  // namespace prun::cli
