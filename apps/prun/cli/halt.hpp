#pragma once
/// The exit status and --halt decisions, as GNU parallel takes them (its should_we_halt and
/// halt): counted per finished job, with the same messages on stderr.

#include "values.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace prun::cli {

class HaltTracker {
 public:
  enum class Action { none, soon, now };
  /// `total_jobs`: how many jobs the run has (needed for N% only).
  HaltTracker(HaltSpec spec, std::size_t total_jobs);

  /// A job is over (final attempt): failed means a non-zero exit status or a signal (a
  /// timeout too). Appends GNU parallel's status lines to `messages` ("prun: This job
  /// failed:\n<command>\n") and says what to do; `running` is how many jobs still run.
  Action job_done(bool failed, int exit_code, int signal, std::string_view command, std::size_t running,
                  std::string& messages);

  /// The exit status of the run: 0 all succeeded, 1-100 failed jobs, 101 more; with --halt,
  /// GNU parallel's (the failing job's status for fail=1, a percentage for N%).
  int exit_status() const;
  std::size_t failed() const noexcept { return failed_; }
  bool halted() const noexcept { return halted_; }

 private:
  HaltSpec spec_;
  std::size_t total_jobs_;
  std::size_t failed_ = 0, completed_ = 0;
  bool halted_ = false;
  bool has_status_ = false;
  int status_ = 0;
};

}  // namespace prun::cli
