#pragma once
/// Running external commands on the same core as tasks: each job is `/bin/sh -c <command>` in
/// a process group of its own, with its own stdout and stderr pipes; timeouts, retries,
/// cancellation, signals and observers work as for tasks (Options). The `prun` command-line
/// runner (GNU parallel's options) is built on this.

#include <prun/pool/options.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace prun::pool {

/// One job: a shell command line (run with /bin/sh -c) and the tag that names it.
struct CommandJob {
  std::string command;
  std::string tag;
  /// This job's own time limit (else Options::timeout). Asked when the job starts, so that a
  /// limit relative to earlier jobs (GNU parallel's --timeout 200%) can be computed then.
  std::optional<std::chrono::milliseconds> timeout;
};

/// Where the jobs' output goes, as it comes: the caller groups, tags or passes it through.
/// Called from the thread that runs the jobs, one call at a time.
class CommandOutput {
 public:
  virtual ~CommandOutput() = default;
  /// Bytes job `job` wrote on stream 1 (stdout) or 2 (stderr), in the order they came.
  virtual void on_output(std::size_t job, int stream, std::string_view bytes) = 0;
  /// Job `job` is over (for this attempt): nothing more of it comes. Its observer event
  /// (RunObserver::on_task_finished, with its exit status) follows.
  virtual void on_job_end(std::size_t job) = 0;
};

/// How the jobs come: job i, or nothing once there is no job i (the input is over). Called in
/// order, from the thread that runs the jobs, as they are about to be needed (lazily: a
/// command line read from a pipe is started before the pipe's end).
using CommandSource = std::function<std::optional<CommandJob>(std::size_t index)>;

struct CommandOptions {
  /// n_jobs (jobs at once), timeout, grace, retries (a failed job runs again), observer,
  /// cancel, handle_signals. on_error is collect: every job runs unless the run is cancelled
  /// or halted.
  Options options;
  /// The least time between two job starts (GNU parallel's --delay).
  std::chrono::milliseconds delay{0};
  /// The shell that runs each command line.
  std::string shell = "/bin/sh";
};

/// Runs every job of `source` and blocks until all are done (or the run was cancelled: then
/// throws Cancelled after every running job was stopped and its output delivered). Each
/// job's outcome goes to the observer (TaskFinished: status ok for exit status 0, error with
/// `exit_code`, crashed with `signal`, timed_out). Returns the number of jobs.
std::size_t run_commands(const CommandOptions& options, const CommandSource& source, CommandOutput& output);

}  // namespace prun::pool
