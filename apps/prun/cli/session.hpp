#pragma once
/// One run of the command line: the jobs go to prun::pool::run_commands, their output and
/// events to the output sink, --results, --joblog, --log, --halt, progress and the trace.

#include "halt.hpp"
#include "job_logger.hpp"
#include "joblog.hpp"
#include "jobs.hpp"
#include "options.hpp"
#include "output.hpp"
#include "progress.hpp"
#include "results.hpp"

#include <prun/pool/cancel.hpp>
#include <prun/pool/commands.hpp>
#include <prun/pool/observer.hpp>

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace prun::cli {

class Session : public pool::CommandOutput {
 public:
  /// Opens what the options name (--joblog, --log, --trace): throws UsageError when one cannot
  /// be. `total` is the number of jobs when it was read ahead (0 otherwise).
  Session(const CliOptions& options, JobMaker& jobs, std::unique_ptr<ResultsWriter> results, std::size_t total);
  ~Session() override;

  /// What runs the jobs: prun::pool::run_commands, or a test's double of it.
  using Engine = std::function<std::size_t(const pool::CommandOptions&, const pool::CommandSource&, pool::CommandOutput&)>;

  /// Runs every job through `engine`; returns the exit status.
  int run(const Engine& engine);

  // pool::CommandOutput
  void on_output(std::size_t job, int stream, std::string_view bytes) override;
  void on_job_end(std::size_t job) override;

 private:
  class Observer;
  struct Entry {
    Job job;
    std::int64_t started_ns = 0;  // CLOCK_MONOTONIC
    double start_epoch_s = 0;
    std::uint64_t received = 0;   // stdout bytes of this attempt
  };

  std::optional<pool::CommandJob> next_job(std::size_t index);
  Entry* entry(std::size_t index);
  void task_started(const pool::TaskStarted& event);
  void task_finished(const pool::TaskFinished& event);
  void run_finished();
  std::optional<std::chrono::milliseconds> timeout_for_next_job() const;
  int take_slot();
  void give_back_slot(int slot);

  const CliOptions& options_;
  JobMaker& jobs_;
  std::unique_ptr<ResultsWriter> results_;
  OutputSink sink_;
  HaltTracker halt_;
  std::unique_ptr<JoblogWriter> joblog_;
  std::unique_ptr<JobLogger> logger_;
  std::unique_ptr<ProgressDisplay> progress_;
  std::shared_ptr<pool::RunObserver> trace_;
  std::shared_ptr<Observer> observer_;
  pool::CancelToken cancel_;

  std::deque<std::unique_ptr<Entry>> entries_;  // entries_[i] is job base_ + i
  std::size_t base_ = 0;
  std::set<int> free_slots_;
  int next_extra_slot_ = 0;
  std::size_t running_ = 0;
  std::vector<double> ok_runtimes_;  // for --timeout N%
  bool output_closed_ = false;
  bool finished_ = false;
};

/// run() with the engine given: opens the inputs and files, then runs the jobs (or prints
/// them: --dry-run). Returns the exit status; throws UsageError for bad input.
int run_with(const CliOptions& options, const Session::Engine& engine);

}  // namespace prun::cli
