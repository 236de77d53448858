#pragma once
/// ProgressObserver: joblib's `verbose` progress lines, and a live progress bar on a terminal.

#include <prun/pool/observer.hpp>

#include <chrono>
#include <memory>

namespace prun::pool {

struct ProgressOptions {
  /// joblib's `verbose`: 0 prints no line. From 1 on, `[Parallel(n_jobs=2)]: Using backend
  /// fork with 2 concurrent workers.` when the run starts, then `[Parallel(n_jobs=2)]: Done  12
  /// out of  20 | elapsed:    0.3s remaining:    0.2s` at joblib's cadence (its
  /// `print_progress`: more lines as verbose grows; every task but the last but one above 10
  /// for fewer tasks than verbose), and `... Done  20 out of  20 | elapsed:    0.4s finished`.
  /// A run cut short ends with `... Done   5 out of  20 | elapsed:    0.1s cancelled`. When the
  /// number of tasks is not known at the start (an input pulled lazily), `Done  12 tasks      |
  /// elapsed: ...` at the cadence of joblib's `_verbosity_filter`.
  int verbose = 0;
  enum class Bar {
    automatic,  ///< a live bar when the stream is a terminal
    always,     ///< a live bar whatever the stream is (for tests)
    never,
  };
  Bar bar = Bar::automatic;
  /// Where lines and bar go: -1 is the parent's standard error (standard output for verbose
  /// >= 50, as joblib does), as a run sees it (with n_jobs=1, the real one, not the capture);
  /// 1 or 2 name the parent's streams; any other descriptor is used as it is.
  int fd = -1;
  /// The bar's width in columns; 0: the terminal's (80 when it is not a terminal).
  int width = 0;
  /// The bar is drawn again at most this often (and at the end of the run).
  std::chrono::milliseconds refresh{100};
};

/// Prints a run's progress. The live bar (`12/20 [=======>      ]  60% | 35.2 tasks/s | ETA
/// 0:02`, then `| 2 failed` when some failed; at the end the time taken instead of the ETA)
/// stays on the terminal's last line: while it is shown, every line prun writes to
/// the parent's streams on that terminal (tasks' output, records through stream handlers,
/// the verbose lines) erases it, goes out whole, and draws it again below. Lines your own
/// code writes to the terminal by other means during the run are not kept apart from it. At
/// the end the bar stays, complete, with a newline. One bar at a time per process (a second
/// run's observer prints no bar meanwhile). Costs nothing per task beyond counting when
/// neither lines nor bar are due.
class ProgressObserver final : public RunObserver {
 public:
  explicit ProgressObserver(ProgressOptions options = {});
  ~ProgressObserver() override;
  ProgressObserver(const ProgressObserver&) = delete;
  ProgressObserver& operator=(const ProgressObserver&) = delete;

  void on_run_started(const RunStarted& e) override;
  void on_task_started(const TaskStarted& e) override;
  void on_task_finished(const TaskFinished& e) override;
  void on_run_finished(const RunFinished& e) override;
  bool wants_tags() const override { return false; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace prun::pool
