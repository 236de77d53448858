#include "halt.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace prun::cli {

HaltTracker::HaltTracker(HaltSpec spec, std::size_t total_jobs) : spec_(spec), total_jobs_(total_jobs) {}

HaltTracker::Action HaltTracker::job_done(bool failed, int exit_code, int signal, std::string_view command,
                                          std::size_t running, std::string& messages) {
  ++completed_;
  if (failed) ++failed_;
  if (spec_.when == HaltSpec::When::never) return Action::none;
  using On = HaltSpec::On;
  double limit = -1;
  if (failed) {
    if (spec_.on == On::fail) {
      messages += fmt::format("prun: This job failed:\n{}\n", command);
      limit = double(failed_);
    }
  } else if (spec_.on == On::success) {
    messages += fmt::format("prun: This job succeeded:\n{}\n", command);
    limit = double(completed_ - failed_);
  }
  if (spec_.on == On::done) {
    messages += fmt::format("prun: This job finished:\n{}\n", command);
    limit = double(completed_);
  }
  if (limit < 0) return Action::none;
  const double count = spec_.is_percent ? double(total_jobs_) * spec_.percent / 100 : spec_.count;
  if (limit < count) return Action::none;
  if (spec_.on == On::success) {
    status_ = 0;
    has_status_ = true;
  } else if (!has_status_) {
    has_status_ = true;
    if (spec_.is_percent)
      status_ = static_cast<int>(std::ceil(double(failed_) / double(std::max<std::size_t>(total_jobs_, 1)) * 100));
    else
      status_ = static_cast<int>(std::min<std::size_t>(failed_, 101));
    if (!spec_.is_percent && spec_.count == 1) status_ = exit_code != 0 ? exit_code : signal != 0 ? signal + 128 : 0;
  }
  halted_ = true;
  if (spec_.when == HaltSpec::When::soon) {
    if (running > 0) messages += fmt::format("prun: Starting no more jobs. Waiting for {} jobs to finish.\n", running);
    return Action::soon;
  }
  return Action::now;
}

int HaltTracker::exit_status() const {
  if (spec_.when == HaltSpec::When::never) return static_cast<int>(std::min<std::size_t>(failed_, 101));
  if (has_status_) return status_;
  if (spec_.is_percent)
    return static_cast<int>(std::ceil(double(failed_) / double(std::max<std::size_t>(completed_, 1)) * 100));
  return static_cast<int>(std::min<std::size_t>(failed_, 101));
}

}  // namespace prun::cli
