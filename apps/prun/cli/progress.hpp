#pragma once
/// --progress, --eta and --bar: how far the run is, on stderr, in GNU parallel's words.

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace prun::cli {

class ProgressDisplay {
 public:
  struct Settings {
    bool progress = false, eta = false, bar = false;
    int cpus = 1, n_jobs = 1;
    std::size_t total = 0;  ///< jobs in the run (0: unknown)
    int fd = 2;
    std::chrono::milliseconds refresh{100};  ///< the least time between two drawings
  };
  explicit ProgressDisplay(Settings settings);

  void started();
  /// An attempt ended and the job runs again.
  void retrying();
  /// A job ended for good after `runtime_s`; `tag` names it (the bar shows the last one).
  void finished(double runtime_s, std::string_view tag);
  /// The run is over: the last state, then a newline.
  void done();

  /// The status line as it would be drawn now (without the carriage return), for tests.
  std::string line() const;

 private:
  void draw(bool force);
  Settings settings_;
  std::size_t running_ = 0, completed_ = 0;
  double runtime_sum_ = 0;
  std::string last_tag_;
  std::chrono::steady_clock::time_point start_, last_draw_{};
  bool drawn_ = false;
};

}  // namespace prun::cli
