#pragma once
/// Every exception prun throws for a run: a task failed (TaskError), its worker died
/// (WorkerCrashed), it ran too long (TaskTimeout), the run was cancelled (Cancelled), a worker
/// could not start (WorkerStartError) or its initializer threw (InitializerFailed).

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace prun::pool {

/// A task threw. Names the task (0-based index and tag), the process it ran in, the
/// exception's demangled type and what(), the last lines the task logged and, when it ran more
/// than once (retries), what became of the earlier attempts.
/// With n_jobs=1 the caller gets the same exception with the same message (but its own pid).
class TaskError : public std::runtime_error {
 public:
  TaskError(std::size_t index, std::string tag, int pid, std::string process_name, std::string type,
            std::string message, std::vector<std::string> last_lines, std::uint32_t attempt = 1,
            std::vector<std::string> earlier_attempts = {});

  std::size_t index() const noexcept { return index_; }
  const std::string& tag() const noexcept { return tag_; }
  int pid() const noexcept { return pid_; }
  const std::string& process_name() const noexcept { return process_name_; }
  /// Demangled type of the exception ("std::runtime_error"); for a crash "signal" or "exit",
  /// for a timeout "timeout".
  const std::string& type() const noexcept { return type_; }
  /// The exception's what(); for a crash, what happened ("killed by signal SIGSEGV").
  const std::string& message() const noexcept { return message_; }
  /// The last lines the task logged, oldest first ("LEVEL logger: message").
  const std::vector<std::string>& last_lines() const noexcept { return last_lines_; }
  /// Which attempt this was (1: the first; more with Options::retries).
  std::uint32_t attempt() const noexcept { return attempt_; }
  /// How each earlier attempt ended, oldest first ("attempt 1: worker killed by signal SIGSEGV").
  const std::vector<std::string>& earlier_attempts() const noexcept { return earlier_; }

 protected:
  TaskError(std::string what_happened_kind, std::size_t index, std::string tag, int pid, std::string process_name,
            std::string type, std::string message, std::vector<std::string> last_lines, std::uint32_t attempt,
            std::vector<std::string> earlier_attempts, int);

 private:
  std::size_t index_;
  std::string tag_;
  int pid_;
  std::string process_name_;
  std::string type_;
  std::string message_;
  std::vector<std::string> last_lines_;
  std::uint32_t attempt_;
  std::vector<std::string> earlier_;
};

/// The worker running a task died (a signal, or exit() from inside the task).
class WorkerCrashed : public TaskError {
 public:
  /// `signal` > 0 when killed by a signal, else `exit_status` is what it exited with;
  /// `meaning` says what prun means by that status, when it uses it.
  WorkerCrashed(std::size_t index, std::string tag, int pid, std::string process_name, int signal,
                int exit_status, std::vector<std::string> last_lines, std::string meaning = {},
                std::uint32_t attempt = 1, std::vector<std::string> earlier_attempts = {});
  int signal() const noexcept { return signal_; }
  int exit_status() const noexcept { return exit_status_; }

 private:
  int signal_;
  int exit_status_;
};

/// The task ran longer than its timeout and was stopped (SIGTERM, then SIGKILL after the grace
/// period); everything it logged and printed until then was delivered.
class TaskTimeout : public TaskError {
 public:
  TaskTimeout(std::size_t index, std::string tag, int pid, std::string process_name, double elapsed_s,
              double timeout_s, std::vector<std::string> last_lines, std::uint32_t attempt = 1,
              std::vector<std::string> earlier_attempts = {});
  /// How long it had run when it was stopped, and its limit, in seconds.
  double elapsed() const noexcept { return elapsed_; }
  double timeout() const noexcept { return timeout_; }

 private:
  double elapsed_, timeout_;
};

/// The run was cancelled (CancelToken::cancel(), Run::cancel(), or SIGINT/SIGTERM), after its
/// running tasks were stopped and everything they produced was delivered.
class Cancelled : public std::runtime_error {
 public:
  Cancelled(std::size_t finished, std::size_t total);
  /// Tasks that had finished (successfully or not) when it stopped, of all it knew.
  std::size_t finished() const noexcept { return finished_; }
  std::size_t total() const noexcept { return total_; }

 private:
  std::size_t finished_, total_;
};

/// A worker could not be started: the program cannot run, did not answer in time, is not the
/// program the parent is, or the system refused a resource (the error names the limit).
class WorkerStartError : public std::runtime_error {
 public:
  WorkerStartError(std::string program, std::string cause);
  const std::string& program() const noexcept { return program_; }
  const std::string& cause() const noexcept { return cause_; }

 private:
  std::string program_, cause_;
};

/// A new worker's initializer threw.
class InitializerFailed : public std::runtime_error {
 public:
  InitializerFailed(int pid, std::string type, std::string message);
  int pid() const noexcept { return pid_; }
  const std::string& type() const noexcept { return type_; }
  const std::string& message() const noexcept { return message_; }

 private:
  int pid_;
  std::string type_, message_;
};

/// "SIGSEGV" for 11, "signal 70" for a number without a name.
std::string signal_name(int signal);

}  // namespace prun::pool
