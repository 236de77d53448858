#pragma once
/// TraceObserver: a Chrome trace of a run (the Trace Event Format that Perfetto and
/// chrome://tracing open), written to a file as the run goes.

#include <prun/pool/observer.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

namespace prun::pool {

struct TraceOptions {
  /// The trace file, created or truncated when the observer is made.
  std::string path;
  /// Every log record a task sent to the parent also becomes an instant event on its
  /// worker's track (name: the message, args: level, logger, task).
  bool records = false;
  /// Events per file. Past it the file is closed (valid) and the trace goes on in
  /// `<stem>.2<ext>`, `<stem>.3<ext>`, ... (`trace.json` → `trace.2.json`), each a whole trace
  /// that names its tracks again: every event is kept, none sampled away.
  std::size_t max_events = 1'000'000;
};

/// Writes `{"traceEvents":[...]}`: one track per worker process, named by an `M` event
/// (`worker 1 (pid 4242)`; a replaced worker gets a new track, as its pid changes; with
/// n_jobs=1, `main process (pid N)`; for external commands, one track per job slot, `job
/// slot 1`), one complete (`X`) event per task attempt named by the task's tag, with args
/// `index`, `attempt`, `status` (ok, error, crashed, timed_out, cancelled) and `error`, and a
/// `runs` track with one slice per run. Times are microseconds since the observer was made.
///
/// Events are buffered (64 KiB) and written as they come, never held for the whole run. The
/// file is valid JSON after every run (closed at on_run_finished, which runs also when a run
/// throws or is cancelled), after the destructor, and when prun's signal handling ends the
/// program during a run (at n_jobs=1 a task cannot be stopped: the file is closed just before
/// the signal is raised again); a later run observed by the same observer continues the file. Thread-safe; meant for one run at a time.
/// A write error stops the trace (error() tells), never the run.
class TraceObserver final : public RunObserver {
 public:
  /// Opens the file. Throws std::system_error if it cannot be created.
  explicit TraceObserver(TraceOptions options);
  ~TraceObserver() override;
  TraceObserver(const TraceObserver&) = delete;
  TraceObserver& operator=(const TraceObserver&) = delete;

  void on_run_started(const RunStarted& e) override;
  void on_task_started(const TaskStarted& e) override;
  void on_task_finished(const TaskFinished& e) override;
  void on_worker_replaced(const WorkerReplaced& e) override;
  void on_record(const logging::Record& r) override;
  bool wants_records() const override;
  void on_run_finished(const RunFinished& e) override;

  /// The files written so far: the path given, then the numbered ones.
  std::vector<std::string> files() const;
  /// The first write error (the trace stopped there), or none.
  std::error_code error() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace prun::pool
